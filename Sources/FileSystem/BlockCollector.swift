import BlockStore
import Logging
import MetadataStore
import Locking
import Synchronization

/// Deletes blocks that metadata no longer references. Blocks reach the garbage list in the same
/// transaction that drops their last reference, so the collector never races a reader of live data.
final class BlockCollector: Sendable {
    private let store: any MetadataStore
    private let blocks: any BlockStore
    private let logger = Logger(label: "strata.gc")
    private struct State { var running = false; var again = false }
    private let state = AdaptiveMutex(State())

    init(store: any MetadataStore, blocks: any BlockStore) { self.store = store; self.blocks = blocks }

    /// Starts a collection in the background unless one is running (which then goes round once more).
    func kick() {
        let start: Bool = state.withLock { s in
            if s.running { s.again = true; return false }
            s.running = true
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            repeat {
                do { try await collectAll() } catch { logger.warning("block collection failed: \(error)") }
            } while state.withLock({ s in
                if s.again { s.again = false; return true }
                s.running = false
                return false
            })
        }
    }

    /// Deletes every garbage block now; returns how many.
    @discardableResult
    func collectAll() async throws -> Int {
        var total = 0
        while true {
            let batch = try await store.read { try $0.garbage(limit: 1024) }
            if batch.isEmpty { return total }
            try await blocks.delete(batch.compactMap { BlockKey($0.block) })
            try await store.write { try $0.removeGarbage(batch.map(\.block)) }
            total += batch.count
        }
    }
}
