import MetadataStore
import NIOCore
import Synchronization

/// Data written UNSTABLE that is not in the stores yet. RFC 8881 §18.32.3 lets a server keep such data until
/// COMMIT; the write verifier (new on every restart) tells clients to send it again if it was lost. Shared by
/// every `StrataFileSystem` of one engine, so all of them see the same pending bytes.
final class PendingWrites: Sendable {
    /// Bytes of one chunk at `offset` within it.
    struct Extent: Sendable {
        var offset: Int
        var data: ByteBuffer
        var end: Int { offset + data.readableBytes }
    }

    struct File: Sendable {
        /// Per chunk index: sorted, non-overlapping extents (a later write replaces what it overlaps).
        var chunks: [Int64: [Extent]] = [:]
        /// One past the highest byte written.
        var end: UInt64 = 0
        /// WRITEs taken: the change attribute moves by this much, now and when they are flushed.
        var writes: UInt64 = 0
        var mtime: Timestamp = .now()
        var bytes = 0
        var since = ContinuousClock.now
        /// The file system that took them (flushes go through it; every instance of one file system is alike).
        var owner: StrataFileSystem?
    }

    private let files = Mutex<[InodeID: File]>([:])
    private let total = Atomic<Int>(0)

    /// Files whose pending bytes reach this are flushed by the write that crossed it.
    let fileLimit: Int
    /// All files' pending bytes together: past this, each write flushes its file.
    let totalLimit: Int

    init(fileLimit: Int = 64 << 20, totalLimit: Int = 512 << 20) { self.fileLimit = fileLimit; self.totalLimit = totalLimit }

    /// Takes a write (its bytes are copied: the caller's buffer may be a slice of a larger network read).
    /// Returns true when the file or the total is over its limit and should be flushed now.
    func add(_ ino: InodeID, offset: UInt64, _ data: ByteBuffer, chunkSize: Int, owner: StrataFileSystem) -> Bool {
        let chunk = UInt64(chunkSize)
        let end = offset + UInt64(data.readableBytes)
        let now = Timestamp.now()
        let (fileBytes, added): (Int, Int) = files.withLock { table in
            if table[ino] == nil { table[ino] = File(owner: owner) }
            // Mutated in place: a copy of the File would copy every chunk's extents on each write.
            return Self.add(to: &table[ino]!, offset: offset, end: end, data, chunk: chunk, now: now)
        }
        let all = total.add(added, ordering: .relaxed).newValue
        return fileBytes >= fileLimit || all >= totalLimit
    }

    private static func add(to file: inout File, offset: UInt64, end: UInt64, _ data: ByteBuffer, chunk: UInt64,
                            now: Timestamp) -> (Int, Int) {
        var position = offset
        var added = 0
        while position < end {
            let index = Int64(position / chunk)
            let within = Int(position % chunk)
            let length = Int(min(end - position, chunk - UInt64(within)))
            var copy = ByteBuffer()
            copy.reserveCapacity(length)
            copy.writeImmutableBuffer(data.getSlice(at: data.readerIndex + Int(position - offset), length: length)!)
            added += insert(Extent(offset: within, data: copy), into: &file.chunks[index, default: []])
            position += UInt64(length)
        }
        file.end = max(file.end, end)
        file.writes &+= 1
        file.mtime = now
        file.bytes += added
        return (file.bytes, added)
    }

    /// Inserts `new`, trimming what it overlaps; returns the change in bytes held.
    private static func insert(_ new: Extent, into extents: inout [Extent]) -> Int {
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

    func snapshot(_ ino: InodeID) -> File? { files.withLock { $0[ino] } }

    /// What the attributes need of a file's pending writes (without holding on to its extents).
    struct Summary: Sendable { var end: UInt64; var writes: UInt64; var mtime: Timestamp }

    func summary(_ ino: InodeID) -> Summary? {
        files.withLock { $0[ino].map { Summary(end: $0.end, writes: $0.writes, mtime: $0.mtime) } }
    }

    /// Forgets a file's pending writes once they are in the stores (or the file is gone).
    func remove(_ ino: InodeID) {
        guard let file = files.withLock({ $0.removeValue(forKey: ino) }) else { return }
        total.subtract(file.bytes, ordering: .relaxed)
    }

    /// Files with writes pending for at least `age`.
    func older(than age: Duration) -> [(InodeID, StrataFileSystem)] {
        let limit = ContinuousClock.now - age
        return files.withLock { table in table.compactMap { ino, f in f.since <= limit ? f.owner.map { (ino, $0) } : nil } }
    }

    var everyFile: [(InodeID, StrataFileSystem)] { older(than: .zero) }
    var totalBytes: Int { total.load(ordering: .relaxed) }
}

extension Attributes {
    /// What the file's attributes are once its pending writes land (size, times, change).
    mutating func include(_ file: PendingWrites.Summary) {
        size = max(size, file.end)
        mtime = max(mtime, file.mtime)
        ctime = max(ctime, file.mtime)
        change &+= file.writes
        spaceUsed = (size + 4095) / 4096 * 4096
    }
}
