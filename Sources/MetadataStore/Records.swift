@_exported import FileSystemTypes

/// One inode row: POSIX attributes plus what the protocol layer needs (change counter, create verifier).
public struct Inode: Hashable, Sendable {
    public var id: InodeID
    public var fileSystem: FileSystemID
    public var type: FileType
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000); no type bits.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var nlink: UInt32
    public var size: UInt64
    public var atime: Timestamp
    public var mtime: Timestamp
    public var ctime: Timestamp
    public var birthtime: Timestamp
    /// Moves on every change of data or attributes (NFS `change`).
    public var change: UInt64
    public var rdevMajor: UInt32
    public var rdevMinor: UInt32
    /// The target of a symlink.
    public var symlinkTarget: [UInt8]?
    /// The exclusive-create verifier a regular file was created with, if any.
    public var createVerifier: UInt64?
    /// For a directory, the directory holding it (itself for a root); 0 otherwise.
    public var parent: InodeID

    public init(id: InodeID = 0, fileSystem: FileSystemID, type: FileType, mode: UInt32, uid: UInt32, gid: UInt32,
                nlink: UInt32, size: UInt64 = 0, time: Timestamp, change: UInt64 = 1,
                rdevMajor: UInt32 = 0, rdevMinor: UInt32 = 0, symlinkTarget: [UInt8]? = nil,
                createVerifier: UInt64? = nil, parent: InodeID = 0) {
        self.id = id; self.fileSystem = fileSystem; self.type = type; self.mode = mode
        self.uid = uid; self.gid = gid; self.nlink = nlink; self.size = size
        self.atime = time; self.mtime = time; self.ctime = time; self.birthtime = time
        self.change = change; self.rdevMajor = rdevMajor; self.rdevMinor = rdevMinor
        self.symlinkTarget = symlinkTarget; self.createVerifier = createVerifier; self.parent = parent
    }
}

/// A directory entry. `cookie` is assigned at insertion, above every cookie in its directory, so listing a
/// directory in cookie order never repeats or skips an entry because of other inserts and removals.
public struct DirEntryRecord: Hashable, Sendable {
    public var directory: InodeID
    public var name: [UInt8]
    public var inode: InodeID
    public var cookie: UInt64
    public init(directory: InodeID, name: [UInt8], inode: InodeID, cookie: UInt64) {
        self.directory = directory; self.name = name; self.inode = inode; self.cookie = cookie
    }
}

/// One fixed-size piece of a file: `length` valid bytes of block `block` from `blockOffset` on; bytes past
/// them read as zeros. The chunks one flush writes whole share a block, so a large write is a few files.
public struct Chunk: Hashable, Sendable {
    public var inode: InodeID
    public var index: Int64
    /// The chunk's base content: `length` bytes at `blockOffset` (other bytes belong to other chunks).
    public var block: String
    public var blockOffset: Int
    public var length: Int
    public var storageClass: StorageClass
    /// Small writes laid over the base, oldest first (a later one wins where they overlap).
    public var slices: [Slice]
    public init(inode: InodeID, index: Int64, block: String, length: Int, storageClass: StorageClass = .standard,
                slices: [Slice] = [], blockOffset: Int = 0) {
        self.inode = inode; self.index = index; self.block = block; self.length = length; self.storageClass = storageClass
        self.slices = slices; self.blockOffset = blockOffset
    }
}

/// Bytes written over part of a chunk without rewriting the chunk (as JuiceFS does): `length` bytes at
/// `offset` in the chunk, stored at `blockOffset` in `block`. One block holds the slices of many chunks,
/// so a flush of scattered small writes is one block and one transaction.
public struct Slice: Hashable, Sendable {
    public var offset: Int
    public var length: Int
    public var block: String
    public var blockOffset: Int
    public init(offset: Int, length: Int, block: String, blockOffset: Int) {
        self.offset = offset; self.length = length; self.block = block; self.blockOffset = blockOffset
    }
    public var end: Int { offset + length }
}

public struct FileSystemRecord: Hashable, Sendable {
    public var id: FileSystemID
    public var root: InodeID
    public var chunkSize: Int
    public var createdAt: Timestamp
    public init(id: FileSystemID, root: InodeID, chunkSize: Int, createdAt: Timestamp) {
        self.id = id; self.root = root; self.chunkSize = chunkSize; self.createdAt = createdAt
    }
}

/// A block no chunk references any more, waiting for the collector to delete it.
public struct GarbageBlock: Hashable, Sendable {
    public var block: String
    public var storageClass: StorageClass
    public init(block: String, storageClass: StorageClass) { self.block = block; self.storageClass = storageClass }
}

/// What a file system holds, metered per storage class from the chunks actually stored.
public struct Usage: Hashable, Sendable {
    public var inodes: UInt64
    public var bytes: [StorageClass: UInt64]
    public init(inodes: UInt64, bytes: [StorageClass: UInt64]) { self.inodes = inodes; self.bytes = bytes }
    public var totalBytes: UInt64 { bytes.values.reduce(0, +) }
}
