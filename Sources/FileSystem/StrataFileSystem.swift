import BlockStore
import Logging
import MetadataStore
import NIOCore

/// The file system over a MetadataStore (inodes, entries, chunk maps) and a BlockStore (chunk contents).
/// Namespace operations are one metadata transaction each; writes put new immutable blocks first and then
/// swap chunk references in one transaction, so a crash leaves a file with its old or its new content.
public final class StrataFileSystem: FileSystem {
    public let id: FileSystemID
    public let root: InodeID
    public let chunkSize: Int
    let store: any MetadataStore
    let blocks: any BlockStore
    let collector: BlockCollector
    /// Shared by every instance over the same engine, like `pending`.
    let fileLocks: KeyedMutex<InodeID>
    let openFiles: OpenFiles
    let writeBack: WriteBack
    let allocator = ByteBufferAllocator()
    let logger = Logger(label: "strata.filesystem")

    init(record: FileSystemRecord, store: any MetadataStore, blocks: any BlockStore, collector: BlockCollector,
         fileLocks: KeyedMutex<InodeID>, openFiles: OpenFiles, writeBack: WriteBack) {
        id = record.id; root = record.root; chunkSize = record.chunkSize
        self.store = store; self.blocks = blocks; self.collector = collector
        self.fileLocks = fileLocks; self.openFiles = openFiles; self.writeBack = writeBack
    }

    /// Changes on every restart: unstable data written before it may have been lost.
    public var writeVerifier: UInt64 { store.openCount }

    // MARK: - Transactions

    /// Runs a read transaction; errors other than FSError become `.io`.
    func reading<T: Sendable>(_ body: @escaping @Sendable (any MetadataReader) throws -> T) async throws(FSError) -> T {
        do { return try await store.read(body) } catch { throw mapped(error) }
    }

    /// Runs a durable write transaction; errors other than FSError become `.io`.
    func writing<T: Sendable>(_ body: @escaping @Sendable (any MetadataWriter) throws -> T) async throws(FSError) -> T {
        do { return try await store.write(body) } catch { throw mapped(error) }
    }

    func mapped(_ error: any Error) -> FSError {
        if let error = error as? FSError { return error }
        logger.error("storage failure: \(error)")
        return .io
    }

    /// The inode, which must exist and belong to this file system (a handle from another one is stale).
    func node(_ reader: any MetadataReader, _ ino: InodeID) throws(FSError) -> Inode {
        do { return try owned(try reader.inode(ino)) } catch { throw mapped(error) }
    }

    /// An inode that exists and belongs to this file system; a handle from another one is stale.
    private func owned(_ found: Inode?) throws(FSError) -> Inode {
        guard let found, found.fileSystem == id else { throw .stale }
        return found
    }

    func directory(_ reader: any MetadataReader, _ ino: InodeID) throws(FSError) -> Inode {
        let dir = try node(reader, ino)
        guard dir.type == .directory else { throw .notDirectory }
        return dir
    }

    func loadInode(_ ino: InodeID) async throws(FSError) -> Inode {
        do { return try owned(try await store.inode(ino)) } catch { throw mapped(error) }
    }

    // MARK: - Attributes and lookups

    public func getattr(_ ino: InodeID) async throws(FSError) -> Attributes {
        guard writeBack.mayHave(ino) else { return Attributes(try await loadInode(ino)) }
        // Without the file's lock when no flush was landing meanwhile (the usual case: WRITE compounds ask
        // for attributes every time); a flush that commits between reading the inode and the pending
        // writes would count them twice.
        let before = writeBack.landings
        if before.inProgress == 0 {
            let attributes = try await attributesWithPending(ino)
            if writeBack.landings == before { return attributes }
        }
        return try await fileLocks.withLock(ino) { () async throws(FSError) -> Attributes in
            try await self.attributesWithPending(ino)
        }
    }

    public func type(of ino: InodeID) async throws(FSError) -> FileType { try await loadInode(ino).type }

    /// The inode's attributes with its pending writes included; callers make sure no flush lands meanwhile.
    func attributesWithPending(_ ino: InodeID) async throws(FSError) -> Attributes {
        var attributes = Attributes(try await loadInode(ino))
        if let file = writeBack.summary(ino) { attributes.include(file) }
        return attributes
    }

    /// `attributes` as `getattr` gives them when the inode has unstable writes writeBack.
    func withPending(_ attributes: Attributes) async throws(FSError) -> Attributes {
        writeBack.mayHave(attributes.id) ? try await getattr(attributes.id) : attributes
    }

    public func access(_ ino: InodeID, as caller: Caller) async throws(FSError) -> AccessRights {
        Permissions.rights(try await loadInode(ino), caller)
    }

    public func lookup(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> Attributes {
        let found = try await reading { r in
            let parent = try self.directory(r, dir)
            try Permissions.require(.execute, parent, caller)
            guard let entry = try r.entry(dir, name.bytes) else { throw FSError.noEntry }
            return Attributes(try self.node(r, entry.inode))
        }
        return try await withPending(found)
    }

    public func lookupParent(_ dir: InodeID, as caller: Caller) async throws(FSError) -> Attributes {
        try await reading { r in
            let child = try self.directory(r, dir)
            try Permissions.require(.execute, child, caller)
            return Attributes(try self.node(r, child.parent))
        }
    }

    public func readlink(_ ino: InodeID) async throws(FSError) -> [UInt8] {
        let inode = try await loadInode(ino)
        guard inode.type == .symlink, let target = inode.symlinkTarget else { throw .invalid }
        return target
    }

    public func readdir(_ dir: InodeID, after cookie: UInt64, limit: Int, as caller: Caller) async throws(FSError) -> DirPage {
        guard limit > 0 else { throw .invalid }
        var page = try await reading { r in
            let directory = try self.directory(r, dir)
            try Permissions.require(.read, directory, caller)
            let found = try r.entries(dir, after: cookie, limit: limit + 1)
            let shown = found.prefix(limit)
            let inodes: [Inode?]
            do { inodes = try r.inodes(shown.map(\.inode)) } catch { throw self.mapped(error) }
            // One pass from the looked-up rows to the page: an inode row is copied once, not once per step.
            var entries: [DirEntry] = []
            entries.reserveCapacity(shown.count)
            for (e, inode) in zip(shown, inodes) {
                let inode = try self.owned(inode)
                entries.append(DirEntry(name: Name(stored: e.name), cookie: e.cookie, attributes: Attributes(inode)))
            }
            return DirPage(entries: entries, eof: found.count <= limit, verifier: 0)
        }
        for i in page.entries.indices { page.entries[i].attributes = try await withPending(page.entries[i].attributes) }
        return page
    }

    public func statfs() async throws(FSError) -> FileSystemStats {
        let usage = try await reading { [id] r in try r.usage(id) }
        return FileSystemStats(files: usage.inodes, bytes: usage.bytes)
    }
}

extension Name {
    /// A name read back from the store, which only ever holds validated names (not checked again).
    init(stored bytes: [UInt8]) { self.bytes = bytes }
}
