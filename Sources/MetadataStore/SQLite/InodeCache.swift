import Locking

/// Committed inode rows, and whole chunk maps of files read lately, kept in memory, exact because this
/// process is the database's only writer (the store holds an exclusive lock on its directory). The writer applies each batch after it commits; a reader
/// that missed the cache inserts what it read only if no commit happened meanwhile (the epoch is unchanged),
/// so a slow reader can never put back a value older than a commit.
final class InodeCache: Sendable {
    private struct State {
        var rows: [InodeID: Inode] = [:]
        /// A file's every chunk, in index order.
        var chunkMaps: [InodeID: [Chunk]] = [:]
        var cachedChunks = 0
        var epoch: UInt64 = 0
    }
    private let state = AdaptiveMutex(State())
    private let limit: Int
    private let chunkLimit: Int
    /// Files with more chunks than this are read by range, never cached whole.
    static let chunkMapLimit = 4096

    init(limit: Int = 200_000, chunkLimit: Int = 1_000_000) { self.limit = limit; self.chunkLimit = chunkLimit }

    var epoch: UInt64 { state.withLock { $0.epoch } }

    func get(_ id: InodeID) -> Inode? { state.withLock { $0.rows[id] } }

    /// Several rows under one lock; nil where one is not cached.
    func get(_ ids: [InodeID]) -> [Inode?] { state.withLock { s in ids.map { s.rows[$0] } } }

    func insert(_ inode: Inode, readAtEpoch epoch: UInt64) {
        state.withLock { s in
            guard s.epoch == epoch else { return }
            if s.rows.count >= limit { s.rows.removeAll(keepingCapacity: true) }
            s.rows[inode.id] = inode
        }
    }

    func chunkMap(_ id: InodeID) -> [Chunk]? { state.withLock { $0.chunkMaps[id] } }

    /// An inode and its chunks in `indexes`, when both are cached (read under one lock, so from one state).
    func cachedFile(_ id: InodeID, in indexes: ClosedRange<Int64>) -> (Inode, [Chunk])? {
        state.withLock { s in
            guard let inode = s.rows[id], let map = s.chunkMaps[id] else { return nil }
            return (inode, Self.slice(map, indexes))
        }
    }

    /// The chunks of a sorted map whose index is in `indexes`.
    static func slice(_ map: [Chunk], _ indexes: ClosedRange<Int64>) -> [Chunk] {
        var low = 0, high = map.count
        while low < high { let mid = (low + high) / 2; if map[mid].index < indexes.lowerBound { low = mid + 1 } else { high = mid } }
        var result: [Chunk] = []
        var i = low
        while i < map.count, map[i].index <= indexes.upperBound { result.append(map[i]); i += 1 }
        return result
    }

    func insertChunkMap(_ id: InodeID, _ chunks: [Chunk], readAtEpoch epoch: UInt64) {
        state.withLock { s in
            guard s.epoch == epoch, s.chunkMaps[id] == nil else { return }
            if s.cachedChunks + chunks.count > chunkLimit { s.chunkMaps.removeAll(keepingCapacity: true); s.cachedChunks = 0 }
            s.chunkMaps[id] = chunks
            s.cachedChunks += chunks.count
        }
    }

    /// Applies a committed batch: new values, nil for deleted inodes, and the chunks it put (nil: removed).
    /// Cached chunk maps are edited in place rather than dropped, so a file being flushed chunk by chunk is
    /// never read back whole from SQLite (with all its slices) after every commit. Inodes the batch
    /// `created` start with an empty map (removing a small file then asks SQLite for no chunks).
    func apply(_ changes: [InodeID: Inode?], chunkEdits: [InodeID: [Int64: Chunk?]] = [:], created: Set<InodeID> = []) {
        state.withLock { s in
            s.epoch &+= 1
            if s.rows.count + changes.count > limit { s.rows.removeAll(keepingCapacity: true) }
            for (id, value) in changes {
                s.rows[id] = value
                // A deleted file's map goes.
                if value == nil, let map = s.chunkMaps.removeValue(forKey: id) { s.cachedChunks -= map.count }
            }
            if s.chunkMaps.count + created.count > limit { s.chunkMaps.removeAll(keepingCapacity: true); s.cachedChunks = 0 }
            for id in created where s.rows[id] != nil && s.chunkMaps[id] == nil { s.chunkMaps[id] = [] }
            for (id, edits) in chunkEdits {
                guard var map = s.chunkMaps.removeValue(forKey: id) else { continue }
                s.cachedChunks -= map.count
                // One grown past the limit is read by range from now on.
                Self.edit(&map, edits.map { ($0.key, $0.value) })
                guard map.count <= Self.chunkMapLimit, s.cachedChunks + map.count <= chunkLimit else { continue }
                s.chunkMaps[id] = map
                s.cachedChunks += map.count
            }
        }
    }

    /// Replaces, inserts or removes (nil) chunks of a sorted map by index, keeping it sorted.
    static func edit(_ map: inout [Chunk], _ edits: [(index: Int64, chunk: Chunk?)]) {
        for (index, chunk) in edits {
            var low = 0, high = map.count
            while low < high { let mid = (low + high) / 2; if map[mid].index < index { low = mid + 1 } else { high = mid } }
            let present = low < map.count && map[low].index == index
            switch (chunk, present) {
            case let (chunk?, true): map[low] = chunk
            case let (chunk?, false): map.insert(chunk, at: low)
            case (nil, true): map.remove(at: low)
            case (nil, false): break
            }
        }
    }

    func invalidateAll() {
        state.withLock { s in s.epoch &+= 1; s.rows.removeAll(); s.chunkMaps.removeAll(); s.cachedChunks = 0 }
    }
}
