import BlockStore
import MetadataStore
import NIOCore

/// read, write, commit. File data lives in fixed-size chunks; each chunk names one immutable block.
extension StrataFileSystem {
    public func read(_ ino: InodeID, offset: UInt64, count: Int) async throws(FSError) -> (data: ByteBuffer, eof: Bool) {
        guard count >= 0 else { throw .invalid }
        // Reads see unstable writes by flushing them first (a file being read back is done being written).
        try await writeBack.flush(ino, through: self)
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
    func fetch(_ piece: Chunk, _ range: Range<Int>) async throws(FSError) -> ByteBuffer {
        var bytes = try await fetchBlock(piece.block, range.lowerBound + piece.blockOffset..<range.upperBound + piece.blockOffset)
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
        guard count > 0 else { return WriteResult(count: 0, committed: .fileSync, verifier: writeVerifier) }
        if stable == .unstable {
            // Kept in memory until COMMIT, CLOSE, a size limit or a few seconds pass (see WriteBack).
            // Taken without the file's lock: a flush seals what it lands first, so this write goes into a
            // generation no flush is landing, and writers never queue behind a commit.
            let after = writeBack.write(ino, offset: offset, data, chunkSize: chunkSize, through: self)
            if after.startBackgroundFlush { writeBack.flushSealedInBackground(ino, through: self) }
            switch after.then {
            case .proceed: break
            case .pace(let until): try? await Task.sleep(until: until, clock: .continuous)
            case .waitForRoom: await writeBack.waitForRoom(ino)
            case .flushNow: try await writeBack.flush(ino, through: self)
            }
            return WriteResult(count: count, committed: .unstable, verifier: writeVerifier)
        }
        try await fileLocks.withLock(ino) { () async throws(FSError) in
            // Older unstable bytes must land first, or they would later overwrite this write's.
            try await self.writeBack.flushLocked(ino, through: self)
            _ = try await self.writeRetrying(ino, self.extents(of: data, at: offset), end: offset + UInt64(count),
                                             writes: 1, mtime: .now())
        }
        return WriteResult(count: count, committed: .fileSync, verifier: writeVerifier)
    }

    public func commit(_ ino: InodeID) async throws(FSError) -> UInt64 {
        if writeBack.has(ino) { try await writeBack.flush(ino, through: self) } else { _ = try await loadInode(ino) }
        return writeVerifier
    }
}
