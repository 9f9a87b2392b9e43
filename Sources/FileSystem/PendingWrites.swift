import BlockStore
import MetadataStore
import NIOCore
import Locking
import Synchronization

/// Data written UNSTABLE that is not in the stores yet. RFC 8881 §18.32.3 lets a server keep such data until
/// COMMIT; the write verifier (new on every restart) tells clients to send it again if it was lost. Shared by
/// every `StrataFileSystem` of one engine, so all of them see the same pending bytes.
///
/// A file's writes go into generations: the newest takes writes; once it holds `sealSize` bytes it is sealed
/// and the background flush stages its whole chunks: writes them to blocks that are not durable yet and drops
/// them from memory. Generations land in order (staged blocks synced first), so later bytes win.
final class PendingWrites: Sendable {
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
        /// When its first write came (the timer flushes what has waited two seconds).
        var since = ContinuousClock.now
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

    struct File: Sendable {
        var generations: [Generation]
        var backgroundFlush = false
        var pacer = WritePacer()
        /// The file system that took them (flushes go through it; every instance of one file system is alike).
        var owner: StrataFileSystem
        var bytes: Int { generations.reduce(0) { $0 + $1.bytes } }
    }

    /// What a writer must do after adding: start the background flush (a generation was just sealed), and
    /// wait while the file holds too much (for the background flush to land some, or by flushing it itself).
    struct AfterAdd {
        var startBackgroundFlush = false
        var then = Then.nothing
        enum Then { case nothing, pace(until: ContinuousClock.Instant), waitForRoom, flushNow }
    }

    private let files = AdaptiveMutex<[InodeID: File]>([:])
    /// Writers waiting for a file's background flush to bring it under `fileLimit`.
    private let roomWaiters = AdaptiveMutex<[InodeID: [CheckedContinuation<Void, Never>]]>([:])
    private let total = Atomic<Int>(0)
    /// Flushes between their commit and forgetting what they landed, and how many have finished: a
    /// reader that saw none in progress and none finish while it read the inode and the pending writes
    /// counted nothing twice (see `StrataFileSystem.getattr`).
    private let landingNow = Atomic<Int>(0)
    private let landed = Atomic<UInt64>(0)
    private let nextGeneration = Atomic<UInt64>(1)

    /// Writes of at least this many bytes are kept without copying them, if their buffer is not much larger.
    static let keptWithoutCopy = 64 * 1024

    /// A generation is sealed (and flushed in the background) at this size.
    let sealSize: Int
    /// A file whose pending bytes reach this (the background flush is behind) holds its writers until the
    /// background flush lands some, or is flushed by them when none is running.
    let fileLimit: Int
    /// All files' pending bytes together: past this, each write flushes its file.
    let totalLimit: Int

    init(fileLimit: Int, totalLimit: Int) {
        self.fileLimit = fileLimit; self.totalLimit = totalLimit
        sealSize = max(1, fileLimit / 4)
    }

    private func newGeneration() -> Generation { Generation(id: nextGeneration.add(1, ordering: .relaxed).oldValue) }

    /// Takes a write. Small writes are copied (the caller's buffer may be a slice of a larger network read,
    /// which they would keep alive); large ones are kept as they are when they fill most of their buffer (the
    /// RPC layer reads a large record into a buffer of its own). Buffers come in powers of two, so a 1 MiB
    /// WRITE's record (1 MiB and its header) sits in a 2 MiB buffer: that one is copied rather than held.
    func add(_ ino: InodeID, offset: UInt64, _ data: ByteBuffer, chunkSize: Int, owner: StrataFileSystem) -> AfterAdd {
        let end = offset + UInt64(data.readableBytes)
        let now = Timestamp.now()
        // Split and copied before taking the lock, which every writer of every file shares.
        let pieces = Self.pieces(of: data, at: offset, chunk: UInt64(chunkSize))
        var (after, added): (AfterAdd, Int) = files.withLock { table in
            if table[ino] == nil { table[ino] = File(generations: [newGeneration()], owner: owner) }
            // Mutated in place: a copy would copy every chunk's extents on each write.
            let added = Self.add(pieces, to: &table[ino]!.generations[table[ino]!.generations.count - 1], end: end, now: now)
            var after = AfterAdd()
            if table[ino]!.generations.last!.bytes >= sealSize {
                table[ino]!.generations.append(newGeneration())
                if !table[ino]!.backgroundFlush { table[ino]!.backgroundFlush = true; after.startBackgroundFlush = true }
            }
            // Writers outrunning the background flush wait for it rather than flushing everything themselves:
            // paced while it keeps up, held for a landing once the file is full.
            let held = table[ino]!.bytes
            if held >= fileLimit {
                after.then = table[ino]!.backgroundFlush ? .waitForRoom : .flushNow
            } else if table[ino]!.backgroundFlush,
                      let slot = table[ino]!.pacer.slot(added: added, held: held, limit: fileLimit, now: .now) {
                after.then = .pace(until: slot)
            }
            return (after, added)
        }
        let all = total.add(added, ordering: .sequentiallyConsistent).newValue
        if all >= totalLimit { after.then = .flushNow }
        return after
    }

    /// Returns once the file is under `fileLimit` or no background flush is working on it.
    func waitForRoom(_ ino: InodeID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits: Bool = files.withLock { table in
                guard let file = table[ino], file.backgroundFlush, file.bytes >= fileLimit else { return false }
                // Registered under the files lock: whoever changes the file next wakes it.
                roomWaiters.withLock { $0[ino, default: []].append(continuation) }
                return true
            }
            if !waits { continuation.resume() }
        }
    }

    /// Whether writers are about to wait for (or already wait for) the file's background flush, which then
    /// is what they wait on and should not yield the CPU to them.
    func isPressing(_ ino: InodeID) -> Bool {
        files.withLock { ($0[ino]?.bytes ?? 0) >= fileLimit / 4 * 3 } || roomWaiters.withLock { $0[ino] != nil }
    }

    private func wakeRoomWaiters(_ ino: InodeID) {
        for waiter in roomWaiters.withLock({ $0.removeValue(forKey: ino) }) ?? [] { waiter.resume() }
    }

    /// `data` at `offset` cut at chunk boundaries, small writes copied (see `add`).
    private static func pieces(of data: ByteBuffer, at offset: UInt64, chunk: UInt64) -> [(index: Int64, extent: Extent)] {
        let end = offset + UInt64(data.readableBytes)
        let copied = data.readableBytes < Self.keptWithoutCopy || data.storageCapacity > data.readableBytes / 4 * 5
        var position = offset
        var pieces: [(index: Int64, extent: Extent)] = []
        while position < end {
            let within = Int(position % chunk)
            let length = Int(min(end - position, chunk - UInt64(within)))
            var piece = data.getSlice(at: data.readerIndex + Int(position - offset), length: length)!
            if copied {
                var copy = ByteBuffer()
                copy.reserveCapacity(length)
                copy.writeImmutableBuffer(piece)
                piece = copy
            }
            pieces.append((Int64(position / chunk), Extent(offset: within, data: piece)))
            position += UInt64(length)
        }
        return pieces
    }

    private static func add(_ pieces: [(index: Int64, extent: Extent)], to generation: inout Generation, end: UInt64,
                            now: Timestamp) -> Int {
        var added = 0
        for piece in pieces { added += insert(piece.extent, into: &generation.chunks[piece.index, default: []]) }
        if generation.writes == 0 { generation.since = .now }
        generation.end = max(generation.end, end)
        generation.writes &+= 1
        generation.mtime = now
        generation.bytes += added
        return added
    }

    /// Inserts `new`, trimming what it overlaps; returns the change in bytes held.
    private static func insert(_ new: Extent, into extents: inout [Extent]) -> Int {
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

    func has(_ ino: InodeID) -> Bool { files.withLock { $0[ino] != nil } }

    /// Whether the file may have writes to add to its stored attributes; lock-free while no file has a pending
    /// byte (a write adds its bytes before it is answered, a flush removes them after its commit, so an inode
    /// read after this saw none already includes them). The read paths ask it for every inode they answer.
    func mayHave(_ ino: InodeID) -> Bool { total.load(ordering: .sequentiallyConsistent) != 0 && has(ino) }

    /// Starts a new generation for further writes; returns the newest one with writes (nil: none).
    func seal(_ ino: InodeID) -> UInt64? {
        files.withLock { table in
            guard let last = table[ino]?.generations.last(where: { $0.writes > 0 }) else { return nil }
            if table[ino]!.generations.last!.writes > 0 { table[ino]!.generations.append(newGeneration()) }
            return last.id
        }
    }

    /// Brackets a commit of pending writes and their removal from here.
    func landing<T>(_ body: () async throws(FSError) -> T) async throws(FSError) -> T {
        landingNow.add(1, ordering: .sequentiallyConsistent)
        defer {
            landed.add(1, ordering: .sequentiallyConsistent)
            landingNow.subtract(1, ordering: .sequentiallyConsistent)
        }
        return try await body()
    }

    struct Landings: Equatable { var inProgress: Int; var finished: UInt64 }
    var landings: Landings {
        Landings(inProgress: landingNow.load(ordering: .sequentiallyConsistent), finished: landed.load(ordering: .sequentiallyConsistent))
    }

    /// The oldest generation with writes in it.
    func oldest(_ ino: InodeID) -> Generation? {
        files.withLock { $0[ino]?.generations.first { $0.writes > 0 } }
    }

    /// The oldest sealed generation (never the one taking writes).
    func oldestUnstaged(_ ino: InodeID) -> Generation? {
        files.withLock { table in table[ino]?.generations.dropLast().first { !$0.isStaged } }
    }

    /// Swaps the generation's staged chunks for `staged`, freeing their memory; false (nothing changed)
    /// if it landed or was staged meanwhile. Callers hold the file's lock, so no landing is under way.
    func stage(_ ino: InodeID, generation id: UInt64, _ staged: [Staged], taking indexes: [Int64]) -> Bool {
        let freed: Int? = files.withLock { table in
            guard let at = table[ino]?.generations.firstIndex(where: { $0.id == id }),
                  !table[ino]!.generations[at].isStaged else { return nil }
            var freed = 0
            for index in indexes {
                freed += table[ino]!.generations[at].chunks.removeValue(forKey: index)?.reduce(0) { $0 + $1.data.readableBytes } ?? 0
            }
            table[ino]!.generations[at].bytes -= freed
            table[ino]!.generations[at].staged = staged
            table[ino]!.generations[at].isStaged = true
            return freed
        }
        guard let freed else { return false }
        total.subtract(freed, ordering: .sequentiallyConsistent)
        wakeRoomWaiters(ino)
        return true
    }

    /// The staged blocks of the generations up to `id`.
    func stagedBlocks(_ ino: InodeID, upTo id: UInt64) -> [BlockKey] {
        files.withLock { table in table[ino]?.generations.filter { $0.id <= id }.flatMap(\.stagedBlocks) ?? [] }
    }

    func contains(_ ino: InodeID, generation id: UInt64) -> Bool {
        files.withLock { $0[ino]?.generations.contains { $0.id == id } ?? false }
    }

    /// How long the background flush took to land a generation of `bytes` (the pace writers are held to).
    func backgroundFlushLanded(_ ino: InodeID, bytes: Int, in elapsed: Duration) {
        files.withLock { table in table[ino]?.pacer.landed(bytes: bytes, in: elapsed) }
    }

    /// Ends a background flush unless a generation was sealed meanwhile (then it goes on: true).
    func finishBackgroundFlush(_ ino: InodeID) -> Bool {
        let goesOn: Bool = files.withLock { table in
            guard table[ino] != nil else { return false }
            if table[ino]!.generations.dropLast().contains(where: { !$0.isStaged }) { return true }
            table[ino]!.backgroundFlush = false
            if table[ino]!.generations.allSatisfy({ $0.writes == 0 }) { table[ino] = nil }
            return false
        }
        if !goesOn { wakeRoomWaiters(ino) }
        return goesOn
    }

    func abandonBackgroundFlush(_ ino: InodeID) {
        files.withLock { table in if table[ino] != nil { table[ino]!.backgroundFlush = false } }
        wakeRoomWaiters(ino)
    }

    /// What the attributes need of a file's pending writes (without holding on to its extents).
    struct Summary: Sendable { var end: UInt64; var writes: UInt64; var mtime: Timestamp }

    func summary(_ ino: InodeID) -> Summary? {
        files.withLock { table in
            guard let file = table[ino] else { return nil }
            var summary: Summary?
            for g in file.generations where g.writes > 0 {
                summary = Summary(end: max(summary?.end ?? 0, g.end), writes: (summary?.writes ?? 0) &+ g.writes, mtime: g.mtime)
            }
            return summary
        }
    }

    /// Forgets one generation once it is in the stores; the file's entry goes with its last writes.
    func remove(_ ino: InodeID, generation id: UInt64) {
        let freed: Int = files.withLock { table in
            guard let at = table[ino]?.generations.firstIndex(where: { $0.id == id }) else { return 0 }
            let gone = table[ino]!.generations.remove(at: at)
            if table[ino]!.generations.allSatisfy({ $0.writes == 0 }) && !table[ino]!.backgroundFlush {
                table[ino] = nil
            } else if table[ino]!.generations.isEmpty {
                table[ino]!.generations = [newGeneration()]
            }
            return gone.bytes
        }
        total.subtract(freed, ordering: .sequentiallyConsistent)
        wakeRoomWaiters(ino)
    }

    /// Forgets all of a file's pending writes (the file is gone); returns the staged blocks, which nothing
    /// will reference now.
    @discardableResult
    func remove(_ ino: InodeID) -> [BlockKey] {
        guard let file = files.withLock({ $0.removeValue(forKey: ino) }) else { return [] }
        total.subtract(file.bytes, ordering: .sequentiallyConsistent)
        wakeRoomWaiters(ino)
        return file.generations.flatMap(\.stagedBlocks)
    }

    /// Files with a write pending for at least `age`.
    func older(than age: Duration) -> [(InodeID, StrataFileSystem)] {
        let limit = ContinuousClock.now - age
        return files.withLock { table in
            table.compactMap { ino, f in
                (f.generations.first { $0.writes > 0 }?.since).map { $0 <= limit ? (ino, f.owner) : nil } ?? nil
            }
        }
    }

    var everyFile: [(InodeID, StrataFileSystem)] { files.withLock { table in table.map { ($0.key, $0.value.owner) } } }
}

extension Attributes {
    /// What the file's attributes are once its pending writes land (size, times, change).
    mutating func include(_ file: PendingWrites.Summary) {
        size = max(size, file.end)
        mtime = max(mtime, file.mtime)
        ctime = max(ctime, file.mtime)
        change &+= file.writes
        spaceUsed = Self.spaceEstimate(size: size)
    }
}
