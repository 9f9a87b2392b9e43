import MetadataStore
import NIOCore


/// Who is asking: after access-point overrides and root squash have been applied.
public struct Caller: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups.
    public var groups: [UInt32]
    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = []) { self.uid = uid; self.gid = gid; self.groups = groups }
    public static let root = Caller(uid: 0, gid: 0)
    public var isRoot: Bool { uid == 0 }
    public func isMember(of gid: UInt32) -> Bool { self.gid == gid || groups.contains(gid) }
}

/// A directory entry name: 1–255 bytes, no `/` or NUL, not `.` or `..`.
public struct Name: Sendable, Hashable, CustomStringConvertible {
    public static let maxLength = 255
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(FSError) {
        guard !bytes.isEmpty else { throw .invalid }
        guard bytes.count <= Name.maxLength else { throw .nameTooLong }
        guard !bytes.contains(0x2F), !bytes.contains(0), bytes != [0x2E], bytes != [0x2E, 0x2E] else { throw .invalid }
        self.bytes = bytes
    }

    public init(_ string: String) throws(FSError) { try self.init(Array(string.utf8)) }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// A file's attributes as the protocol layer sees them.
public struct Attributes: Sendable, Hashable {
    public var id: InodeID
    public var type: FileType
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var nlink: UInt32
    public var size: UInt64
    /// Bytes of storage the file's data occupies (whole chunks as stored; holes take none).
    public var spaceUsed: UInt64
    public var atime: Timestamp
    public var mtime: Timestamp
    public var ctime: Timestamp
    public var birthtime: Timestamp
    public var change: UInt64
    public var rdevMajor: UInt32
    public var rdevMinor: UInt32
    public var fileSystem: Int64

    init(_ inode: Inode) {
        id = inode.id; type = inode.type; mode = inode.mode; uid = inode.uid; gid = inode.gid
        nlink = inode.nlink; size = inode.size; atime = inode.atime; mtime = inode.mtime; ctime = inode.ctime
        birthtime = inode.birthtime; change = inode.change; rdevMajor = inode.rdevMajor; rdevMinor = inode.rdevMinor
        fileSystem = inode.fileSystem
        spaceUsed = inode.type == .regular ? Self.spaceEstimate(size: inode.size) : 4096
    }

    /// Space is counted in 4 KiB units of the logical size: an estimate that never needs a chunk scan.
    static func spaceEstimate(size: UInt64) -> UInt64 { (size + 4095) / 4096 * 4096 }
}

public enum TimeChange: Sendable, Hashable {
    case serverTime
    case set(Timestamp)
}

/// Attributes to change; nil leaves one as it is.
public struct SetAttributes: Sendable, Hashable {
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var size: UInt64?
    public var atime: TimeChange?
    public var mtime: TimeChange?
    public init(mode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil, size: UInt64? = nil,
                atime: TimeChange? = nil, mtime: TimeChange? = nil) {
        self.mode = mode; self.uid = uid; self.gid = gid; self.size = size; self.atime = atime; self.mtime = mtime
    }
    public var isEmpty: Bool { self == SetAttributes() }
}

public enum NewInode: Sendable, Hashable {
    case regular
    case directory
    case symlink(target: [UInt8])
    case fifo
    case socket
    case characterDevice(major: UInt32, minor: UInt32)
    case blockDevice(major: UInt32, minor: UInt32)
}

/// How `create` treats a name that already exists (NFS createmode4).
public enum CreateMode: Sendable, Hashable {
    /// Open the existing regular file (applying a size in the attributes).
    case unchecked
    /// Fail with `exists`.
    case guarded
    /// Succeed only if the existing file was created with this verifier: a retransmitted create.
    case exclusive(verifier: UInt64)
}

public enum Stability: Int, Sendable, Comparable {
    case unstable = 0, dataSync = 1, fileSync = 2
    public static func < (a: Stability, b: Stability) -> Bool { a.rawValue < b.rawValue }
}

public struct WriteResult: Sendable {
    public var count: Int
    public var committed: Stability
    /// Changes whenever data written unstable could have been lost (on every restart).
    public var verifier: UInt64
}

/// A directory's change counter around one operation (NFS change_info4); `atomic` as both were read in
/// the same transaction as the change.
public struct DirChange: Sendable, Hashable {
    public var before: UInt64
    public var after: UInt64
    public var atomic: Bool { true }
    public init(before: UInt64, after: UInt64) { self.before = before; self.after = after }
}

public struct CreateResult: Sendable {
    public var attributes: Attributes
    /// False when `create` returned an existing file (unchecked, or a retransmitted exclusive create).
    public var created: Bool
    public var directory: DirChange
}

public struct RenameResult: Sendable {
    public var source: DirChange
    public var target: DirChange
}

public struct DirEntry: Sendable {
    public var name: Name
    public var cookie: UInt64
    public var attributes: Attributes
}

public struct DirPage: Sendable {
    public var entries: [DirEntry]
    /// True when no entries follow the last one returned.
    public var eof: Bool
    /// Cookies never become invalid, so the verifier is constant for a directory.
    public var verifier: UInt64
}

/// What a caller may do to a file: the answer to an access check.
public struct AccessRights: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = AccessRights(rawValue: 4)
    public static let write = AccessRights(rawValue: 2)
    public static let execute = AccessRights(rawValue: 1)
    public static let all: AccessRights = [.read, .write, .execute]
}

public struct FileSystemStats: Sendable {
    public var files: UInt64
    public var bytes: [StorageClass: UInt64]
}

public enum Limits {
    /// EFS's largest file: 47.9 TiB.
    public static let maxFileSize: UInt64 = 52_673_613_135_872
    public static let maxLinks: UInt32 = 65_000
    public static let maxSymlinkTarget = 4096
    public static let defaultChunkSize = 1 << 20
}
