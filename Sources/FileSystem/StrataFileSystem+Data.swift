import BlockStore
import MetadataStore
import NIOCore

/// read, write, commit. File data lives in fixed-size chunks; each chunk names one immutable block.
extension StrataFileSystem {
    public func read(_ ino: InodeID, offset: UInt64, count: Int) async throws(FSError) -> (data: ByteBuffer, eof: Bool) {
        guard count >= 0 else { throw .invalid }
        // Reads see unstable writes by flushing them first (a file being read back is done being written).
        try await flushPending(ino)
        let (inode, chunks) = try await fileChunks(ino, offset: offset, count: count)
        guard count > 0, offset < inode.size else { return (allocator.buffer(capacity: 0), offset >= inode.size) }
        let end = min(inode.size, offset + UInt64(count))
        let data = try await assemble(offset..<end, from: chunks)
        try await touchAccessTime(inode)
        return (data, end == inode.size)
    }

    /// The inode and the chunks a read of `count` bytes at `offset` needs (from memory when cached).
    private func fileChunks(_ ino: InodeID, offset: UInt64, count: Int) async throws(FSError) -> (Inode, [Chunk]) {
        let chunk = UInt64(chunkSize)
        // The range asked for may run past the end; chunks there do not exist, so asking costs nothing.
        let start = min(offset, Limits.maxFileSize - 1)
        let last = min(Limits.maxFileSize, start + UInt64(max(count, 1)))
        let indexes = Int64(start / chunk)...Int64((last - 1) / chunk)
        let found: (Inode?, [Chunk])
        do { found = try await store.inodeAndChunks(ino, in: indexes) } catch { throw mapped(error) }
        guard let inode = found.0, inode.fileSystem == id else { throw .stale }
        guard inode.type == .regular else { throw inode.type == .directory ? .isDirectory : .invalid }
        guard count > 0, offset < inode.size else { return (inode, []) }
        let end = min(inode.size, offset + UInt64(count))
        return (inode, found.1.filter { UInt64($0.index) * chunk < end })
    }

    /// The bytes of `range` from the chunks that cover it; holes and bytes past a chunk's length are zeros.
    private func assemble(_ range: Range<UInt64>, from chunks: [Chunk]) async throws(FSError) -> ByteBuffer {
        let chunk = UInt64(chunkSize)
        // One chunk holding the whole range: hand the block's bytes back without copying.
        if chunks.count == 1, let only = chunks.first {
            let start = UInt64(only.index) * chunk
            if range.lowerBound >= start, range.upperBound <= start + UInt64(only.length) {
                return try await fetch(only, Int(range.lowerBound - start)..<Int(range.upperBound - start))
            }
        }
        var out = allocator.buffer(capacity: Int(range.count))
        for piece in chunks {
            let start = UInt64(piece.index) * chunk
            let lower = max(range.lowerBound, start), upper = min(range.upperBound, start + UInt64(piece.length))
            guard lower < upper else { continue }
            let gap = Int(lower - range.lowerBound) - out.writerIndex
            if gap > 0 { out.writeRepeatingByte(0, count: gap) }
            var bytes = try await fetch(piece, Int(lower - start)..<Int(upper - start))
            out.writeBuffer(&bytes)
        }
        if out.writerIndex < range.count { out.writeRepeatingByte(0, count: Int(range.count) - out.writerIndex) }
        return out
    }

    /// `range` of a chunk: its base block's bytes with its slices laid over them in order.
    private func fetch(_ piece: Chunk, _ range: Range<Int>) async throws(FSError) -> ByteBuffer {
        var bytes = try await fetchBlock(piece.block, range)
        for slice in piece.slices {
            let lower = max(range.lowerBound, slice.offset), upper = min(range.upperBound, slice.end)
            guard lower < upper else { continue }
            let start = slice.blockOffset + lower - slice.offset
            let part = try await fetchBlock(slice.block, start..<start + upper - lower)
            bytes.setBuffer(part, at: bytes.readerIndex + lower - range.lowerBound)
        }
        return bytes
    }

    private func fetchBlock(_ block: String, _ range: Range<Int>) async throws(FSError) -> ByteBuffer {
        guard let key = BlockKey(block) else { throw .io }
        var bytes: ByteBuffer
        do { bytes = try await blocks.get(key, range: range) } catch { throw mapped(error) }
        // A block is never shorter than its chunk's length; if it were, zeros are safer than a short read.
        if bytes.readableBytes < range.count { bytes.writeRepeatingByte(0, count: range.count - bytes.readableBytes) }
        return bytes
    }

    /// relatime: atime moves when it is older than the last modification or a day old; it does not move
    /// `change` (clients would otherwise drop their caches on every read).
    private func touchAccessTime(_ inode: Inode) async throws(FSError) {
        let now = Timestamp.now()
        guard inode.atime <= inode.mtime || inode.atime <= inode.ctime
                || now.nanoseconds - inode.atime.nanoseconds > 86_400_000_000_000 else { return }
        try await writing { w in
            guard var fresh = try w.inode(inode.id) else { return }
            fresh.atime = now
            try w.updateInode(fresh)
        }
    }

    public func write(_ ino: InodeID, offset: UInt64, _ data: ByteBuffer, stable: Stability) async throws(FSError) -> WriteResult {
        let count = data.readableBytes
        guard offset <= Limits.maxFileSize, UInt64(count) <= Limits.maxFileSize - offset else { throw .fileTooLarge }
        let inode = try await loadInode(ino)
        guard inode.type == .regular else { throw inode.type == .directory ? .isDirectory : .invalid }
        guard count > 0 else {
            return WriteResult(count: 0, committed: .fileSync, verifier: writeVerifier, attributes: try await getattr(ino))
        }
        if stable == .unstable {
            // Kept in memory until COMMIT, CLOSE, a size limit or a few seconds pass (see PendingWrites).
            let (attributes, flushNow) = try await fileLocks.withLock(ino) { () async throws(FSError) -> (Attributes, Bool) in
                let flushNow = self.pending.add(ino, offset: offset, data, chunkSize: self.chunkSize, owner: self)
                var attributes = Attributes(try await self.loadInode(ino))
                if let file = self.pending.summary(ino) { attributes.include(file) }
                return (attributes, flushNow)
            }
            // A flush keeps the attributes the client was just given.
            if flushNow { try await flushPending(ino) }
            return WriteResult(count: count, committed: .unstable, verifier: writeVerifier, attributes: attributes)
        }
        let written = try await fileLocks.withLock(ino) { () async throws(FSError) -> Inode in
            // Older unstable bytes must land first, or they would later overwrite this write's.
            try await self.flushPendingLocked(ino)
            return try await self.writeRetrying(ino, self.extents(of: data, at: offset), end: offset + UInt64(count),
                                                writes: 1, mtime: .now())
        }
        return WriteResult(count: count, committed: .fileSync, verifier: writeVerifier, attributes: Attributes(written))
    }

    /// Makes the file's pending unstable writes durable.
    func flushPending(_ ino: InodeID) async throws(FSError) {
        guard pending.has(ino) else { return }
        try await fileLocks.withLock(ino) { () async throws(FSError) in try await self.flushPendingLocked(ino) }
    }

    /// With the file's lock held: pending extents go to the stores in batches of chunks, one transaction each;
    /// the last also moves size, mtime and change as the writes did. A file removed meanwhile drops them.
    func flushPendingLocked(_ ino: InodeID) async throws(FSError) {
        guard let file = pending.snapshot(ino) else { return }
        let indexes = file.chunks.keys.sorted()
        let batch = 64
        do {
            for first in stride(from: 0, to: indexes.count, by: batch) {
                let slice = indexes[first..<min(first + batch, indexes.count)]
                let last = slice.endIndex == indexes.count
                let pieces = slice.map { (index: $0, extents: file.chunks[$0]!) }
                let end = pieces.map { UInt64($0.index) * UInt64(chunkSize) + UInt64($0.extents.last!.end) }.max()!
                _ = try await writeRetrying(ino, pieces, end: last ? max(end, file.end) : end,
                                            writes: last ? file.writes : 0, mtime: last ? file.mtime : nil)
            }
        } catch .stale {
            pending.remove(ino)
            return
        }
        pending.remove(ino)
    }

    /// `data` at `offset` as per-chunk extents (slices, no copies).
    private func extents(of data: ByteBuffer, at offset: UInt64) -> [(index: Int64, extents: [PendingWrites.Extent])] {
        let chunk = UInt64(chunkSize)
        let end = offset + UInt64(data.readableBytes)
        return (Int64(offset / chunk)...Int64((end - 1) / chunk)).map { index in
            let start = UInt64(index) * chunk
            let lower = max(offset, start), upper = min(end, start + chunk)
            let piece = data.getSlice(at: data.readerIndex + Int(lower - offset), length: Int(upper - lower))!
            return (index, [PendingWrites.Extent(offset: Int(lower - start), data: piece)])
        }
    }

    private func writeRetrying(_ ino: InodeID, _ pieces: [(index: Int64, extents: [PendingWrites.Extent])], end: UInt64,
                               writes: UInt64, mtime: Timestamp?) async throws(FSError) -> Inode {
        // Another gateway may change the same chunks between planning and commit: retry then.
        for _ in 0..<16 {
            if let written = try await writeOnce(ino, pieces, end: end, writes: writes, mtime: mtime) { return written }
        }
        throw FSError.io
    }

    private struct PlannedChunk: Sendable {
        /// The record to store.
        var chunk: Chunk
        /// The chunk this one was built on, which must still be there at commit (nil: none was).
        var replaces: Chunk?
        /// Covers its whole chunk, so it replaces whatever is there without reading or checking it.
        var whole: Bool
        /// A new base block and its bytes; nil when the chunk only gains slices.
        var newBase: (key: BlockKey, bytes: ByteBuffer)?
    }

    /// A chunk takes its dirty extents as slices (no read, no rewrite) when they are small, lie inside what
    /// it already holds, and it has few slices yet; otherwise it is rewritten whole (which folds its slices).
    static let maxSlicesPerChunk = 256

    private func takesSlices(_ extents: [PendingWrites.Extent], over old: Chunk?) -> Bool {
        guard let old, old.slices.count + extents.count <= Self.maxSlicesPerChunk else { return false }
        // A write of everything the chunk holds replaces it without reading it: no slice needed.
        if extents.count == 1, extents[0].offset == 0, extents[0].end >= old.length { return false }
        return extents.allSatisfy { $0.end <= old.length } && extents.reduce(0) { $0 + $1.data.readableBytes } <= chunkSize / 2
    }

    /// Puts the new blocks, then swaps them in if no chunk changed meanwhile; nil when one did. `writes` is
    /// how far `change` moves, and `mtime` (nil: untouched) the modification time to record.
    private func writeOnce(_ ino: InodeID, _ pieces: [(index: Int64, extents: [PendingWrites.Extent])], end: UInt64,
                           writes: UInt64, mtime: Timestamp?) async throws(FSError) -> Inode? {
        let chunkBytes = chunkSize
        let covers = { (extents: [PendingWrites.Extent]) -> Bool in
            var reached = 0
            for e in extents { if e.offset > reached { return false }; reached = max(reached, e.end) }
            return reached == chunkBytes
        }
        // Chunks written whole need nothing of the old content: skip reading it (one transaction fewer).
        let partial = pieces.filter { !covers($0.extents) }.map(\.index)
        let existing: [Chunk] = partial.isEmpty ? [] : try await reading { r in
            let inode = try self.node(r, ino)
            guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
            return try partial.flatMap { try r.chunks(ino, in: $0...$0) }
        }
        let byIndex = Dictionary(existing.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var plan: [PlannedChunk] = []
        // Every slice of this batch goes into one shared block.
        let sliceKey = BlockKey.random()
        var sliceBytes = allocator.buffer(capacity: 0)
        for (index, extents) in pieces {
            let whole = covers(extents)
            let old = whole ? nil : byIndex[index]
            if !whole, takesSlices(extents, over: old), var chunk = old {
                for e in extents {
                    chunk.slices.append(Slice(offset: e.offset, length: e.data.readableBytes, block: sliceKey.rawValue,
                                              blockOffset: sliceBytes.writerIndex))
                    var data = e.data
                    sliceBytes.writeBuffer(&data)
                }
                plan.append(PlannedChunk(chunk: chunk, replaces: old, whole: false, newBase: nil))
                continue
            }
            let length = max(old?.length ?? 0, extents.last!.end)
            var bytes: ByteBuffer
            if extents.count == 1, extents[0].offset == 0, extents[0].end >= (old?.length ?? 0) {
                bytes = extents[0].data  // covers everything the chunk held: no need to read it
            } else {
                bytes = allocator.buffer(capacity: length)
                if let old, old.length > 0 {
                    var previous = try await fetch(old, 0..<old.length)
                    bytes.writeBuffer(&previous)
                }
                if bytes.writerIndex < length { bytes.writeRepeatingByte(0, count: length - bytes.writerIndex) }
                for e in extents { bytes.setBuffer(e.data, at: e.offset) }
            }
            let key = BlockKey.random()
            plan.append(PlannedChunk(chunk: Chunk(inode: ino, index: index, block: key.rawValue, length: length),
                                     replaces: old, whole: whole, newBase: (key, bytes)))
        }
        var newBlocks = plan.compactMap(\.newBase)
        if sliceBytes.readableBytes > 0 { newBlocks.append((sliceKey, sliceBytes)) }
        try await putBlocks(newBlocks)
        let planned = plan
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
            if inode == nil { await discard(newBlocks.map(\.key)) }
            if planned.contains(where: { $0.whole || $0.replaces != nil }) { collector.kick() }
            return inode
        } catch {
            await discard(newBlocks.map(\.key))
            throw mapped(error)
        }
    }

    private func putBlocks(_ blocks: [(key: BlockKey, bytes: ByteBuffer)]) async throws(FSError) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for block in blocks { group.addTask { try await self.blocks.put(block.key, block.bytes) } }
                try await group.waitForAll()
            }
        } catch {
            await discard(blocks.map(\.key))
            throw mapped(error)
        }
    }

    /// Deletes blocks that no metadata will reference.
    private func discard(_ keys: [BlockKey]) async {
        try? await blocks.delete(keys)
    }

    public func commit(_ ino: InodeID) async throws(FSError) -> UInt64 {
        if pending.has(ino) { try await flushPending(ino) } else { _ = try await loadInode(ino) }
        return writeVerifier
    }
}
