import Synchronization

/// Files clients hold open (NFSv4 OPEN state). A file whose last name goes while it is open keeps its inode
/// and data, nameless, until the last open ends: POSIX unlink-while-open, and what RENAME over an open file
/// must leave behind (RFC 8881 §18.26: the open stateid stays usable until CLOSE). Shared by every file
/// system instance over one engine.
final class OpenFiles: Sendable {
    private let counts = Mutex<[InodeID: Int]>([:])

    func retain(_ ino: InodeID) { counts.withLock { $0[ino, default: 0] += 1 } }

    /// One open fewer; true when it was the last.
    func release(_ ino: InodeID) -> Bool {
        counts.withLock { counts in
            guard let count = counts[ino] else { return false }
            if count > 1 { counts[ino] = count - 1; return false }
            counts[ino] = nil
            return true
        }
    }

    func isOpen(_ ino: InodeID) -> Bool { counts.withLock { $0[ino] != nil } }
}
