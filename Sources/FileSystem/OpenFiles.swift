import Synchronization

/// Files clients hold open (NFSv4 OPEN state). A file whose last name goes while it is open keeps its inode
/// and data, nameless, until the last open ends: POSIX unlink-while-open, and what RENAME over an open file
/// must leave behind (RFC 8881 §18.26: the open stateid stays usable until CLOSE). Shared by every file
/// system instance over one engine.
final class OpenFiles: Sendable {
    private struct Holds { var count: Int; var unlinked = false }
    private let holds = Mutex<[InodeID: Holds]>([:])

    func retain(_ ino: InodeID) { holds.withLock { $0[ino, default: Holds(count: 0)].count += 1 } }

    /// One open fewer. True when it was the last and the file lost its last name meanwhile: only then is
    /// there anything to delete (a close of a named file costs no transaction).
    func release(_ ino: InodeID) -> Bool {
        holds.withLock { holds in
            guard let held = holds[ino] else { return false }
            if held.count > 1 { holds[ino]!.count -= 1; return false }
            holds[ino] = nil
            return held.unlinked
        }
    }

    /// Whether `ino` is open; if so, it is noted as having lost its last name (the caller is keeping it).
    func keepIfOpen(_ ino: InodeID) -> Bool {
        holds.withLock { holds in
            guard holds[ino] != nil else { return false }
            holds[ino]!.unlinked = true
            return true
        }
    }

    func isOpen(_ ino: InodeID) -> Bool { holds.withLock { $0[ino] != nil } }
}
