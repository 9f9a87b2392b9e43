import Dispatch
import GRDB
import Locking

/// Runs write transactions for many concurrent callers as few SQLite transactions: while one batch is
/// being committed, new requests queue up and then go together into the next. Each request runs inside its
/// own savepoint, so one that fails is rolled back alone. A committed batch goes to the `LogSyncer`, which
/// syncs the log on this thread and finishes its callers; what queued up meanwhile is the next batch.
final class GroupCommitter: Sendable {
    struct Request: Sendable {
        /// Runs the caller's body and keeps its result; throws to roll that request back.
        let run: @Sendable (SQLiteAccess) throws -> Void
        /// Called once with nil (committed) or the error the caller should see.
        let finish: @Sendable (Error?) -> Void
    }

    private struct State {
        var pending: [Request] = []
        var draining = false
        var closed = false
    }

    private let pool: DatabasePool
    private let cache: InodeCache
    private let syncer: LogSyncer
    private let state = AdaptiveMutex(State())
    private let queue = DispatchQueue(label: "strata.metadata.group-commit")
    private let maxBatch: Int

    init(pool: DatabasePool, cache: InodeCache, syncer: LogSyncer, maxBatch: Int = 512) {
        self.pool = pool; self.cache = cache; self.syncer = syncer; self.maxBatch = maxBatch
    }

    func submit(_ request: Request) {
        let (accepted, start): (Bool, Bool) = state.withLock { s in
            if s.closed { return (false, false) }
            s.pending.append(request)
            if s.draining { return (true, false) }
            s.draining = true
            return (true, true)
        }
        if !accepted { request.finish(MetadataStoreError.closed); return }
        if start { queue.async { self.drain() } }
    }

    /// Stops taking requests and waits until the queued ones are committed.
    func close() {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.draining }) { queue.sync {} }
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    private func drain() {
        while true {
            let batch: [Request] = state.withLock { s in
                let taken = Array(s.pending.prefix(maxBatch))
                s.pending.removeFirst(taken.count)
                if taken.isEmpty { s.draining = false }
                return taken
            }
            if batch.isEmpty { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [Request]) {
        if let failure = syncer.failure { return finish(batch, failing: failure) }
        var outcomes = [Error?](repeating: nil, count: batch.count)
        var changes: [InodeID: Inode?] = [:]
        var chunkEdits: [InodeID: [Int64: Chunk?]] = [:]
        var created: Set<InodeID> = []
        var invalidate = false
        do {
            try pool.writeWithoutTransaction { db in
                try Self.inTransaction(db) {
                    let access = SQLiteAccess(db, cache: cache, writable: true)
                    let begin = try db.cachedStatement(sql: "SAVEPOINT request")
                    let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT request")
                    let rollback = try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT request")
                    for (i, request) in batch.enumerated() {
                        try begin.rawExecute()
                        do {
                            try request.run(access)
                            try release.rawExecute()
                            access.keepOperationChanges()
                        } catch {
                            // A rollback that fails leaves the request half done: it aborts the whole batch.
                            try rollback.rawExecute()
                            try release.rawExecute()
                            access.discardOperationChanges()
                            outcomes[i] = error
                        }
                    }
                    try access.writeUpdatedInodes()
                    changes = access.batchChanges
                    created = access.batchCreated
                    chunkEdits = access.batchChunkEdits
                    invalidate = access.invalidatesCache
                }
            }
            if invalidate { cache.invalidateAll() } else { cache.apply(changes, chunkEdits: chunkEdits, created: created) }
        } catch {
            // The commit itself failed: nothing in the batch is durable.
            cache.invalidateAll()
            return finish(batch, failing: error)
        }
        syncer.acknowledge(zip(batch, outcomes).map { LogSyncer.Acknowledgement(finish: $0.finish, outcome: $1) })
    }

    /// One write transaction, its statements prepared once (GRDB's `inTransaction` and `inSavepoint` parse
    /// their SQL on every call, a cost paid per batch of often only a few requests).
    private static func inTransaction(_ db: Database, _ body: () throws -> Void) throws {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            // A failed COMMIT can leave the transaction open: it must not leak into the next batch.
            if db.isInsideTransaction { try? db.rollback() }
            throw error
        }
    }

    /// Fails a whole batch. Waking the callers (a write to an eventfd each) is off this thread, which every
    /// metadata write waits for.
    private func finish(_ batch: [Request], failing error: Error) {
        DispatchQueue.global().async {
            for request in batch { request.finish(error) }
        }
    }
}
