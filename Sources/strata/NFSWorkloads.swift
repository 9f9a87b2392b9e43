import Foundation
import NFSClient
import NIOCore
import NIOPosix
import Synchronization

/// The server under load and the workloads' sizes.
struct NFSWorkloads: Sendable {
    var host: String
    var port: Int
    var exportPath: [String]
    var sessions: Int
    var files: Int
    var stats: Int
    /// Whole listings of the directory each session makes.
    var listings: Int
    var fileMiB: Int
    var depth: Int
    var randomOps: Int
    var clients: Int
    var clientOps: Int
    /// Workloads to report (nil: all). Those they depend on still run: every data workload needs the large file.
    var only: Set<String>?
    /// Keep every operation's start and latency (for `--latency-log`).
    var logLatencies = false
    let group: MultiThreadedEventLoopGroup

    func newLatencies() -> Latencies { Latencies(logged: logLatencies) }

    func session(slots: Int = 1) async throws -> NFSSession {
        try await NFSSession.establish(host: host, port: port, group: group, slots: slots)
    }

    /// The export's root handle: PUTROOTFH, then LOOKUP down the export path.
    func exportHandle(_ s: NFSSession) async throws -> [UInt8] {
        var r = try await s.compound([.putrootfh] + exportPath.map { .lookup($0) } + [.getfh])
        try r.skip(24)
        for _ in exportPath { try r.skip(15) }
        return try r.fileHandle()
    }

    /// Opens `name` in `directory` and returns its stateid and handle.
    func open(_ s: NFSSession, slot: Int = 0, in directory: [UInt8], _ name: String, write: Bool, create: Bool,
              owner: String) async throws -> (NFSStateID, [UInt8]) {
        var r = try await s.compound(slot: slot, [.putfh(directory), .open(name, clientID: s.clientID, owner: Array(owner.utf8),
                                                                           write: write, create: create), .getfh])
        try r.skip(22)
        return (try r.openStateID(), try r.fileHandle())
    }

    /// A server that restarted with clients it knew refuses new opens (NFS4ERR_GRACE) until they had their
    /// chance to reclaim (RFC 8881 §8.4.2): wait that out, as a real client does, before timing anything.
    func waitOutGrace(_ s: NFSSession, in directory: [UInt8]) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        var told = false
        while true {
            do {
                let (id, handle) = try await open(s, in: directory, ".grace-probe", write: true, create: true, owner: "grace-probe")
                try await close(s, handle, id)
                _ = try await s.compound([.putfh(directory), .remove(".grace-probe")])
                return
            } catch let error as NFSStatusError where error.status == Self.nfs4errGrace && ContinuousClock.now < deadline {
                if !told { print("the server is in its grace period: waiting for it to end"); told = true }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    static let nfs4errGrace: UInt32 = 10013

    func close(_ s: NFSSession, slot: Int = 0, _ handle: [UInt8], _ id: NFSStateID) async throws {
        _ = try await s.compound(slot: slot, [.putfh(handle), .close(id)])
    }

    /// Runs `count` workers at once, each on the event loop of the session it calls through (`session(i)`),
    /// and returns their merged latencies and the wall time they took. A worker elsewhere would cost two thread
    /// switches per call (the loop resuming it, it handing its next call to the loop), client CPU taken from
    /// the server under test on the same machine.
    func concurrently(_ count: Int, through session: @escaping @Sendable (Int) -> NFSSession,
                      _ body: @escaping @Sendable (Int) async throws -> Latencies) async throws -> (Latencies, Double) {
        let start = ContinuousClock.now
        let merged = try await withThrowingTaskGroup(of: Latencies.self) { group in
            for i in 0..<count { group.addTask(executorPreference: session(i).rpc.executor) { try await body(i) } }
            return try await group.reduce(into: Latencies()) { $0.merge($1) }
        }
        return (merged, (ContinuousClock.now - start).seconds)
    }
}

/// A shared cursor handing out the next block of a sequential pass.
final class Cursor: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

extension NFSWorkloads {
    /// Every workload in order, in a fresh directory under the export that is removed at the end.
    func runAll() async throws -> [WorkloadFigures] {
        let sessions = try await withThrowingTaskGroup(of: NFSSession.self) { group in
            for _ in 0..<self.sessions { group.addTask { try await self.session() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let main = sessions[0]
        let export = try await exportHandle(main)
        let runName = "strata-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        var r = try await main.compound([.putfh(export), .mkdir(runName), .getfh])
        try r.skip(22); try r.skip(6)
        let run = try r.fileHandle()
        try await waitOutGrace(main, in: run)

        let wanted = { (names: [String]) in only.map { !$0.isDisjoint(with: names) } ?? true }
        var figures: [WorkloadFigures] = []
        if wanted(["create", "getattr", "readdir", "remove"]) { figures += try await self.metadata(sessions, in: run) }
        if wanted(["seq-write", "seq-read", "rand-read-4k", "rand-write-4k", "clients-getattr"]) {
            let file = try await sequentialWrite(in: run)
            figures.append(file.figures)
            if wanted(["seq-read"]) { figures.append(try await sequentialRead(file.handle, in: run)) }
            if wanted(["rand-read-4k"]) { figures.append(try await random(sessions, in: run, write: false)) }
            if wanted(["rand-write-4k"]) { figures.append(try await random(sessions, in: run, write: true)) }
            if wanted(["clients-getattr"]) { figures.append(try await manyClients(file.handle)) }
            _ = try await main.compound([.putfh(run), .remove("seq")])
        }
        if let only { figures.removeAll { !only.contains($0.name) } }

        _ = try await main.compound([.putfh(export), .remove(runName)])
        for s in sessions { await s.close() }
        return figures
    }
}
