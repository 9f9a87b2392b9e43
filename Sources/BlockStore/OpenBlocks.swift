#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking

/// Read descriptors of recently read blocks, kept open: a 4 KiB read was an open, a pread and a close, and
/// the open and close (a path walk, a file table entry) cost more than the read. A descriptor is closed
/// only when no reader holds it: when the cache is full (oldest idle ones first) or its block is deleted
/// (so a deleted block's space is freed and it is never read again).
final class OpenBlocks: Sendable {
    private struct Entry {
        var fd: Int32
        var users = 0
        var lastUse: UInt64
        var doomed = false
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }
    private let state = AdaptiveMutex(State())
    let limit: Int

    init(limit: Int = 256) { self.limit = limit }

    /// Runs `body` with a read descriptor of the block at `path` (opened if none is cached). Throws what
    /// `open` failed with as `errno` (ENOENT: no such block).
    func withDescriptor<T>(_ key: String, path: String, _ body: (Int32) throws -> T) throws -> T {
        let fd = try acquire(key, path: path)
        defer { release(key, fd) }
        return try body(fd)
    }

    private func acquire(_ key: String, path: String) throws -> Int32 {
        let cached: Int32? = state.withLock { s in
            guard var entry = s.entries[key], !entry.doomed else { return nil }
            s.clock &+= 1
            entry.users += 1
            entry.lastUse = s.clock
            s.entries[key] = entry
            return entry.fd
        }
        if let cached { return cached }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OpenError(errno: errno) }
        var surplus: [Int32] = []
        let kept: Int32 = state.withLock { s in
            s.clock &+= 1
            if var other = s.entries[key], !other.doomed {
                // Another reader opened it meanwhile: use theirs.
                other.users += 1
                other.lastUse = s.clock
                s.entries[key] = other
                surplus.append(fd)
                return other.fd
            }
            // A doomed entry (its block is being deleted) stays as it is: this descriptor is used once, uncached.
            if s.entries[key] == nil {
                if s.entries.count >= limit { surplus += Self.evictIdle(&s, keeping: limit * 3 / 4) }
                s.entries[key] = Entry(fd: fd, users: 1, lastUse: s.clock)
            }
            return fd
        }
        for fd in surplus { close(fd) }
        return kept
    }

    private func release(_ key: String, _ fd: Int32) {
        let closeIt: Bool = state.withLock { s in
            guard var entry = s.entries[key], entry.fd == fd else { return true }  // an uncached descriptor
            entry.users -= 1
            if entry.doomed && entry.users == 0 { s.entries[key] = nil; return true }
            s.entries[key] = entry
            return false
        }
        if closeIt { close(fd) }
    }

    /// Forgets the blocks' descriptors (closed now, or by their last reader).
    func forget(_ keys: [String]) {
        let closing: [Int32] = state.withLock { s in
            var closing: [Int32] = []
            for key in keys {
                guard var entry = s.entries[key] else { continue }
                if entry.users == 0 { s.entries[key] = nil; closing.append(entry.fd) } else { entry.doomed = true; s.entries[key] = entry }
            }
            return closing
        }
        for fd in closing { close(fd) }
    }

    /// Closes every idle descriptor (the store is going away); held ones close with their last reader.
    func closeAll() { forget(state.withLock { Array($0.entries.keys) }) }

    var count: Int { state.withLock { $0.entries.count } }

    private static func evictIdle(_ s: inout State, keeping: Int) -> [Int32] {
        let idle = s.entries.filter { $0.value.users == 0 }.sorted { $0.value.lastUse < $1.value.lastUse }
        var closing: [Int32] = []
        for (key, entry) in idle.prefix(max(0, s.entries.count - keeping)) {
            s.entries[key] = nil
            closing.append(entry.fd)
        }
        return closing
    }

    struct OpenError: Error { var errno: Int32 }
}
