import Foundation
import GRDB
@testable import MetadataStore
import Testing

/// The log-buffering VFS, on a plain WAL database (no checkpoints: what the log holds is all there is).
/// Each test copies the database and its log while the writer is still open, and opens the copy: SQLite
/// then rebuilds its index from the log and checks every frame's checksum, so the copy holds exactly the
/// transactions whose frames had reached the file.
@Suite struct LogBufferTests {
    private static func open(_ path: String, cachePages: Int? = nil) throws -> DatabaseQueue {
        try LogBuffer.register()
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            if let cachePages { try db.execute(sql: "PRAGMA cache_size = \(cachePages)") }
        }
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        }
        return queue
    }

    /// The database file and its log, copied to a new directory (not the shared-memory index).
    private static func copyOfFiles(_ path: String) throws -> String {
        let dir = StoreEngine.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] { try FileManager.default.copyItem(atPath: path + suffix, toPath: dir + "/copy.sqlite" + suffix) }
        return dir + "/copy.sqlite"
    }

    private static func bodies(_ path: String) throws -> [Int64: [UInt8]] {
        let copy = try DatabaseQueue(path: path)
        defer { try? copy.close() }
        return try copy.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            var found: [Int64: [UInt8]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, body FROM t") { found[row[0]] = [UInt8]((row[1] as Data)) }
            return found
        }
    }

    private static func body(_ id: Int, _ size: Int, _ round: UInt8 = 0) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ id &+ Int(round)) }
    }

    @Test func aCommitsFramesReachTheLogInOneWriteBeforeItReturns() throws {
        let path = StoreEngine.scratch() + ".sqlite"
        let queue = try Self.open(path)
        try queue.write { db in _ = db }  // the log is open from here on
        let before = try #require(try queue.writeWithoutTransaction { LogBuffer.counts($0) })
        try queue.write { db in
            for id in 0..<16 { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [id, Data(Self.body(id, 3000))]) }
        }
        let after = try #require(try queue.writeWithoutTransaction { LogBuffer.counts($0) })
        // About a dozen pages, each a header and a page from SQLite; one write to the file (two where it
        // crosses a 64 KiB boundary).
        #expect(after.calls - before.calls >= 20)
        #expect(after.writes - before.writes <= 2)
        let copied = try Self.bodies(try Self.copyOfFiles(path))
        #expect(copied.count == 16)
        #expect(copied.allSatisfy { $0.value == Self.body(Int($0.key), 3000) })
        try queue.close()
    }

    @Test func aTransactionLargerThanTheBufferCommitsWhole() throws {
        let path = StoreEngine.scratch() + ".sqlite"
        let queue = try Self.open(path)
        // 20 MiB of frames: past the 8 MiB buffer, and hundreds of the 64 KiB pieces a write is cut into.
        try queue.write { db in
            for id in 0..<400 { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [id, Data(Self.body(id, 50_000))]) }
        }
        let copied = try Self.bodies(try Self.copyOfFiles(path))
        #expect(copied.count == 400)
        #expect(copied.allSatisfy { $0.value == Self.body(Int($0.key), 50_000) })
        try queue.close()
    }

    @Test func aTransactionThatSpilledAndRewroteItsFramesIsWholeInTheLog() throws {
        let path = StoreEngine.scratch() + ".sqlite"
        // A tiny cache makes SQLite write pages to the log mid-transaction, then write them again in place
        // and rewrite the frames' checksums at commit (the commit frame's header last).
        let queue = try Self.open(path, cachePages: 10)
        try queue.write { db in
            for round: UInt8 in 0..<2 {
                for id in 0..<300 {
                    try db.execute(sql: "INSERT OR REPLACE INTO t VALUES (?, ?)", arguments: [id, Data(Self.body(id, 1500, round))])
                }
            }
        }
        let copied = try Self.bodies(try Self.copyOfFiles(path))
        #expect(copied.count == 300)
        #expect(copied.allSatisfy { $0.value == Self.body(Int($0.key), 1500, 1) })
        try queue.close()
    }

    @Test func aLogRestartedAfterACheckpointKeepsLaterCommits() throws {
        let path = StoreEngine.scratch() + ".sqlite"
        let queue = try Self.open(path)
        try queue.write { db in
            for id in 0..<50 { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [id, Data(Self.body(id, 2000))]) }
        }
        // Everything checkpointed: the next transaction writes a new log header and starts over at its front.
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        for id in 50..<53 {
            try queue.write { db in try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [id, Data(Self.body(id, 100))]) }
        }
        let copied = try Self.bodies(try Self.copyOfFiles(path))
        #expect(copied.count == 53)
        #expect(copied[52].map { $0 == Self.body(52, 100) } == true)
        try queue.close()
    }
}
