import Synchronization

/// Committed inode rows kept in memory, exact because this process is the database's only writer (the
/// store holds an exclusive lock on its directory). The writer applies each batch after it commits; a reader
/// that missed the cache inserts what it read only if no commit happened meanwhile (the epoch is unchanged),
/// so a slow reader can never put back a value older than a commit.
final class InodeCache: Sendable {
    private struct State {
        var rows: [InodeID: Inode] = [:]
        var epoch: UInt64 = 0
    }
    private let state = Mutex(State())
    private let limit: Int

    init(limit: Int = 200_000) { self.limit = limit }

    var epoch: UInt64 { state.withLock { $0.epoch } }

    func get(_ id: InodeID) -> Inode? { state.withLock { $0.rows[id] } }

    func insert(_ inode: Inode, readAtEpoch epoch: UInt64) {
        state.withLock { s in
            guard s.epoch == epoch else { return }
            if s.rows.count >= limit { s.rows.removeAll(keepingCapacity: true) }
            s.rows[inode.id] = inode
        }
    }

    /// Applies a committed batch: new values, and nil for deleted inodes.
    func apply(_ changes: [InodeID: Inode?]) {
        state.withLock { s in
            s.epoch &+= 1
            if s.rows.count + changes.count > limit { s.rows.removeAll(keepingCapacity: true) }
            for (id, value) in changes { s.rows[id] = value }
        }
    }

    func invalidateAll() {
        state.withLock { s in s.epoch &+= 1; s.rows.removeAll() }
    }
}
