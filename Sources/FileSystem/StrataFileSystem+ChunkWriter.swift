import BlockStore
import MetadataStore
import NIOCore

/// Turns per-chunk extents into chunk records: whole new bases, or slices over an existing base, with
/// their blocks put first and the records swapped in by compare-and-swap in one transaction.
extension StrataFileSystem {
    /// `data` at `offset` as per-chunk extents (slices, no copies).
    func extents(of data: ByteBuffer, at offset: UInt64) -> [(index: Int64, extents: [WriteBack.Extent])] {
        let chunk = UInt64(chunkSize)
        let end = offset + UInt64(data.readableBytes)
        return (Int64(offset / chunk)...Int64((end - 1) / chunk)).map { index in
            let start = UInt64(index) * chunk
            let lower = max(offset, start), upper = min(end, start + chunk)
            let piece = data.getSlice(at: data.readerIndex + Int(lower - offset), length: Int(upper - lower))!
            return (index, [WriteBack.Extent(offset: Int(lower - start), data: piece)])
        }
    }

    func writeRetrying(_ ino: InodeID, _ pieces: [(index: Int64, extents: [WriteBack.Extent])], end: UInt64,
                               writes: UInt64, mtime: Timestamp?) async throws(FSError) -> Inode {
        // Another gateway may change the same chunks between planning and commit: retry then.
        for _ in 0..<16 {
            if let written = try await writeOnce(ino, pieces, end: end, writes: writes, mtime: mtime) { return written }
        }
        throw FSError.io
    }

    fileprivate struct PlannedChunk: Sendable {
        /// The record to store.
        var chunk: Chunk
        /// The chunk this one was built on, which must still be there at commit (nil: none was).
        var replaces: Chunk?
        /// Covers its whole chunk, so it replaces whatever is there without reading or checking it.
        var whole: Bool
    }

    /// New bases written by one flush share a block, up to this many: a 1 GiB write is 64 files rather than
    /// 1,024 (creating and syncing a file costs more than its bytes), while a block that outlives most of its
    /// chunks holds at most this many chunks' worth of bytes nobody reads.
    static let chunksPerBlock = 16

    /// A chunk takes its dirty extents as slices (no read, no rewrite) when they are small, lie inside what
    /// it already holds, and it has few slices yet; otherwise it is rewritten whole (which folds its slices).
    static let maxSlicesPerChunk = 256

    private func takesSlices(_ extents: [WriteBack.Extent], over old: Chunk?) -> Bool {
        guard let old, old.slices.count + extents.count <= Self.maxSlicesPerChunk else { return false }
        // A write of everything the chunk holds replaces it without reading it: no slice needed.
        if replacesAllHeld(extents, old) { return false }
        return extents.allSatisfy { $0.end <= old.length } && extents.reduce(0) { $0 + $1.data.readableBytes } <= chunkSize / 2
    }

    /// One extent from the chunk's start past everything `old` held (nothing held counts as nothing to keep).
    private func replacesAllHeld(_ extents: [WriteBack.Extent], _ old: Chunk?) -> Bool {
        extents.count == 1 && extents[0].offset == 0 && extents[0].end >= (old?.length ?? 0)
    }

    /// Puts the new blocks, then swaps them in if no chunk changed meanwhile; nil when one did. `writes` is
    /// how far `change` moves, and `mtime` (nil: untouched) the modification time to record.
    func writeOnce(_ ino: InodeID, _ pieces: [(index: Int64, extents: [WriteBack.Extent])], end: UInt64,
                   writes: UInt64, mtime: Timestamp?) async throws(FSError) -> Inode? {
        try await commit(try await prepare(ino, pieces), end: end, writes: writes, mtime: mtime)
    }

    /// New chunk records for `pieces`, their new blocks already in the block store (durable, or staged).
    struct PreparedWrite: Sendable {
        var ino: InodeID
        fileprivate var plan: [PlannedChunk]
        var newBlocks: [BlockKey]

        /// Writes of whole chunks, prepared one after another, as one (they do not depend on what the
        /// chunks held, so later ones simply win).
        init(wholeChunks parts: [PreparedWrite]) {
            ino = parts[0].ino
            plan = parts.flatMap(\.plan)
            newBlocks = parts.flatMap(\.newBlocks)
        }

        fileprivate init(ino: InodeID, plan: [PlannedChunk], newBlocks: [BlockKey]) {
            self.ino = ino; self.plan = plan; self.newBlocks = newBlocks
        }
    }

    /// Whether `extents` (sorted) cover their whole chunk, so its old content does not matter.
    func coversChunk(_ extents: [WriteBack.Extent]) -> Bool {
        var reached = 0
        for e in extents { if e.offset > reached { return false }; reached = max(reached, e.end) }
        return reached == chunkSize
    }

    /// Reads what partial chunks need, builds new bases or slices, and puts their blocks (the slow part,
    /// which needs no lock: nothing refers to the blocks until `commit`). Not `durable`: the blocks are
    /// staged, and must be synced before the commit.
    func prepare(_ ino: InodeID, _ pieces: [(index: Int64, extents: [WriteBack.Extent])],
                 priority: IOPriority = .foreground, durable: Bool = true) async throws(FSError) -> PreparedWrite {
        let covers = coversChunk
        // Chunks written whole need nothing of the old content: skip reading it (one transaction fewer).
        let partial = pieces.filter { !covers($0.extents) }.map(\.index)
        let existing: [Chunk] = partial.isEmpty ? [] : try await reading { r in
            let inode = try self.node(r, ino)
            guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
            // One ranged read, not one per chunk: a reader that cannot cache the file's chunk map reads it
            // whole on every call.
            let wanted = Set(partial)
            return try r.chunks(ino, in: partial.min()!...partial.max()!).filter { wanted.contains($0.index) }
        }
        let byIndex = Dictionary(existing.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var plan: [PlannedChunk] = []
        // Every slice of this batch goes into one shared block; new bases into blocks of `chunksPerBlock`.
        let sliceKey = BlockKey.random()
        var sliceParts: [ByteBuffer] = []
        var sliceBytes = 0
        var baseBlocks: [(key: BlockKey, parts: [ByteBuffer], bytes: Int)] = []
        for (index, extents) in pieces {
            let whole = covers(extents)
            let old = whole ? nil : byIndex[index]
            if !whole, takesSlices(extents, over: old), var chunk = old {
                for e in extents {
                    chunk.slices.append(Slice(offset: e.offset, length: e.data.readableBytes, block: sliceKey.rawValue,
                                              blockOffset: sliceBytes))
                    sliceParts.append(e.data)
                    sliceBytes += e.data.readableBytes
                }
                plan.append(PlannedChunk(chunk: chunk, replaces: old, whole: false))
                continue
            }
            let length = max(old?.length ?? 0, extents.last!.end)
            var bytes: ByteBuffer
            if replacesAllHeld(extents, old) {
                bytes = extents[0].data  // no need to read the old content
            } else {
                bytes = allocator.buffer(capacity: length)
                if let old, old.length > 0 {
                    var previous = try await fetch(old, 0..<old.length)
                    bytes.writeBuffer(&previous)
                }
                if bytes.writerIndex < length { bytes.writeRepeatingByte(0, count: length - bytes.writerIndex) }
                for e in extents { bytes.setBuffer(e.data, at: e.offset) }
            }
            if baseBlocks.last.map({ $0.parts.count == Self.chunksPerBlock }) ?? true {
                baseBlocks.append((BlockKey.random(), [], 0))
            }
            let shared = baseBlocks.count - 1
            plan.append(PlannedChunk(chunk: Chunk(inode: ino, index: index, block: baseBlocks[shared].key.rawValue,
                                                  length: length, blockOffset: baseBlocks[shared].bytes),
                                     replaces: old, whole: whole))
            baseBlocks[shared].parts.append(bytes)
            baseBlocks[shared].bytes += bytes.readableBytes
        }
        var newBlocks = baseBlocks.map { (key: $0.key, parts: $0.parts, readBack: ReadBack.likely) }
        // Scattered small writes are read back piecemeal if at all: their block skips the page cache.
        if sliceBytes > 0 { newBlocks.append((sliceKey, sliceParts, .unlikely)) }
        try await putBlocks(newBlocks, priority: priority, durable: durable)
        return PreparedWrite(ino: ino, plan: plan, newBlocks: newBlocks.map(\.key))
    }

    /// Swaps prepared chunks in if none changed since they were read; nil (and the blocks deleted) if one did.
    /// A failed commit deletes the blocks too, unless they are `kept` (staged blocks, whose bytes are
    /// nowhere else: the landing is tried again).
    func commit(_ prepared: PreparedWrite, end: UInt64, writes: UInt64, mtime: Timestamp?,
                keepingBlocks kept: Bool = false) async throws(FSError) -> Inode? {
        let planned = prepared.plan, ino = prepared.ino
        do {
            let inode = try await store.write { [id] w -> Inode? in
                guard var inode = try w.inode(ino), inode.fileSystem == id else { throw FSError.stale }
                guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
                for piece in planned where !piece.whole {
                    let current = try w.chunks(ino, in: piece.chunk.index...piece.chunk.index).first
                    guard current == piece.replaces else { return nil }
                }
                for piece in planned { try w.putChunk(piece.chunk) }
                inode.size = max(inode.size, end)
                if let mtime { inode.mtime = mtime; inode.ctime = max(inode.ctime, mtime) }
                inode.change &+= writes
                try w.updateInode(inode)
                return inode
            }
            if inode == nil { await discard(prepared.newBlocks) }
            if planned.contains(where: { $0.whole || $0.replaces != nil }) { collector.kick() }
            return inode
        } catch {
            if !kept { await discard(prepared.newBlocks) }
            throw mapped(error)
        }
    }

    private func putBlocks(_ blocks: [(key: BlockKey, parts: [ByteBuffer], readBack: ReadBack)],
                           priority: IOPriority, durable: Bool) async throws(FSError) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for block in blocks {
                    group.addTask {
                        if durable {
                            try await self.blocks.put(block.key, parts: block.parts, priority: priority, readBack: block.readBack)
                        } else {
                            try await self.blocks.stage(block.key, parts: block.parts, priority: priority)
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            await discard(blocks.map(\.key))
            throw mapped(error)
        }
    }

    /// Deletes blocks that no metadata will reference.
    func discard(_ keys: [BlockKey]) async {
        try? await blocks.delete(keys)
    }

    struct FlushBatch {
        var pieces: [(index: Int64, extents: [WriteBack.Extent])]
        var end: UInt64
        var writes: UInt64
        var mtime: Timestamp?
        var last: Bool
    }

    /// A generation in batches of about 64 chunks' worth of work, one transaction each; the last also moves
    /// size, mtime and change as the writes did (so attributes seen before the flush stay the same after it).
    /// A chunk that will likely take its writes as slices costs only their bytes (nothing is read or
    /// rewritten), so a generation of scattered small writes lands as one block and one transaction.
    func batches(of generation: WriteBack.Generation) -> [FlushBatch] {
        let budget = 64 * chunkSize
        var groups: [[(index: Int64, extents: [WriteBack.Extent])]] = []
        var spent = 0
        for index in generation.chunks.keys.sorted() {
            let extents = generation.chunks[index]!
            let bytes = extents.reduce(0) { $0 + $1.data.readableBytes }
            let cost = bytes <= chunkSize / 2 ? bytes : chunkSize
            if groups.isEmpty || spent + cost > budget { groups.append([]); spent = 0 }
            groups[groups.count - 1].append((index: index, extents: extents))
            spent += cost
        }
        return groups.enumerated().map { number, pieces in
            let last = number == groups.count - 1
            let end = pieces.map { UInt64($0.index) * UInt64(chunkSize) + UInt64($0.extents.last!.end) }.max()!
            return FlushBatch(pieces: pieces, end: last ? max(end, generation.end) : end,
                              writes: last ? generation.writes : 0, mtime: last ? generation.mtime : nil, last: last)
        }
    }
}
