import BlockStore
import Logging
import MetadataStore
import Locking

/// Deletes blocks that metadata no longer references. Blocks reach the garbage list in the same
/// transaction that drops their last reference, so the collector never races a reader of live data.
final class BlockCollector: Sendable {
    private let store: any MetadataStore
    private let blocks: any BlockStore
    private let logger = Logger(label: "strata.gc")
    private struct State {
        var running = false
        var again = false
        var stopped = false
        /// `stop` callers waiting for the running collection to end.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = AdaptiveMutex(State())

    init(store: any MetadataStore, blocks: any BlockStore) { self.store = store; self.blocks = blocks }

    /// Starts a collection in the background unless one is running (which then goes round once more).
    func kick() {
        let start: Bool = state.withLock { s in
            if s.stopped { return false }
            if s.running { s.again = true; return false }
            s.running = true
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            repeat {
                do { try await collectAll() } catch { logger.warning("block collection failed: \(error)") }
            } while state.withLock({ s in
                if s.again && !s.stopped { s.again = false; return true }
                s.running = false
                return false
            })
            for waiter in state.withLock({ s in defer { s.stopWaiters = [] }; return s.stopWaiters }) { waiter.resume() }
        }
    }

    /// Starts no more collections and returns once the running one (if any) has ended, so the store it
    /// uses can be closed under it (what is left stays listed and is collected after the next start).
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits: Bool = state.withLock { s in
                s.stopped = true
                if s.running { s.stopWaiters.append(continuation) }
                return s.running
            }
            if !waits { continuation.resume() }
        }
    }

    /// Deletes every garbage block now; returns how many.
    @discardableResult
    func collectAll() async throws -> Int {
        var total = 0
        // A stop ends it between batches: closing waits for one batch, not for all there is.
        while !state.withLock({ $0.stopped }) {
            let batch = try await store.read { try $0.garbage(limit: 1024) }
            if batch.isEmpty { return total }
            try await blocks.delete(batch.compactMap { BlockKey($0.block) })
            try await store.write { try $0.removeGarbage(batch.map(\.block)) }
            total += batch.count
        }
        return total
    }
}
