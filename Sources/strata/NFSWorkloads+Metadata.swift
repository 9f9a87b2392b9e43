import NFSClient
import Synchronization

extension NFSWorkloads {
    /// Small files over all sessions: create+close, stat, readdir (whole listings), remove.
    func metadata(_ sessions: [NFSSession], in run: [UInt8]) async throws -> [WorkloadFigures] {
        let m = sessions.count
        let perSession = max(1, files / m)
        let names = (0..<m).map { s in (0..<perSession).map { "f\(s)-\($0)" } }
        let handles = HandleTable(count: m)

        let (created, createSeconds) = try await concurrently(m, through: { sessions[$0] }) { s in
            var latencies = newLatencies()
            var made: [[UInt8]] = []
            for name in names[s] {
                try await latencies.time {
                    let (id, handle) = try await open(sessions[s], in: run, name, write: true, create: true, owner: "o\(s)")
                    try await close(sessions[s], handle, id)
                    made.append(handle)
                }
            }
            handles.set(s, made)
            return latencies
        }
        let all = handles.all

        let statsPerSession = only.map { $0.contains("getattr") ? max(1, stats / m) : 0 } ?? max(1, stats / m)
        let (statted, statSeconds) = try await concurrently(m, through: { sessions[$0] }) { s in
            var latencies = newLatencies()
            var i = s
            for _ in 0..<statsPerSession {
                let handle = all[i % all.count]
                i &+= 7919
                _ = try await latencies.time { try await sessions[s].compound([.putfh(handle), .getattr(NFSAttribute.stat)]) }
            }
            return latencies
        }

        let entries = Cursor()
        let listsDirectory = only.map { $0.contains("readdir") } ?? true
        let passes = listsDirectory ? max(1, listings) : 0
        let (listed, listSeconds) = try await concurrently(listsDirectory ? m : 0, through: { sessions[$0] }) { s in
            var latencies = newLatencies()
            for _ in 0..<passes {
                var cookie: UInt64 = 0, verifier = [UInt8](repeating: 0, count: 8), eof = false
                while !eof {
                    var r = try await latencies.time {
                        try await sessions[s].compound([.putfh(run), .readdir(cookie: cookie, verifier: verifier, maxCount: 65536,
                                                                                attributes: [NFSAttribute.type, NFSAttribute.fileid])])
                    }
                    try r.skip(22)
                    let page = try r.directoryEntries()
                    for _ in page.entries { _ = entries.take() }
                    (verifier, eof) = (page.verifier, page.eof)
                    if let last = page.entries.last { cookie = last.cookie } else if !eof { throw RPCClientError("empty READDIR page") }
                }
            }
            return latencies
        }
        let entryCount = entries.take()
        let expected = all.count * m * passes
        guard entryCount == expected else { throw RPCClientError("listed \(entryCount) entries, expected \(expected)") }

        let (removed, removeSeconds) = try await concurrently(m, through: { sessions[$0] }) { s in
            var latencies = newLatencies()
            for name in names[s] {
                _ = try await latencies.time { try await sessions[s].compound([.putfh(run), .remove(name)]) }
            }
            return latencies
        }
        return [
            WorkloadFigures(name: "create", rate: Double(created.count) / createSeconds, unit: "ops/s", latencies: created),
            WorkloadFigures(name: "getattr", rate: Double(statted.count) / statSeconds, unit: "ops/s", latencies: statted),
            WorkloadFigures(name: "readdir", rate: Double(entryCount) / listSeconds, unit: "entries/s", latencies: listed),
            WorkloadFigures(name: "remove", rate: Double(removed.count) / removeSeconds, unit: "ops/s", latencies: removed),
        ]
    }
}

/// Each worker's file handles, gathered once all have finished.
final class HandleTable: Sendable {
    private let table: Mutex<[[[UInt8]]]>
    init(count: Int) { table = Mutex(Array(repeating: [], count: count)) }
    func set(_ worker: Int, _ handles: [[UInt8]]) { table.withLock { $0[worker] = handles } }
    var all: [[UInt8]] { table.withLock { $0.flatMap { $0 } } }
}
