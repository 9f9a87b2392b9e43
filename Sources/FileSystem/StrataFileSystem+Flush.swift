import MetadataStore

/// Pending unstable writes reach the stores one generation at a time, oldest first. A generation that fills
/// up is sealed, and the background flush stages it (its whole chunks go to blocks that are not synced yet,
/// and leave memory) while new writes go on into the next; COMMIT, CLOSE, reads, truncates and stable writes
/// sync what was staged and land everything in the foreground, with one wait for the disk.
extension StrataFileSystem {
    /// Makes the file's pending unstable writes durable.
    func flushPending(_ ino: InodeID) async throws(FSError) {
        guard writeBack.has(ino) else { return }
        try await fileLocks.withLock(ino) { () async throws(FSError) in try await self.flushPendingLocked(ino) }
    }

    /// With the file's lock held: every generation written so far, in order. The newest is sealed first, so
    /// writes that come meanwhile (they take no lock) go into a fresh one and are not lost with what lands,
    /// and a steady stream of them cannot keep this going. A file removed meanwhile drops them.
    func flushPendingLocked(_ ino: InodeID) async throws(FSError) {
        guard let sealed = writeBack.seal(ino) else { return }
        do {
            try await landLocked(ino, through: sealed)
        } catch .stale {
            await discard(writeBack.forget(ino))
        }
    }

    /// With the file's lock held: the generations up to `last`, oldest first, their staged blocks synced
    /// together beforehand (the disk has been writing them since they were staged).
    private func landLocked(_ ino: InodeID, through last: UInt64) async throws(FSError) {
        let staged = writeBack.stagedBlocks(ino, upTo: last)
        if !staged.isEmpty {
            do { try await blocks.sync(staged) } catch { throw mapped(error) }
        }
        while let generation = writeBack.oldest(ino), generation.id <= last {
            try await writeBack.landing { () async throws(FSError) in
                try await land(ino, generation)
                writeBack.landed(ino, generation: generation.id)
            }
        }
    }

    /// One generation into the stores: its staged chunks (synced already) in one transaction, then what it
    /// still holds in memory; the last transaction moves size, mtime and change as the writes did.
    private func land(_ ino: InodeID, _ generation: WriteBack.Generation) async throws(FSError) {
        let held = batches(of: generation)
        if !generation.staged.isEmpty {
            let end = generation.staged.map(\.end).max()!
            let last = held.isEmpty
            _ = try await commit(PreparedWrite(wholeChunks: generation.staged.map(\.prepared)),
                                 end: last ? max(end, generation.end) : end, writes: last ? generation.writes : 0,
                                 mtime: last ? generation.mtime : nil, keepingBlocks: true)
        }
        for batch in held {
            _ = try await writeRetrying(ino, batch.pieces, end: batch.end, writes: batch.writes, mtime: batch.mtime)
        }
    }

    /// Stages or lands sealed generations, oldest first, until none is left. Blocks are built and put without
    /// the file's lock; only the swap into the stores takes it, so writes to the file wait milliseconds, not a
    /// whole flush.
    func flushSealedInBackground(_ ino: InodeID) {
        Task.detached { [self] in
            do throws(FSError) {
                repeat {
                    while let generation = writeBack.oldestUnstaged(ino) {
                        let started = ContinuousClock.now
                        if generation.chunks.values.allSatisfy(coversChunk) {
                            try await stageInBackground(ino, generation)
                        } else {
                            try await flushInBackground(ino, generation)
                        }
                        writeBack.backgroundFlushMeasured(ino, bytes: generation.bytes, in: .now - started)
                    }
                } while writeBack.finishBackgroundFlush(ino)
            } catch .stale {
                await discard(writeBack.forget(ino))
            } catch {
                // What is left stays pending: a COMMIT, a read or the timer flushes it in the foreground.
                writeBack.abandonBackgroundFlush(ino)
                logger.warning("background flush of inode \(ino) failed: \(error)")
            }
        }
    }

    /// A generation of whole chunks (a large file written in order) into staged blocks, out of memory: its
    /// bytes reach the disk now, and whoever lands it only waits for the rest of them.
    private func stageInBackground(_ ino: InodeID, _ generation: WriteBack.Generation) async throws(FSError) {
        var staged: [WriteBack.Staged] = []
        do {
            var whole = generation
            whole.end = 0  // each batch's end is then what its own chunks hold
            for batch in batches(of: whole) {
                let prepared = try await prepare(ino, batch.pieces, priority: writeBack.isPressing(ino) ? .foreground : .background,
                                                 durable: false)
                staged.append(WriteBack.Staged(prepared: prepared, end: batch.end))
            }
        } catch {
            await discard(staged.flatMap(\.prepared.newBlocks))
            throw error
        }
        let indexes = Array(generation.chunks.keys)
        let taken = try await fileLocks.withLock(ino) { [staged] () async throws(FSError) -> Bool in
            self.writeBack.stage(ino, generation: generation.id, staged, taking: indexes)
        }
        // A foreground flush landed the generation from memory meanwhile.
        if !taken { await discard(staged.flatMap(\.prepared.newBlocks)) }
    }

    /// A generation with partial chunks, landed: their plans depend on what the chunks hold, so the staged
    /// generations before it land first.
    private func flushInBackground(_ ino: InodeID, _ generation: WriteBack.Generation) async throws(FSError) {
        for batch in batches(of: generation) {
            // Nobody waits for this flush unless writers are catching up with it: then it is theirs.
            let prepared = try await prepare(ino, batch.pieces, priority: writeBack.isPressing(ino) ? .foreground : .background)
            let landed = try await fileLocks.withLock(ino) { () async throws(FSError) -> Bool in
                // A foreground flush may have landed this generation meanwhile.
                guard self.writeBack.contains(ino, generation: generation.id) else { return false }
                try await self.landLocked(ino, through: generation.id - 1)
                try await self.writeBack.landing { () async throws(FSError) in
                    if try await self.commit(prepared, end: batch.end, writes: batch.writes, mtime: batch.mtime) == nil {
                        // Chunks changed under the prepared ones: redo this batch with the lock held.
                        _ = try await self.writeRetrying(ino, batch.pieces, end: batch.end, writes: batch.writes, mtime: batch.mtime)
                    }
                    if batch.last { self.writeBack.landed(ino, generation: generation.id) }
                }
                return true
            }
            if !landed { await discard(prepared.newBlocks); return }
        }
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
