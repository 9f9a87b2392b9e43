#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Blocks as files under `root/ab/<key>` (256 shard directories, made once when the store is created). Blocking file calls run on a private thread pool, never on
/// the caller's executor: an fsync takes milliseconds, and the cooperative pool has one thread per core.
public final class LocalBlockStore: BlockStore {
    public let root: String
    private let pool: NIOThreadPool
    private let allocator = ByteBufferAllocator()

    public init(root: String, threads: Int = 16) throws {
        self.root = root
        try Self.makeDirectory(root)
        for shard in 0..<256 { try Self.makeDirectory(root + "/" + Self.hex2(shard)) }
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    public func put(_ key: BlockKey, _ data: ByteBuffer) async throws {
        let path = location(of: key)
        try await pool.runIfActive {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                if errno == EEXIST { throw BlockStoreError.alreadyExists(key) }
                throw BlockStoreError.io(operation: "open \(path)", errno: errno)
            }
            do {
                try data.withUnsafeReadableBytes { try Self.writeAll(fd, $0) }
                // The block must be on disk before any metadata that references it commits.
                guard fdatasync(fd) == 0 else { throw BlockStoreError.io(operation: "fdatasync", errno: errno) }
                close(fd)
            } catch {
                close(fd)
                unlink(path)
                throw error
            }
        }
    }

    /// Reads run on the calling task's thread: blocks are usually in the page cache, where a pread takes
    /// microseconds, and handing it to the pool costs two thread wake-ups (more than the read itself).
    public func get(_ key: BlockKey, range: Range<Int>?) async throws -> ByteBuffer {
        let path = location(of: key)
        let allocator = self.allocator
        return try {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw BlockStoreError.notFound(key) }
                throw BlockStoreError.io(operation: "open \(path)", errno: errno)
            }
            defer { close(fd) }
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
        }()
    }

    public func delete(_ keys: [BlockKey]) async throws {
        guard !keys.isEmpty else { return }
        let paths = keys.map { location(of: $0) }
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

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw BlockStoreError.io(operation: "pwrite", errno: errno)
            }
            done += n
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
