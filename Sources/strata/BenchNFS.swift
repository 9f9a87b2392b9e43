import ArgumentParser
import Foundation
import NIOPosix

/// `strata bench nfs`: an NFSv4.1 load generator (the project's own client) against any server.
struct NFSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nfs",
        abstract: "NFSv4.1 load: metadata, sequential 1 MiB I/O, random 4 KiB I/O, and many clients.")

    @Option(help: "The server, HOST:PORT.")
    var server: String = "127.0.0.1:2049"
    @Option(help: "The exported path to work under (a fresh directory is made and removed there).")
    var export: String = "/"
    @Option(help: "Concurrent sessions for the metadata and random workloads.")
    var sessions: Int = 16
    @Option(help: "Small files created, stat-ed, listed and removed (over all sessions).")
    var files: Int = 4000
    @Option(help: "GETATTR calls (over all sessions).")
    var stats: Int = 64000
    @Option(help: "Whole listings of the directory per session (one is a few READDIR calls: too short to time alone).")
    var listings: Int = 8
    @OptionGroup var largeFile: LargeFileOptions
    var fileMiB: Int { largeFile.fileMiB }
    @Option(help: "Outstanding 1 MiB calls during sequential I/O (session slots).")
    var depth: Int = 8
    @Option(help: "Random 4 KiB reads, and as many writes (over all sessions).")
    var randomOps: Int = 16000
    @Option(help: "Separate clients (connection + session each) in the many-clients workload.")
    var clients: Int = 100
    @Option(help: "GETATTR calls per client in the many-clients workload.")
    var clientOps: Int = 200
    @Option(help: "Only these workloads, comma-separated (create, getattr, readdir, remove, seq-write, seq-read, rand-read-4k, rand-write-4k, clients-getattr).")
    var only: String?
    @Option(name: .customLong("latency-log"), help: "Write every operation's start and latency here: one `WORKLOAD START_MS LATENCY_MS` line each.")
    var latencyLog: String?

    func run() async throws {
        guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]) else {
            throw ValidationError("--server must be HOST:PORT")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var workloads = NFSWorkloads(host: String(server[..<colon]), port: port,
                                     exportPath: export.split(separator: "/").map(String.init),
                                     sessions: sessions, files: files, stats: stats, listings: listings,
                                     fileMiB: fileMiB, depth: depth,
                                     randomOps: randomOps, clients: clients, clientOps: clientOps,
                                     only: only.map { Set($0.split(separator: ",").map(String.init)) }, group: group)
        workloads.logLatencies = latencyLog != nil
        print("bench nfs against \(server) export \(export): \(sessions) sessions, \(files) files "
              + "listed \(listings)x, \(fileMiB) MiB at depth \(depth), "
              + "\(randomOps) random ops, \(clients) clients")
        let figures = try await workloads.runAll()
        printTable(figures)
        for f in figures { for line in f.metricLines { print(line) } }
        if let latencyLog { try writeLatencyLog(figures, to: latencyLog) }
        try await group.shutdownGracefully()
    }
}

/// One line per operation, by workload, in the order they started; times from the workload's first start.
func writeLatencyLog(_ figures: [WorkloadFigures], to path: String) throws {
    var text = ""
    for f in figures {
        let log = (f.latencies.log ?? []).sorted { $0.start < $1.start }
        guard let first = log.first?.start else { continue }
        for entry in log {
            let start = (entry.start - first).seconds * 1000
            text += "\(f.name) \(String(format: "%.3f %.3f", start, Double(entry.nanoseconds) / 1e6))\n"
        }
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}
