@_exported import FileSystemTypes
import MetadataStore
import NIOCore

/// POSIX semantics over inodes. The NFS layer's only view of storage. Every call that changes something
/// is one metadata transaction and is durable when it returns, except `write(stable: .unstable)`, which is
/// visible at once and durable after `commit` (NFS's UNSTABLE4 contract).
public protocol FileSystem: Sendable {
    /// Which file system this is; file handles carry it.
    var id: FileSystemID { get }
    var root: InodeID { get }
    func getattr(_ ino: InodeID) async throws(FSError) -> Attributes
    /// What kind of inode `ino` is (stale if it is gone): cheaper than `getattr`, which adds pending writes.
    func type(of ino: InodeID) async throws(FSError) -> FileType
    func access(_ ino: InodeID, as caller: Caller) async throws(FSError) -> AccessRights
    func lookup(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> Attributes
    /// The directory holding `dir` (the root is its own parent).
    func lookupParent(_ dir: InodeID, as caller: Caller) async throws(FSError) -> Attributes
    func create(_ dir: InodeID, _ name: Name, _ kind: NewInode, _ attrs: SetAttributes, mode: CreateMode,
                as caller: Caller) async throws(FSError) -> CreateResult
    func setattr(_ ino: InodeID, _ attrs: SetAttributes, as caller: Caller) async throws(FSError) -> Attributes
    func readlink(_ ino: InodeID) async throws(FSError) -> [UInt8]
    func link(_ ino: InodeID, into dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> (Attributes, DirChange)
    /// Removes a non-directory (unlink).
    func unlink(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> DirChange
    /// Removes an empty directory.
    func rmdir(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> DirChange
    /// Removes whichever kind of inode `name` is (NFS REMOVE).
    func remove(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> DirChange
    func rename(_ from: InodeID, _ old: Name, to: InodeID, _ new: Name, as caller: Caller) async throws(FSError) -> RenameResult
    func readdir(_ dir: InodeID, after cookie: UInt64, limit: Int, as caller: Caller) async throws(FSError) -> DirPage
    func read(_ ino: InodeID, offset: UInt64, count: Int) async throws(FSError) -> (data: ByteBuffer, eof: Bool)
    func write(_ ino: InodeID, offset: UInt64, _ data: ByteBuffer, stable: Stability) async throws(FSError) -> WriteResult
    /// Makes earlier writes durable; returns the write verifier.
    func commit(_ ino: InodeID) async throws(FSError) -> UInt64
    func statfs() async throws(FSError) -> FileSystemStats
    /// A client opened the file: while any open lasts, removing its last name leaves it readable and writable.
    func retainOpen(_ ino: InodeID)
    /// An open of the file ended; after the last, a file without names goes with its data.
    func releaseOpen(_ ino: InodeID) async
}
