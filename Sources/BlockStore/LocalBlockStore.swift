#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CStrataLinux
import NIOCore
import NIOPosix

/// Blocks as files under `root/ab/<key>` (256 shard directories, made once when the store is created). Blocking
/// file calls run on private thread pools, never on the caller's executor: an fsync takes milliseconds, and the
/// cooperative pool has one thread per core. Background puts have a pool of their own whose threads run at a
/// lower CPU priority, so copying a large flush into the page cache does not delay the calls clients wait on.
public final class LocalBlockStore: BlockStore {
    public let root: String
    private let pool: NIOThreadPool
    private let backgroundPool: NIOThreadPool
    private let allocator = ByteBufferAllocator()
    private let openBlocks = OpenBlocks()
    /// The nice value of background put threads (Linux sets it per thread).
    static let backgroundNice: Int32 = 10

    public init(root: String, threads: Int = 16, backgroundThreads: Int = 16) throws {
        self.root = root
        try Self.makeDirectory(root)
        for shard in 0..<256 { try Self.makeDirectory(root + "/" + Self.hex2(shard)) }
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        backgroundPool = NIOThreadPool(numberOfThreads: backgroundThreads)
        backgroundPool.start()
    }

    deinit {
        openBlocks.closeAll()
        pool.shutdownGracefully { _ in }
        backgroundPool.shutdownGracefully { _ in }
    }

    public func put(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority, readBack: ReadBack) async throws {
        try await write(key, parts: parts, priority: priority, readBack: readBack, durable: true)
    }

    /// Into the page cache with its write-back started; `sync` waits for it.
    public func stage(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority) async throws {
        try await write(key, parts: parts, priority: priority, readBack: .likely, durable: false)
    }

    /// The blocks' fdatasyncs run side by side: most of their bytes are already on their way to the disk.
    public func sync(_ keys: [BlockKey]) async throws {
        let paths = keys.map { location(of: $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for path in paths {
                group.addTask {
                    try await self.pool.runIfActive {
                        let fd = open(path, O_WRONLY | O_CLOEXEC)
                        guard fd >= 0 else { throw BlockStoreError.io(operation: "open \(path)", errno: errno) }
                        defer { close(fd) }
                        guard fdatasync(fd) == 0 else { throw BlockStoreError.io(operation: "fdatasync", errno: errno) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func write(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority, readBack: ReadBack,
                       durable: Bool) async throws {
        let path = location(of: key)
        let background = priority == .background
        try await (background ? backgroundPool : pool).runIfActive {
            if background { Self.lowerPriorityOfThisThread() }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                if errno == EEXIST { throw BlockStoreError.alreadyExists(key) }
                throw BlockStoreError.io(operation: "open \(path)", errno: errno)
            }
            do {
                // A block unlikely to be read soon goes past the page cache (see `DirectWriter`).
                let direct = readBack == .unlikely ? try DirectWriter.write(fd, parts) : false
                // A staged block's write-back starts piece by piece, so its later sync has little left to wait for.
                if !direct { try Self.writeAll(fd, parts, perCall: background || !durable ? 256 << 10 : .max) }
                // The block must be on disk before any metadata that references it commits.
                if durable { guard fdatasync(fd) == 0 else { throw BlockStoreError.io(operation: "fdatasync", errno: errno) } }
                close(fd)
            } catch {
                close(fd)
                unlink(path)
                throw error
            }
        }
    }

    /// setpriority(PRIO_PROCESS, 0) changes the calling thread only on Linux; a no-op once it is set.
    private static func lowerPriorityOfThisThread() {
        #if os(Linux)
        errno = 0
        let now = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        if errno == 0 && now < backgroundNice { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, backgroundNice) }
        #endif
    }

    /// Reads run on the calling task's thread: blocks are usually in the page cache, where a pread takes
    /// microseconds, and handing it to the pool costs two thread wake-ups (more than the read itself).
    /// Descriptors of blocks read lately stay open (see `OpenBlocks`).
    public func get(_ key: BlockKey, range: Range<Int>?) async throws -> ByteBuffer {
        let path = location(of: key)
        do {
            return try openBlocks.withDescriptor(key.rawValue, path: path) { fd in try read(fd, range) }
        } catch let failed as OpenBlocks.OpenError {
            if failed.errno == ENOENT { throw BlockStoreError.notFound(key) }
            throw BlockStoreError.io(operation: "open \(path)", errno: failed.errno)
        }
    }

    private func read(_ fd: Int32, _ range: Range<Int>?) throws -> ByteBuffer {
        let wanted: Range<Int>
        if let range { wanted = range } else {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw BlockStoreError.io(operation: "fstat", errno: errno) }
            wanted = 0..<Int(st.st_size)
        }
        guard wanted.lowerBound >= 0 else { throw BlockStoreError.io(operation: "read range", errno: EINVAL) }
        var buffer = allocator.buffer(capacity: wanted.count)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted.count) { out in
            try Self.readAll(fd, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<wanted.count]),
                             at: wanted.lowerBound)
        }
        return buffer
    }

    public func delete(_ keys: [BlockKey]) async throws {
        guard !keys.isEmpty else { return }
        let paths = keys.map { location(of: $0) }
        let names = keys.map(\.rawValue)
        // Before, so no idle descriptor outlives its file; after, for any a reader cached in between.
        openBlocks.forget(names)
        defer { openBlocks.forget(names) }
        try await pool.runIfActive {
            for path in paths where unlink(path) != 0 && errno != ENOENT {
                throw BlockStoreError.io(operation: "unlink \(path)", errno: errno)
            }
        }
    }

    public func list() async throws -> [BlockInfo] {
        let root = self.root
        return try await pool.runIfActive {
            var found: [BlockInfo] = []
            for shard in try Self.children(root) where shard.utf8.count == 2 {
                let dir = root + "/" + shard
                for name in try Self.children(dir) {
                    var st = stat()
                    guard let key = BlockKey(name), stat(dir + "/" + name, &st) == 0 else { continue }
                    found.append(BlockInfo(key: key, size: Int(st.st_size)))
                }
            }
            return found
        }
    }

    // MARK: - Files

    private func location(of key: BlockKey) -> String {
        root + "/" + key.rawValue.prefix(2) + "/" + key.rawValue
    }

    private static func hex2(_ n: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[n >> 4], digits[n & 15]])
    }

    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 {
            // Make the new directory's own entry durable, so blocks written into it survive a crash.
            let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let fd = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { fsync(fd); close(fd) }
            return
        }
        guard errno == EEXIST else { throw BlockStoreError.io(operation: "mkdir \(path)", errno: errno) }
    }

    private static func children(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw BlockStoreError.io(operation: "opendir \(path)", errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes `parts` back to back from offset 0 with gather writes (no copy into one buffer first), at most
    /// about `perCall` bytes a call: the kernel copies into the page cache without yielding the CPU, and
    /// between calls the scheduler can run the threads clients wait on.
    private static func writeAll(_ fd: Int32, _ parts: [ByteBuffer], perCall: Int = .max) throws {
        // Each part's storage is retained while the kernel reads from it (as NIO does for writev).
        var storages: [Unmanaged<AnyObject>] = []
        var pieces: [iovec] = []
        for part in parts where part.readableBytes > 0 {
            part.withUnsafeReadableBytesWithStorageManagement { bytes, storage in
                storages.append(storage.retain())
                pieces.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), iov_len: bytes.count))
            }
        }
        defer { for storage in storages { storage.release() } }
        var offset = 0, first = 0
        while first < pieces.count {
            // IOV_MAX parts at most; a background put also stops once it has `perCall` bytes.
            var count = 0, bytes = 0
            while first + count < pieces.count, count < 1024, bytes < perCall { bytes += pieces[first + count].iov_len; count += 1 }
            let n = pieces.withUnsafeBufferPointer { pwritev(fd, $0.baseAddress! + first, Int32(count), off_t(offset)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BlockStoreError.io(operation: "pwritev", errno: errno)
            }
            guard n > 0 else { throw BlockStoreError.io(operation: "pwritev", errno: EIO) }
            // Start writing this piece back now, so the disk works while the next is copied and the final
            // fdatasync mostly waits for what is already under way.
            if perCall != .max { _ = strata_start_writeback(fd, Int64(offset), Int64(n)) }
            offset += n
            var left = n
            while first < pieces.count, left >= pieces[first].iov_len { left -= pieces[first].iov_len; first += 1 }
            if left > 0 { pieces[first].iov_base += left; pieces[first].iov_len -= left }
        }
    }

    /// Reads until `out` is full or the file ends; returns the count read.
    private static func readAll(_ fd: Int32, into out: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        var done = 0
        while done < out.count {
            let n = pread(fd, out.baseAddress! + done, out.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw BlockStoreError.io(operation: "pread", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
