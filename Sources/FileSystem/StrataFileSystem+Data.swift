import BlockStore
import MetadataStore
import NIOCore

/// read, write, commit. File data lives in fixed-size chunks; each chunk names one immutable block.
extension StrataFileSystem {
    public func read(_ ino: InodeID, offset: UInt64, count: Int) async throws(FSError) -> (data: ByteBuffer, eof: Bool) {
        guard count >= 0 else { throw .invalid }
        let chunk = UInt64(chunkSize)
        let (inode, chunks) = try await reading { r in
            let inode = try self.node(r, ino)
            guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
            guard count > 0, offset < inode.size else { return (inode, [Chunk]()) }
            let end = min(inode.size, offset + UInt64(count))
            return (inode, try r.chunks(ino, in: Int64(offset / chunk)...Int64((end - 1) / chunk)))
        }
        guard count > 0, offset < inode.size else { return (allocator.buffer(capacity: 0), offset >= inode.size) }
        let end = min(inode.size, offset + UInt64(count))
        let data = try await assemble(offset..<end, from: chunks)
        try await touchAccessTime(inode)
        return (data, end == inode.size)
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

    private func fetch(_ piece: Chunk, _ range: Range<Int>) async throws(FSError) -> ByteBuffer {
        guard let key = BlockKey(piece.block) else { throw .io }
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
        guard count > 0 else {
            let inode = try await loadInode(ino)
            guard inode.type == .regular else { throw inode.type == .directory ? .isDirectory : .invalid }
            return WriteResult(count: 0, committed: .fileSync, verifier: writeVerifier, attributes: Attributes(inode))
        }
        let inode = try await fileLocks.withLock(ino) { () async throws(FSError) -> Inode in
            // Another gateway may change the same chunks between planning and commit: retry then.
            for _ in 0..<16 {
                if let written = try await self.writeOnce(ino, offset, data) { return written }
            }
            throw FSError.io
        }
        // Every write is durable before it is acknowledged, whatever stability was asked for.
        return WriteResult(count: count, committed: .fileSync, verifier: writeVerifier, attributes: Attributes(inode))
    }

    private struct PlannedChunk: Sendable {
        var index: Int64
        /// The chunk this one was merged with, which must still be there at commit (nil: none was).
        var replaces: Chunk?
        /// Covers its whole chunk, so it replaces whatever is there without reading or checking it.
        var whole: Bool
        var block: BlockKey
        var length: Int
        var bytes: ByteBuffer
    }

    /// Puts the new blocks, then swaps them in if no chunk changed meanwhile; nil when one did.
    private func writeOnce(_ ino: InodeID, _ offset: UInt64, _ data: ByteBuffer) async throws(FSError) -> Inode? {
        let chunk = UInt64(chunkSize)
        let end = offset + UInt64(data.readableBytes)
        let indexes = Int64(offset / chunk)...Int64((end - 1) / chunk)
        // A write of whole chunks needs nothing of the old content: skip reading it (one transaction fewer).
        let wholeChunks = offset % chunk == 0 && UInt64(data.readableBytes) % chunk == 0
        let existing: [Chunk] = wholeChunks ? [] : try await reading { r in
            let inode = try self.node(r, ino)
            guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
            return try r.chunks(ino, in: indexes)
        }
        let byIndex = Dictionary(existing.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var plan: [PlannedChunk] = []
        for index in indexes {
            let start = UInt64(index) * chunk
            let lower = max(offset, start), upper = min(end, start + chunk)
            let piece = data.getSlice(at: data.readerIndex + Int(lower - offset), length: Int(upper - lower))!
            let old = byIndex[index]
            let length = max(old?.length ?? 0, Int(upper - start))
            var bytes: ByteBuffer
            if lower == start && Int(upper - start) >= (old?.length ?? 0) {
                bytes = piece  // the write covers everything the chunk held: no need to read it
            } else {
                bytes = allocator.buffer(capacity: length)
                if let old, old.length > 0 {
                    var previous = try await fetch(old, 0..<old.length)
                    bytes.writeBuffer(&previous)
                }
                if bytes.writerIndex < length { bytes.writeRepeatingByte(0, count: length - bytes.writerIndex) }
                bytes.setBuffer(piece, at: Int(lower - start))
            }
            plan.append(PlannedChunk(index: index, replaces: old, whole: lower == start && upper == start + chunk,
                                     block: .random(), length: length, bytes: bytes))
        }
        try await putBlocks(plan)
        let planned = plan
        do {
            let inode = try await store.write { [id] w -> Inode? in
                guard var inode = try w.inode(ino), inode.fileSystem == id else { throw FSError.stale }
                guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
                for piece in planned where !piece.whole {
                    let current = try w.chunks(ino, in: piece.index...piece.index).first
                    guard current == piece.replaces else { return nil }
                }
                for piece in planned {
                    try w.putChunk(Chunk(inode: ino, index: piece.index, block: piece.block.rawValue, length: piece.length))
                }
                let now = Timestamp.now()
                inode.size = max(inode.size, end)
                inode.mtime = now; inode.ctime = now; inode.change &+= 1
                try w.updateInode(inode)
                return inode
            }
            if inode == nil { await discard(planned) }
            if !existing.isEmpty || wholeChunks { collector.kick() }
            return inode
        } catch {
            await discard(planned)
            throw mapped(error)
        }
    }

    private func putBlocks(_ plan: [PlannedChunk]) async throws(FSError) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for planned in plan { group.addTask { try await self.blocks.put(planned.block, planned.bytes) } }
                try await group.waitForAll()
            }
        } catch {
            await discard(plan)
            throw mapped(error)
        }
    }

    /// Deletes blocks that no metadata will reference.
    private func discard(_ plan: [PlannedChunk]) async {
        try? await blocks.delete(plan.map(\.block))
    }

    public func commit(_ ino: InodeID) async throws(FSError) -> UInt64 {
        _ = try await loadInode(ino)
        return writeVerifier
    }
}
