import BlockStore
import MetadataStore
import NIOCore

/// The write-back state of one file, as a plain value: no locks, no I/O, no clock of its own (instants come
/// in with the events). Each event returns what the driver (`WriteBack`) must do about it: bytes to count
/// off, waiters to wake, a background flush to start, how to answer the writer, whether the file is done.
///
/// Writes go into generations: the newest takes writes; once it holds `sealSize` bytes it is sealed and the
/// background flush stages its whole chunks (writes them to blocks that are not durable yet and drops them
/// from memory). Generations land in order (staged blocks synced first), so later bytes win.
struct FileWriteBack: Sendable {
    /// Bytes of one chunk at `offset` within it.
    struct Extent: Sendable {
        var offset: Int
        var data: ByteBuffer
        var end: Int { offset + data.readableBytes }
    }

    struct Generation: Sendable {
        var id: UInt64
        /// Per chunk index: sorted, non-overlapping extents (a later write replaces what it overlaps).
        var chunks: [Int64: [Extent]] = [:]
        /// One past the highest byte written.
        var end: UInt64 = 0
        /// WRITEs taken: the change attribute moves by this much, now and when they are flushed.
        var writes: UInt64 = 0
        var mtime: Timestamp = .now()
        var bytes = 0
        /// When its first write came (the timer flushes what has waited long enough).
        var since: ContinuousClock.Instant?
        /// Whole chunks the background flush took out of `chunks` into staged blocks, which land (once
        /// synced) before what is left in `chunks`. Partial chunks stay: their plan depends on what earlier
        /// generations land.
        var staged: [Staged] = []
        var isStaged = false
        var stagedBlocks: [BlockKey] { staged.flatMap(\.prepared.newBlocks) }
    }

    struct Staged: Sendable {
        var prepared: StrataFileSystem.PreparedWrite
        /// One past the last byte its chunks hold.
        var end: UInt64
    }

    struct Limits: Sendable {
        /// A generation is sealed (and flushed in the background) at this size.
        var sealSize: Int
        /// A file holding this much waits for its background flush (or flushes itself when none runs).
        var fileLimit: Int
    }

    /// How a writer is answered after its write was taken.
    enum WriterAction: Equatable, Sendable {
        case proceed
        /// Answer at this instant: the background flush is falling behind, and writers share its pace.
        case pace(until: ContinuousClock.Instant)
        /// Wait until the background flush has landed some (the file is full).
        case waitForRoom
        /// Flush the file now (it is full and no background flush runs, or all files together are).
        case flushNow
    }

    /// What the driver does after an event.
    struct Effects: Equatable, Sendable {
        /// Bytes that left memory (negative: came in).
        var freed = 0
        /// Writers waiting for room may try again.
        var wakeWaiters = false
        /// Start a background flush of the sealed generations.
        var startBackgroundFlush = false
        /// Nothing is pending any more: the driver forgets the file.
        var done = false
        var writer = WriterAction.proceed
    }

    private(set) var generations: [Generation]
    private(set) var backgroundFlush = false
    private var pacer = WritePacer()
    let limits: Limits

    init(limits: Limits, firstGeneration: UInt64) {
        self.limits = limits
        generations = [Generation(id: firstGeneration)]
    }

    var bytes: Int { generations.reduce(0) { $0 + $1.bytes } }
    private var hasWrites: Bool { generations.contains { $0.writes > 0 } }

    // MARK: Events

    /// A write of `pieces` (per chunk) reaching `end`. `nextGeneration` numbers a generation this seals.
    mutating func write(_ pieces: [(index: Int64, extent: Extent)], end: UInt64, mtime: Timestamp,
                        at now: ContinuousClock.Instant, nextGeneration: () -> UInt64) -> Effects {
        var effects = Effects()
        let added = generations.withLast { Self.add(pieces, to: &$0, end: end, mtime: mtime, now: now) }
        effects.freed = -added
        if generations[generations.count - 1].bytes >= limits.sealSize {
            generations.append(Generation(id: nextGeneration()))
            if !backgroundFlush { backgroundFlush = true; effects.startBackgroundFlush = true }
        }
        // Writers outrunning the background flush wait for it rather than flushing everything themselves:
        // paced while it keeps up, held for a landing once the file is full.
        let held = bytes
        if held >= limits.fileLimit {
            effects.writer = backgroundFlush ? .waitForRoom : .flushNow
        } else if backgroundFlush, let slot = pacer.slot(added: added, held: held, limit: limits.fileLimit, now: now) {
            effects.writer = .pace(until: slot)
        }
        return effects
    }

    /// Someone will land everything written so far (COMMIT, CLOSE, a read, the timer): a new generation
    /// takes further writes. Returns the newest generation with writes (nil: nothing to land).
    mutating func seal(nextGeneration: () -> UInt64) -> UInt64? {
        guard let last = generations.last(where: { $0.writes > 0 }) else { return nil }
        if generations[generations.count - 1].writes > 0 { generations.append(Generation(id: nextGeneration())) }
        return last.id
    }

    /// The background flush put generation `id`'s whole chunks (`indexes`) into `staged` blocks: their bytes
    /// leave memory. Nil when it landed or was staged meanwhile (the staged blocks are then not needed).
    mutating func staged(_ id: UInt64, _ staged: [Staged], taking indexes: [Int64]) -> Effects? {
        guard let at = generations.firstIndex(where: { $0.id == id }), !generations[at].isStaged else { return nil }
        var freed = 0
        for index in indexes {
            freed += generations[at].chunks.removeValue(forKey: index)?.reduce(0) { $0 + $1.data.readableBytes } ?? 0
        }
        generations[at].bytes -= freed
        generations[at].staged = staged
        generations[at].isStaged = true
        return Effects(freed: freed, wakeWaiters: true)
    }

    /// Generation `id` is in the stores.
    mutating func landed(_ id: UInt64, nextGeneration: () -> UInt64) -> Effects {
        guard let at = generations.firstIndex(where: { $0.id == id }) else { return Effects() }
        let gone = generations.remove(at: at)
        var effects = Effects(freed: gone.bytes, wakeWaiters: true)
        if !hasWrites && !backgroundFlush {
            effects.done = true
        } else if generations.isEmpty {
            generations = [Generation(id: nextGeneration())]
        }
        return effects
    }

    /// The background flush landed or staged `bytes` in `elapsed`: the pace writers are held to.
    mutating func backgroundFlushMeasured(bytes: Int, in elapsed: Duration) { pacer.landed(bytes: bytes, in: elapsed) }

    /// The background flush went through every sealed generation; it goes on if one was sealed meanwhile.
    mutating func backgroundFlushFinished() -> (goesOn: Bool, effects: Effects) {
        if generations.dropLast().contains(where: { !$0.isStaged }) { return (true, Effects()) }
        backgroundFlush = false
        return (false, Effects(wakeWaiters: true, done: !hasWrites))
    }

    /// The background flush failed: what is left stays pending for a COMMIT, a read or the timer.
    mutating func backgroundFlushFailed() -> Effects {
        backgroundFlush = false
        return Effects(wakeWaiters: true)
    }

    // MARK: Questions (no change)

    /// The oldest generation with writes in it.
    var oldest: Generation? { generations.first { $0.writes > 0 } }

    /// The oldest sealed generation (never the one taking writes) not staged yet.
    var oldestUnstaged: Generation? { generations.dropLast().first { !$0.isStaged } }

    func stagedBlocks(upTo id: UInt64) -> [BlockKey] { generations.filter { $0.id <= id }.flatMap(\.stagedBlocks) }
    var allStagedBlocks: [BlockKey] { generations.flatMap(\.stagedBlocks) }

    func contains(_ id: UInt64) -> Bool { generations.contains { $0.id == id } }

    /// Whether a writer told to wait for room must still wait.
    var isFull: Bool { backgroundFlush && bytes >= limits.fileLimit }

    /// Whether writers are about to wait for the background flush (it then works at full priority).
    var isPressing: Bool { bytes >= limits.fileLimit / 4 * 3 }

    /// When its oldest pending write came (nil: none pending).
    var pendingSince: ContinuousClock.Instant? { generations.first { $0.writes > 0 }?.since }

    /// What the file's attributes need of its pending writes.
    var summary: WriteBack.Summary? {
        var summary: WriteBack.Summary?
        for g in generations where g.writes > 0 {
            summary = WriteBack.Summary(end: max(summary?.end ?? 0, g.end), writes: (summary?.writes ?? 0) &+ g.writes, mtime: g.mtime)
        }
        return summary
    }

    // MARK: Extents

    private static func add(_ pieces: [(index: Int64, extent: Extent)], to generation: inout Generation, end: UInt64,
                            mtime: Timestamp, now: ContinuousClock.Instant) -> Int {
        var added = 0
        for piece in pieces { added += insert(piece.extent, into: &generation.chunks[piece.index, default: []]) }
        if generation.writes == 0 { generation.since = now }
        generation.end = max(generation.end, end)
        generation.writes &+= 1
        generation.mtime = mtime
        generation.bytes += added
        return added
    }

    /// Inserts `new`, trimming what it overlaps; returns the change in bytes held.
    static func insert(_ new: Extent, into extents: inout [Extent]) -> Int {
        // The usual case, a write that overlaps nothing held: insert in place at its sorted position.
        var low = 0, high = extents.count
        while low < high { let mid = (low + high) / 2; if extents[mid].offset < new.offset { low = mid + 1 } else { high = mid } }
        let clearBefore = low == 0 || extents[low - 1].end <= new.offset
        let clearAfter = low == extents.count || extents[low].offset >= new.end
        if clearBefore && clearAfter {
            extents.insert(new, at: low)
            return new.data.readableBytes
        }
        var kept: [Extent] = []
        kept.reserveCapacity(extents.count + 1)
        var delta = new.data.readableBytes
        for e in extents {
            if e.end <= new.offset || e.offset >= new.end { kept.append(e); continue }
            delta -= e.data.readableBytes
            if e.offset < new.offset {
                let left = Extent(offset: e.offset, data: e.data.getSlice(at: e.data.readerIndex, length: new.offset - e.offset)!)
                delta += left.data.readableBytes
                kept.append(left)
            }
            if e.end > new.end {
                let cut = new.end - e.offset
                let right = Extent(offset: new.end, data: e.data.getSlice(at: e.data.readerIndex + cut, length: e.end - new.end)!)
                delta += right.data.readableBytes
                kept.append(right)
            }
        }
        let at = kept.firstIndex { $0.offset > new.offset } ?? kept.count
        kept.insert(new, at: at)
        extents = kept
        return delta
    }
}

extension Array {
    /// Mutates the last element in place (a copy would copy every chunk's extents on each write).
    fileprivate mutating func withLast<T>(_ body: (inout Element) -> T) -> T { body(&self[count - 1]) }
}
