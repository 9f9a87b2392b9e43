import MetadataStore

/// The driver's flushes: pending unstable writes reach the stores one generation at a time, oldest first. A
/// generation that fills up is sealed, and the background flush stages it (its whole chunks go to blocks that
/// are not synced yet, and leave memory) while new writes go on into the next; COMMIT, CLOSE, reads, truncates
/// and stable writes sync what was staged and land everything in the foreground, with one wait for the disk.
/// The file system they came through (`fs`) does the chunk-level I/O (prepare, commit) and holds file locks.
extension WriteBack {
    /// Makes the file's pending unstable writes durable.
    func flush(_ ino: InodeID, through fs: StrataFileSystem) async throws(FSError) {
        guard has(ino) else { return }
        try await fs.fileLocks.withLock(ino) { () async throws(FSError) in try await self.flushLocked(ino, through: fs) }
    }

    /// With the file's lock held: every generation written so far, in order. The newest is sealed first, so
    /// writes that come meanwhile (they take no lock) go into a fresh one and are not lost with what lands,
    /// and a steady stream of them cannot keep this going. A file removed meanwhile drops them.
    func flushLocked(_ ino: InodeID, through fs: StrataFileSystem) async throws(FSError) {
        guard let sealed = seal(ino) else { return }
        do {
            try await landLocked(ino, through: sealed, fs)
        } catch .stale {
            await fs.discard(forget(ino))
        }
    }

    /// With the file's lock held: the generations up to `last`, oldest first, their staged blocks synced
    /// together beforehand (the disk has been writing them since they were staged).
    private func landLocked(_ ino: InodeID, through last: UInt64, _ fs: StrataFileSystem) async throws(FSError) {
        let staged = stagedBlocks(ino, upTo: last)
        if !staged.isEmpty {
            do { try await fs.blocks.sync(staged) } catch { throw fs.mapped(error) }
        }
        while let generation = oldest(ino), generation.id <= last {
            try await landing { () async throws(FSError) in
                try await land(ino, generation, fs)
                landed(ino, generation: generation.id)
            }
        }
    }

    /// One generation into the stores: its staged chunks (synced already) in one transaction, then what it
    /// still holds in memory; the last transaction moves size, mtime and change as the writes did.
    private func land(_ ino: InodeID, _ generation: Generation, _ fs: StrataFileSystem) async throws(FSError) {
        let held = fs.batches(of: generation)
        if !generation.staged.isEmpty {
            let end = generation.staged.map(\.end).max()!
            let last = held.isEmpty
            _ = try await fs.commit(StrataFileSystem.PreparedWrite(wholeChunks: generation.staged.map(\.prepared)),
                                    end: last ? max(end, generation.end) : end, writes: last ? generation.writes : 0,
                                    mtime: last ? generation.mtime : nil, keepingBlocks: true)
        }
        for batch in held {
            _ = try await fs.writeRetrying(ino, batch.pieces, end: batch.end, writes: batch.writes, mtime: batch.mtime)
        }
    }

    /// Stages or lands sealed generations, oldest first, until none is left. Blocks are built and put without
    /// the file's lock; only the swap into the stores takes it, so writes to the file wait milliseconds, not a
    /// whole flush.
    func flushSealedInBackground(_ ino: InodeID, through fs: StrataFileSystem) {
        Task.detached { [self] in
            do throws(FSError) {
                repeat {
                    while let generation = oldestUnstaged(ino) {
                        let started = ContinuousClock.now
                        if generation.chunks.values.allSatisfy(fs.coversChunk) {
                            try await stageInBackground(ino, generation, fs)
                        } else {
                            try await flushInBackground(ino, generation, fs)
                        }
                        backgroundFlushMeasured(ino, bytes: generation.bytes, in: .now - started)
                    }
                } while finishBackgroundFlush(ino)
            } catch .stale {
                await fs.discard(forget(ino))
            } catch {
                // What is left stays pending: a COMMIT, a read or the timer flushes it in the foreground.
                abandonBackgroundFlush(ino)
                fs.logger.warning("background flush of inode \(ino) failed: \(error)")
            }
        }
    }

    /// A generation of whole chunks (a large file written in order) into staged blocks, out of memory: its
    /// bytes reach the disk now, and whoever lands it only waits for the rest of them.
    private func stageInBackground(_ ino: InodeID, _ generation: Generation, _ fs: StrataFileSystem) async throws(FSError) {
        var staged: [Staged] = []
        do {
            var whole = generation
            whole.end = 0  // each batch's end is then what its own chunks hold
            for batch in fs.batches(of: whole) {
                let prepared = try await fs.prepare(ino, batch.pieces, priority: isPressing(ino) ? .foreground : .background,
                                                    durable: false)
                staged.append(Staged(prepared: prepared, end: batch.end))
            }
        } catch {
            await fs.discard(staged.flatMap(\.prepared.newBlocks))
            throw error
        }
        let indexes = Array(generation.chunks.keys)
        let taken = try await fs.fileLocks.withLock(ino) { [staged] () async throws(FSError) -> Bool in
            self.stage(ino, generation: generation.id, staged, taking: indexes)
        }
        // A foreground flush landed the generation from memory meanwhile.
        if !taken { await fs.discard(staged.flatMap(\.prepared.newBlocks)) }
    }

    /// A generation with partial chunks, landed: their plans depend on what the chunks hold, so the staged
    /// generations before it land first.
    private func flushInBackground(_ ino: InodeID, _ generation: Generation, _ fs: StrataFileSystem) async throws(FSError) {
        for batch in fs.batches(of: generation) {
            // Nobody waits for this flush unless writers are catching up with it: then it is theirs.
            let prepared = try await fs.prepare(ino, batch.pieces, priority: isPressing(ino) ? .foreground : .background)
            let landedNow = try await fs.fileLocks.withLock(ino) { () async throws(FSError) -> Bool in
                // A foreground flush may have landed this generation meanwhile.
                guard self.contains(ino, generation: generation.id) else { return false }
                try await self.landLocked(ino, through: generation.id - 1, fs)
                try await self.landing { () async throws(FSError) in
                    if try await fs.commit(prepared, end: batch.end, writes: batch.writes, mtime: batch.mtime) == nil {
                        // Chunks changed under the prepared ones: redo this batch with the lock held.
                        _ = try await fs.writeRetrying(ino, batch.pieces, end: batch.end, writes: batch.writes, mtime: batch.mtime)
                    }
                    if batch.last { self.landed(ino, generation: generation.id) }
                }
                return true
            }
            if !landedNow { await fs.discard(prepared.newBlocks); return }
        }
    }
}
