import MetadataStore

/// Pending unstable writes reach the stores one generation at a time, oldest first. A generation that fills
/// up is sealed and flushed in the background while new writes go on into the next; COMMIT, CLOSE, reads,
/// truncates and stable writes flush everything in the foreground.
extension StrataFileSystem {
    /// Makes the file's pending unstable writes durable.
    func flushPending(_ ino: InodeID) async throws(FSError) {
        guard pending.has(ino) else { return }
        try await fileLocks.withLock(ino) { () async throws(FSError) in try await self.flushPendingLocked(ino) }
    }

    /// With the file's lock held: every generation written so far, in order. The newest is sealed first, so
    /// writes that come meanwhile (they take no lock) go into a fresh one and are not lost with what lands,
    /// and a steady stream of them cannot keep this going. A file removed meanwhile drops them.
    func flushPendingLocked(_ ino: InodeID) async throws(FSError) {
        guard let sealed = pending.seal(ino) else { return }
        while let generation = pending.oldest(ino), generation.id <= sealed {
            do {
                try await pending.landing { () async throws(FSError) in
                    for batch in batches(of: generation) {
                        _ = try await writeRetrying(ino, batch.pieces, end: batch.end, writes: batch.writes, mtime: batch.mtime)
                    }
                    pending.remove(ino, generation: generation.id)
                }
            } catch .stale {
                pending.remove(ino)
                return
            }
        }
    }

    /// Flushes sealed generations, oldest first, until none is left. Blocks are built and put without the
    /// file's lock; only the commit takes it, so writes to the file wait milliseconds, not a whole flush.
    func flushSealedInBackground(_ ino: InodeID) {
        Task.detached { [self] in
            do throws(FSError) {
                repeat {
                    while let generation = pending.oldestSealed(ino) {
                        let started = ContinuousClock.now
                        try await flushInBackground(ino, generation)
                        pending.backgroundFlushLanded(ino, bytes: generation.bytes, in: .now - started)
                    }
                } while pending.finishBackgroundFlush(ino)
            } catch .stale {
                pending.remove(ino)
            } catch {
                // What is left stays pending: a COMMIT, a read or the timer flushes it in the foreground.
                pending.abandonBackgroundFlush(ino)
                logger.warning("background flush of inode \(ino) failed: \(error)")
            }
        }
    }

    private func flushInBackground(_ ino: InodeID, _ generation: PendingWrites.Generation) async throws(FSError) {
        for batch in batches(of: generation) {
            // Nobody waits for this flush unless writers are catching up with it: then it is theirs.
            let prepared = try await prepare(ino, batch.pieces, priority: pending.isPressing(ino) ? .foreground : .background)
            let landed = try await fileLocks.withLock(ino) { () async throws(FSError) -> Bool in
                // A foreground flush may have landed this generation meanwhile.
                guard self.pending.contains(ino, generation: generation.id) else { return false }
                try await self.pending.landing { () async throws(FSError) in
                    if try await self.commit(prepared, end: batch.end, writes: batch.writes, mtime: batch.mtime) == nil {
                        // Chunks changed under the prepared ones: redo this batch with the lock held.
                        _ = try await self.writeRetrying(ino, batch.pieces, end: batch.end, writes: batch.writes, mtime: batch.mtime)
                    }
                    if batch.last { self.pending.remove(ino, generation: generation.id) }
                }
                return true
            }
            if !landed { await discard(prepared.newBlocks); return }
        }
    }

    struct FlushBatch {
        var pieces: [(index: Int64, extents: [PendingWrites.Extent])]
        var end: UInt64
        var writes: UInt64
        var mtime: Timestamp?
        var last: Bool
    }

    /// A generation in batches of about 64 chunks' worth of work, one transaction each; the last also moves
    /// size, mtime and change as the writes did (so attributes seen before the flush stay the same after it).
    /// A chunk that will likely take its writes as slices costs only their bytes (nothing is read or
    /// rewritten), so a generation of scattered small writes lands as one block and one transaction.
    func batches(of generation: PendingWrites.Generation) -> [FlushBatch] {
        let budget = 64 * chunkSize
        var groups: [[(index: Int64, extents: [PendingWrites.Extent])]] = []
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
