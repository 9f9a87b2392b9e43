/// Reads of inode, entry and chunk records, inside one consistent snapshot.
public protocol MetadataReader {
    func inode(_ id: InodeID) throws -> Inode?
    /// Several inodes at once (nil where one does not exist), in the order of `ids`.
    func inodes(_ ids: [InodeID]) throws -> [Inode?]
    func entry(_ directory: InodeID, _ name: [UInt8]) throws -> DirEntryRecord?
    /// Entries of `directory` with cookies above `cookie`, in cookie order, at most `limit`.
    func entries(_ directory: InodeID, after cookie: UInt64, limit: Int) throws -> [DirEntryRecord]
    func hasEntries(_ directory: InodeID) throws -> Bool
    /// The chunks of `inode` whose index lies in `indexes`, in index order.
    func chunks(_ inode: InodeID, in indexes: ClosedRange<Int64>) throws -> [Chunk]
    func fileSystem(_ id: FileSystemID) throws -> FileSystemRecord?
    func fileSystems() throws -> [FileSystemRecord]
    func usage(_ fileSystem: FileSystemID) throws -> Usage
    func garbage(limit: Int) throws -> [GarbageBlock]
    /// Every block named by a chunk or waiting in the garbage list, across all file systems.
    func referencedBlocks() throws -> Set<String>
    /// Inodes with no link left: files removed while a client held them open, still waiting for the close.
    func unlinkedInodes() throws -> [InodeID]
    /// Full scans for consistency checks; `body` returns false to stop early.
    func forEachInode(_ fileSystem: FileSystemID, _ body: (Inode) throws -> Bool) throws
    func forEachEntry(_ fileSystem: FileSystemID, _ body: (DirEntryRecord) throws -> Bool) throws
    func forEachChunk(_ fileSystem: FileSystemID, _ body: (Chunk) throws -> Bool) throws
    /// Resources of the layers above (EFS resources, NFS client records, ...) as opaque bodies.
    func resource(kind: ResourceKind, id: String) throws -> [UInt8]?
    func resources(kind: ResourceKind) throws -> [(id: String, body: [UInt8])]
}

/// Changes inside one transaction. Nothing is visible to others, or durable, until the transaction commits.
public protocol MetadataWriter: MetadataReader {
    /// Creates a file system and its root directory.
    func createFileSystem(root: Inode, chunkSize: Int) throws -> FileSystemRecord
    /// Inserts `inode` under a newly allocated id (the `id` field is ignored) and returns it with that id.
    func insertInode(_ inode: Inode) throws -> Inode
    func updateInode(_ inode: Inode) throws
    /// Deletes an inode and its chunks; their blocks go to the garbage list.
    func deleteInode(_ id: InodeID) throws
    /// Adds an entry and returns it with its cookie. The name must not exist yet in `directory`.
    func insertEntry(_ directory: InodeID, _ name: [UInt8], _ inode: InodeID) throws -> DirEntryRecord
    func removeEntry(_ directory: InodeID, _ name: [UInt8]) throws
    /// Sets the chunk at (inode, index); a block it replaces goes to the garbage list.
    func putChunk(_ chunk: Chunk) throws
    /// Removes the chunks at `index` and above; their blocks go to the garbage list.
    func removeChunks(_ inode: InodeID, from index: Int64) throws
    /// Forgets garbage blocks once the block store has deleted them.
    func removeGarbage(_ blocks: [String]) throws
    /// Deletes a whole file system: its inodes, entries and chunks (blocks go to the garbage list).
    func deleteFileSystem(_ id: FileSystemID) throws
    func putResource(kind: ResourceKind, id: String, body: [UInt8]) throws
    func deleteResource(kind: ResourceKind, id: String) throws
}

public enum MetadataStoreError: Error, Sendable, Equatable {
    case engine(String)
    case corrupt(String)
    case locked(String)
    case closed
}

/// Transactional records for inodes, entries, chunks and resources. Engines: SQLite (embedded), PostgreSQL.
public protocol MetadataStore: Sendable {
    func read<T: Sendable>(_ body: @escaping @Sendable (any MetadataReader) throws -> T) async throws -> T
    /// Runs `body` in a transaction that is durable when this returns. If `body` throws, nothing it did
    /// is kept and the error is rethrown. Engines may commit concurrent calls together (group commit).
    func write<T: Sendable>(_ body: @escaping @Sendable (any MetadataWriter) throws -> T) async throws -> T
    /// The committed inode, possibly served from a cache that the engine keeps exact.
    func inode(_ id: InodeID) async throws -> Inode?
    /// An inode and its chunks in `indexes` as of one committed state; engines that keep both in memory
    /// answer without a transaction (the read path of every READ).
    func inodeAndChunks(_ id: InodeID, in indexes: ClosedRange<Int64>) async throws -> (Inode?, [Chunk])
    /// Counts how many times this store has been opened; it changes on every restart.
    var openCount: UInt64 { get }
    func close() async throws
}

extension MetadataStore {
    public func inodeAndChunks(_ id: InodeID, in indexes: ClosedRange<Int64>) async throws -> (Inode?, [Chunk]) {
        try await readInodeAndChunks(id, in: indexes)
    }

    /// `inodeAndChunks` in one read transaction (engines that cache fall back to it).
    public func readInodeAndChunks(_ id: InodeID, in indexes: ClosedRange<Int64>) async throws -> (Inode?, [Chunk]) {
        try await read { r in
            guard let inode = try r.inode(id) else { return (nil, []) }
            return (inode, try r.chunks(id, in: indexes))
        }
    }
}
