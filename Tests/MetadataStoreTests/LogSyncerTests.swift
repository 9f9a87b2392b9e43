import Dispatch
import Foundation
import GRDB
@testable import MetadataStore
import Synchronization
import Testing

/// A commit's caller hears of it only once the write-ahead log holding it is on disk.
@Suite struct LogSyncerTests {
    /// A log whose syncs block until the test lets each one return, and that records what each covered.
    final class HeldLog: Sendable {
        let started = Atomic<Int>(0)
        let gates = (0..<4).map { _ in DispatchSemaphore(value: 0) }
        let result: Int32
        init(result: Int32 = 0) { self.result = result }
        func sync() -> Int32 {
            let n = started.add(1, ordering: .relaxed).oldValue
            gates[n].wait()
            return result
        }
    }

    final class Finished: Sendable {
        let outcomes = Mutex<[String: String]>([:])
        func ack(_ name: String, _ outcome: Error? = nil) -> LogSyncer.Acknowledgement {
            .init(finish: { error in self.outcomes.withLock { $0[name] = error.map { "\($0)" } ?? "ok" } }, outcome: outcome)
        }
        subscript(_ name: String) -> String? { outcomes.withLock { $0[name] } }
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        var tries = 0
        while !condition(), tries < 1000 { try await Task.sleep(for: .milliseconds(2)); tries += 1 }
        #expect(condition())
    }

    @Test func callersAreFinishedOnlyOnceTheSyncAfterTheirCommitHasReturned() async throws {
        let log = HeldLog(), done = Finished()
        let syncer = LogSyncer(sync: { log.sync() })
        DispatchQueue.global().async { syncer.acknowledge([done.ack("a1"), done.ack("a2", Boom())]) }
        try await waitUntil { log.started.load(ordering: .relaxed) == 1 }
        try await Task.sleep(for: .milliseconds(20))
        #expect(done["a1"] == nil && done["a2"] == nil, "nobody hears of a commit while its sync is under way")

        log.gates[0].signal()
        try await waitUntil { done["a1"] != nil && done["a2"] != nil }
        #expect(done["a1"] == "ok")
        #expect(done["a2"] == "\(Boom())", "a request that was rolled back keeps its own error")
        syncer.close()
        #expect(syncer.syncs.load(ordering: .relaxed) == 1)
    }

    @Test func aFailedSyncFailsItsCallersAndEveryLaterOne() async throws {
        let log = HeldLog(result: EIO), done = Finished()
        let syncer = LogSyncer(sync: { log.sync() })
        log.gates[0].signal()
        syncer.acknowledge([done.ack("first")])
        try await waitUntil { done["first"] != nil }
        #expect(done["first"]?.contains("errno \(EIO)") == true)
        #expect(syncer.failure != nil)

        // Nothing can be made durable any more: later callers fail without another sync.
        syncer.acknowledge([done.ack("later")])
        try await waitUntil { done["later"] != nil }
        #expect(done["later"]?.contains("errno \(EIO)") == true)
        #expect(log.started.load(ordering: .relaxed) == 1)
        syncer.close()
    }

    @Test func afterAFailedSyncTheCommitterCommitsNothingMore() async throws {
        let dir = StoreEngine.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: dir + "/metadata.sqlite")
        try SQLiteSchema.migrator().migrate(pool)
        let log = HeldLog(result: EIO)
        log.gates[0].signal()
        let committer = GroupCommitter(pool: pool, cache: InodeCache(), syncer: LogSyncer(sync: { log.sync() }))
        let submit = { () async -> Error? in
            await withCheckedContinuation { continuation in
                committer.submit(.init(
                    run: { access in _ = try access.createFileSystem(root: sampleInode(0, .directory), chunkSize: 1 << 20) },
                    finish: { continuation.resume(returning: $0) }))
            }
        }
        #expect(await submit() != nil)
        #expect(await submit() != nil)
        committer.close()
        // The first was committed before its sync failed; the second never ran.
        #expect(try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM filesystem") } == 1)
        try pool.close()
    }

    @Test func whatArrivesDuringASyncIsCommittedTogetherAfterIt() async throws {
        let dir = StoreEngine.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: dir + "/metadata.sqlite")
        try SQLiteSchema.migrator().migrate(pool)
        let log = HeldLog(), done = Finished()
        let committer = GroupCommitter(pool: pool, cache: InodeCache(), syncer: LogSyncer(sync: { log.sync() }))
        let ran = Mutex<[String]>([])
        let submit = { (name: String) in
            committer.submit(.init(run: { _ in ran.withLock { $0.append(name) } }, finish: done.ack(name).finish))
        }
        submit("a")
        try await waitUntil { log.started.load(ordering: .relaxed) == 1 }
        submit("b"); submit("c")
        try await Task.sleep(for: .milliseconds(20))
        #expect(ran.withLock { $0 } == ["a"], "b and c wait while a's sync is under way")
        #expect(done["a"] == nil)

        log.gates[0].signal()
        try await waitUntil { log.started.load(ordering: .relaxed) == 2 }
        #expect(done["a"] == "ok")
        #expect(ran.withLock { $0 } == ["a", "b", "c"] && done["b"] == nil && done["c"] == nil)
        log.gates[1].signal()
        try await waitUntil { done["b"] != nil && done["c"] != nil }
        committer.close()
        #expect(done["b"] == "ok" && done["c"] == "ok")
        #expect(log.started.load(ordering: .relaxed) == 2, "b and c were committed together and shared one sync")
        try pool.close()
    }

    @Test func aStoreWriteReturnsOnlyAfterTheLogIsSynced() async throws {
        let store = try SQLiteMetadataStore(directory: StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        for _ in 0..<3 {
            let before = store.logSyncs
            _ = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
            #expect(store.logSyncs > before)
        }
        try await store.close()
    }
}
