import BlockStore
import Locking
import MetadataStore
import NIOCore
import Synchronization

/// Data written UNSTABLE that is not in the stores yet. RFC 8881 §18.32.3 lets a server keep such data until
/// COMMIT; the write verifier (new on every restart) tells clients to send it again if it was lost. Shared by
/// every `StrataFileSystem` of one engine, so all of them see the same pending bytes.
///
/// Each file's state is a `FileWriteBack` value; this driver holds them under one lock, feeds them events and
/// carries out what they answer: it counts bytes across files, wakes writers waiting for room, and forgets
/// a file once nothing of it is pending; its flushes (`WriteBack+Flush`) order the landings and hold the file
/// locks, with the file system doing the chunk-level I/O.
final class WriteBack: Sendable {
    typealias Extent = FileWriteBack.Extent
    typealias Generation = FileWriteBack.Generation
    typealias Staged = FileWriteBack.Staged
    typealias WriterAction = FileWriteBack.WriterAction

    private struct File: Sendable {
        var state: FileWriteBack
        /// The file system the writes came through: the timer flushes through it (every instance of one file
        /// system is alike).
        var flusher: StrataFileSystem
    }

    private let files = AdaptiveMutex<[InodeID: File]>([:])
    /// Writers waiting for a file's background flush to bring it under its limit.
    private let roomWaiters = AdaptiveMutex<[InodeID: [CheckedContinuation<Void, Never>]]>([:])
    private let total = Atomic<Int>(0)
    /// Flushes between their commit and forgetting what they landed, and how many have finished: a
    /// reader that saw none in progress and none finish while it read the inode and the pending writes
    /// counted nothing twice (see `StrataFileSystem.getattr`).
    private let landingNow = Atomic<Int>(0)
    private let landed = Atomic<UInt64>(0)
    private let nextGenerationID = Atomic<UInt64>(1)

    /// Writes of at least this many bytes are kept without copying them, if their buffer is not much larger.
    static let keptWithoutCopy = 64 * 1024

    let limits: FileWriteBack.Limits
    /// All files' pending bytes together: past this, each write flushes its file.
    let totalLimit: Int

    init(fileLimit: Int, totalLimit: Int) {
        limits = FileWriteBack.Limits(sealSize: max(1, fileLimit / 4), fileLimit: fileLimit)
        self.totalLimit = totalLimit
    }

    private func nextGeneration() -> UInt64 { nextGenerationID.add(1, ordering: .relaxed).oldValue }

    /// Runs an event on the file's state and carries out what it answers.
    @discardableResult
    private func event<T>(_ ino: InodeID, _ body: (inout FileWriteBack) -> (T, FileWriteBack.Effects)?) -> T? {
        let outcome: (T, FileWriteBack.Effects)? = files.withLock { table in
            guard table[ino] != nil else { return nil }
            guard let outcome = body(&table[ino]!.state) else { return nil }
            if outcome.1.done { table[ino] = nil }
            return outcome
        }
        guard let (value, effects) = outcome else { return nil }
        apply(ino, effects)
        return value
    }

    private func apply(_ ino: InodeID, _ effects: FileWriteBack.Effects) {
        if effects.freed != 0 { total.subtract(effects.freed, ordering: .sequentiallyConsistent) }
        if effects.wakeWaiters { for waiter in roomWaiters.withLock({ $0.removeValue(forKey: ino) }) ?? [] { waiter.resume() } }
    }

    // MARK: Events

    /// What a writer does after its write was taken.
    struct AfterWrite {
        var startBackgroundFlush: Bool
        var then: WriterAction
    }

    /// Takes a write. Small writes are copied (the caller's buffer may be a slice of a larger network read,
    /// which they would keep alive); large ones are kept as they are when they fill most of their buffer (the
    /// RPC layer reads a large record into a buffer of its own). Buffers come in powers of two, so a 1 MiB
    /// WRITE's record (1 MiB and its header) sits in a 2 MiB buffer: that one is copied rather than held.
    func write(_ ino: InodeID, offset: UInt64, _ data: ByteBuffer, chunkSize: Int, through fs: StrataFileSystem) -> AfterWrite {
        let end = offset + UInt64(data.readableBytes)
        let mtime = Timestamp.now(), now = ContinuousClock.now
        // Split and copied before taking the lock, which every writer of every file shares.
        let pieces = Self.pieces(of: data, at: offset, chunk: UInt64(chunkSize))
        let effects: FileWriteBack.Effects = files.withLock { table in
            if table[ino] == nil { table[ino] = File(state: FileWriteBack(limits: limits, firstGeneration: nextGeneration()), flusher: fs) }
            return table[ino]!.state.write(pieces, end: end, mtime: mtime, at: now, nextGeneration: nextGeneration)
        }
        apply(ino, effects)
        var after = AfterWrite(startBackgroundFlush: effects.startBackgroundFlush, then: effects.writer)
        if total.load(ordering: .sequentiallyConsistent) >= totalLimit { after.then = .flushNow }
        return after
    }

    /// Starts a new generation for further writes; returns the newest one with writes (nil: none).
    func seal(_ ino: InodeID) -> UInt64? {
        files.withLock { table in table[ino]?.state.seal(nextGeneration: nextGeneration) }
    }

    /// Swaps the generation's staged chunks for `staged`, freeing their memory; false (nothing changed)
    /// if it landed or was staged meanwhile. Callers hold the file's lock, so no landing is under way.
    func stage(_ ino: InodeID, generation id: UInt64, _ staged: [Staged], taking indexes: [Int64]) -> Bool {
        event(ino) { state in state.staged(id, staged, taking: indexes).map { ((), $0) } } != nil
    }

    /// Forgets one generation once it is in the stores; the file's entry goes with its last writes.
    func landed(_ ino: InodeID, generation id: UInt64) {
        event(ino) { state in ((), state.landed(id, nextGeneration: nextGeneration)) }
    }

    /// How long the background flush took to land a generation of `bytes` (the pace writers are held to).
    func backgroundFlushMeasured(_ ino: InodeID, bytes: Int, in elapsed: Duration) {
        files.withLock { table in table[ino]?.state.backgroundFlushMeasured(bytes: bytes, in: elapsed) }
    }

    /// Ends a background flush unless a generation was sealed meanwhile (then it goes on: true).
    func finishBackgroundFlush(_ ino: InodeID) -> Bool {
        event(ino) { state in state.backgroundFlushFinished() } ?? false
    }

    func abandonBackgroundFlush(_ ino: InodeID) {
        event(ino) { state in ((), state.backgroundFlushFailed()) }
    }

    /// Forgets all of a file's pending writes (the file is gone); returns the staged blocks, which nothing
    /// will reference now.
    @discardableResult
    func forget(_ ino: InodeID) -> [BlockKey] {
        guard let file = files.withLock({ $0.removeValue(forKey: ino) }) else { return [] }
        apply(ino, FileWriteBack.Effects(freed: file.state.bytes, wakeWaiters: true))
        return file.state.allStagedBlocks
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

    // MARK: Waiting

    /// Returns once the file is under its limit or no background flush is working on it.
    func waitForRoom(_ ino: InodeID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits: Bool = files.withLock { table in
                guard table[ino]?.state.isFull == true else { return false }
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
        files.withLock { $0[ino]?.state.isPressing ?? false } || roomWaiters.withLock { $0[ino] != nil }
    }

    // MARK: Questions

    func has(_ ino: InodeID) -> Bool { files.withLock { $0[ino] != nil } }

    /// Whether the file may have writes to add to its stored attributes; lock-free while no file has a pending
    /// byte (a write adds its bytes before it is answered, a flush removes them after its commit, so an inode
    /// read after this saw none already includes them). The read paths ask it for every inode they answer.
    func mayHave(_ ino: InodeID) -> Bool { total.load(ordering: .sequentiallyConsistent) != 0 && has(ino) }

    struct Landings: Equatable { var inProgress: Int; var finished: UInt64 }
    var landings: Landings {
        Landings(inProgress: landingNow.load(ordering: .sequentiallyConsistent), finished: landed.load(ordering: .sequentiallyConsistent))
    }

    /// The oldest generation with writes in it.
    func oldest(_ ino: InodeID) -> Generation? { files.withLock { $0[ino]?.state.oldest } }

    /// The oldest sealed generation (never the one taking writes) not staged yet.
    func oldestUnstaged(_ ino: InodeID) -> Generation? { files.withLock { $0[ino]?.state.oldestUnstaged } }

    /// The staged blocks of the generations up to `id`.
    func stagedBlocks(_ ino: InodeID, upTo id: UInt64) -> [BlockKey] {
        files.withLock { $0[ino]?.state.stagedBlocks(upTo: id) ?? [] }
    }

    func contains(_ ino: InodeID, generation id: UInt64) -> Bool { files.withLock { $0[ino]?.state.contains(id) ?? false } }

    /// What the attributes need of a file's pending writes (without holding on to its extents).
    struct Summary: Sendable { var end: UInt64; var writes: UInt64; var mtime: Timestamp }

    func summary(_ ino: InodeID) -> Summary? { files.withLock { $0[ino]?.state.summary } }

    /// Files with a write pending since `instant` or earlier (the timer's tick).
    func pending(since instant: ContinuousClock.Instant) -> [(InodeID, StrataFileSystem)] {
        files.withLock { table in
            table.compactMap { ino, file in file.state.pendingSince.flatMap { $0 <= instant ? (ino, file.flusher) : nil } }
        }
    }

    var everyFile: [(InodeID, StrataFileSystem)] { files.withLock { table in table.map { ($0.key, $0.value.flusher) } } }

    /// `data` at `offset` cut at chunk boundaries, small writes copied (see `write`).
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
}

extension Attributes {
    /// What the file's attributes are once its pending writes land (size, times, change).
    mutating func include(_ file: WriteBack.Summary) {
        size = max(size, file.end)
        mtime = max(mtime, file.mtime)
        ctime = max(ctime, file.mtime)
        change &+= file.writes
        spaceUsed = Self.spaceEstimate(size: size)
    }
}
