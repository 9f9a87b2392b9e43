import FileSystem
import MetadataStore
import XDR

/// An NFS file handle: opaque to clients, stable across restarts. It carries the file system and inode;
/// inode numbers are never reused, so a handle of a deleted file stays stale forever.
public struct FileHandle: Hashable, Sendable {
    static let version: UInt8 = 1
    public var fileSystem: FileSystemID
    public var inode: InodeID

    public init(fileSystem: FileSystemID, inode: InodeID) { self.fileSystem = fileSystem; self.inode = inode }

    public var bytes: [UInt8] {
        var out: [UInt8] = [Self.version]
        withUnsafeBytes(of: fileSystem.bigEndian) { out += $0 }
        withUnsafeBytes(of: inode.bigEndian) { out += $0 }
        return out
    }

    /// Decodes handle bytes; a handle this server could not have made is NFS4ERR_BADHANDLE.
    public init(bytes: [UInt8]) throws(NFSStatus) {
        guard bytes.count == 17, bytes[0] == Self.version else { throw .badhandle }
        var fs: UInt64 = 0, ino: UInt64 = 0
        for b in bytes[1..<9] { fs = fs << 8 | UInt64(b) }
        for b in bytes[9..<17] { ino = ino << 8 | UInt64(b) }
        fileSystem = FileSystemID(bitPattern: fs)
        inode = ino
    }
}
