import Histogram

/// Latencies of one workload's operations, recorded per worker and merged (HdrHistogram, ns, 3 digits).
struct Latencies: Sendable {
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
    /// Each operation's start and latency, kept only for `--latency-log` (when a tail came shows what caused it).
    private(set) var log: [(start: ContinuousClock.Instant, nanoseconds: UInt64)]?

    init(logged: Bool = false) { log = logged ? [] : nil }

    /// Runs `body` and records how long it took.
    mutating func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        let value = try await body()
        let elapsed = ContinuousClock.now - start
        let nanoseconds = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        _ = histogram.record(nanoseconds)
        log?.append((start, nanoseconds))
        return value
    }

    mutating func merge(_ other: Latencies) {
        histogram.add(other.histogram)
        if let more = other.log { log = (log ?? []) + more }
    }

    var count: UInt64 { histogram.totalCount }
    func milliseconds(atPercentile p: Double) -> Double { Double(histogram.valueAtPercentile(p)) / 1e6 }
}

/// One workload's figures: a rate and the latency percentiles of its operations.
struct WorkloadFigures {
    var name: String
    var rate: Double
    var unit: String
    var latencies: Latencies

    var metricLines: [String] {
        [String(format: "metric nfs.%@ %.1f %@", name, rate, unit),
         String(format: "metric nfs.%@.p50 %.3f ms", name, latencies.milliseconds(atPercentile: 50)),
         String(format: "metric nfs.%@.p99 %.3f ms", name, latencies.milliseconds(atPercentile: 99))]
    }
}

func printTable(_ figures: [WorkloadFigures]) {
    let pad = { (s: String, n: Int) in s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    print(pad("workload", 16) + pad("rate", 22) + pad("p50 ms", 12) + pad("p99 ms", 12) + "ops")
    for f in figures {
        print(pad(f.name, 16) + pad(String(format: "%.1f %@", f.rate, f.unit), 22)
              + pad(String(format: "%.3f", f.latencies.milliseconds(atPercentile: 50)), 12)
              + pad(String(format: "%.3f", f.latencies.milliseconds(atPercentile: 99)), 12) + "\(f.latencies.count)")
    }
}
