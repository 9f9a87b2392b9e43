/// Spreads the wait of writers that outrun a file's background flush over all of their writes, as Linux's
/// balance_dirty_pages does, instead of holding them all until a whole generation lands (which made a few
/// writes wait a generation's flush or more while the rest waited not at all). Past half the file's limit
/// each write gets a slot, one after another at the flush's measured pace, scaled by how full the file is:
/// no wait at half, the flush's own pace at three quarters, half of it at the limit (where writers then
/// wait for a landing as before).
struct WritePacer: Sendable {
    /// Bytes per second the file's background flush landed lately (nil: not measured yet).
    private(set) var bandwidth: Double?
    private var nextSlot: ContinuousClock.Instant?
    /// No write is held longer than this by pacing alone.
    static let longestWait = Duration.milliseconds(250)

    mutating func landed(bytes: Int, in elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard bytes > 0, seconds > 0 else { return }
        let sample = Double(bytes) / seconds
        bandwidth = bandwidth.map { ($0 + sample) / 2 } ?? sample
    }

    /// When a write of `added` bytes, after which the file holds `held` of its `limit`, may be answered
    /// (nil: at once).
    mutating func slot(added: Int, held: Int, limit: Int, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let half = limit / 2
        guard let bandwidth, bandwidth > 0, held > half, limit >= 4 else { nextSlot = nil; return nil }
        let pressure = Double(held - half) / Double(limit / 4)
        let pause = Duration.seconds(Double(max(0, added)) / bandwidth * pressure)
        let start = max(now, min(nextSlot ?? now, now + Self.longestWait))
        let end = min(start + pause, now + Self.longestWait)
        nextSlot = end
        return end
    }
}
