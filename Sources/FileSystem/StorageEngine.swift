#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BlockStore
import Logging
import MetadataStore
import Synchronization

/// One metadata store and one block store, holding any number of file systems.
public final class StorageEngine: Sendable {
    public let store: any MetadataStore
    public let blocks: any BlockStore
    let collector: BlockCollector
    let fileLocks = KeyedMutex<InodeID>()
    let openFiles = OpenFiles()
    let writeBack: WriteBack
    private let flusher: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let logger = Logger(label: "strata.storage")

    /// Unstable bytes one file may hold in memory before its writers wait for its background flush. Flushes
    /// land one generation (a quarter of this) at a time, and each costs a sync of its block and a commit:
    /// 32 MiB generations write a large file about half again as fast here as 16 MiB ones did.
    public static let defaultPendingFileLimit = 128 << 20

    /// How long unstable writes may wait in memory for a COMMIT before the timer flushes them.
    public static let defaultPendingAge = Duration.seconds(2)

    public init(store: any MetadataStore, blocks: any BlockStore, pendingFileLimit: Int = defaultPendingFileLimit,
                pendingTotalLimit: Int = 512 << 20, pendingAge: Duration = defaultPendingAge) {
        self.store = store; self.blocks = blocks
        collector = BlockCollector(store: store, blocks: blocks)
        writeBack = WriteBack(fileLimit: pendingFileLimit, totalLimit: pendingTotalLimit)
        startFlusher(age: pendingAge)
    }

    /// Unstable writes do not wait in memory for long: like a kernel's dirty page expiry, whatever has been
    /// pending for `age` (two seconds unless a test says otherwise) is flushed even if no COMMIT comes.
    private func startFlusher(age: Duration) {
        let task = Task.detached { [writeBack, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                for (ino, fs) in writeBack.pending(since: .now - age) {
                    // Shielded from this loop's cancellation (a close): a flush cut short by it failed its I/O.
                    await Task {
                        do { try await writeBack.flush(ino, through: fs) } catch { logger.warning("flushing unstable writes of inode \(ino) failed: \(error)") }
                    }.value
                }
            }
        }
        flusher.withLock { $0 = task }
    }

    /// Flushes every file's unstable writes now.
    public func flushWriteBack() async throws {
        for (ino, fs) in writeBack.everyFile { try await writeBack.flush(ino, through: fs) }
    }

    /// The embedded default: SQLite metadata in `DIR/metadata`, blocks in `DIR/blocks`. Opening runs
    /// crash recovery before anything is served, unless `recover` is false (fsck looks before it repairs).
    /// `blocks` replaces the local block directory (an S3 bucket, say).
    public static func openEmbedded(at directory: String, pendingFileLimit: Int = defaultPendingFileLimit,
                                    pendingAge: Duration = defaultPendingAge, recover: Bool = true,
                                    blocks: (any BlockStore)? = nil) async throws -> StorageEngine {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw MetadataStoreError.engine("cannot create \(directory): errno \(errno)")
        }
        let store = try SQLiteMetadataStore(directory: directory + "/metadata")
        let blocks = try blocks ?? LocalBlockStore(root: directory + "/blocks")
        let engine = StorageEngine(store: store, blocks: blocks, pendingFileLimit: pendingFileLimit, pendingAge: pendingAge)
        if recover { try await engine.recover() }
        return engine
    }

    /// What recovery changed.
    public struct Recovery: Sendable {
        /// Files removed while open whose close never came (the server stopped first): nothing can open them now.
        public var deletedUnlinked: Int
        /// Blocks a crash left behind, written but never referenced by a committed chunk.
        public var deletedUnreferenced: Int
        /// Blocks that were waiting in the garbage list.
        public var collectedGarbage: Int
    }

    /// Deletes blocks a crash left behind: written but never referenced by a committed chunk. Only safe
    /// while no writes are in flight, which is why it runs at open.
    @discardableResult
    public func recover() async throws -> Recovery {
        let unlinked = try await store.write { w in
            let ids = try w.unlinkedInodes()
            for id in ids { try w.deleteInode(id) }
            return ids.count
        }
        if unlinked > 0 { logger.info("recovery: deleting \(unlinked) file(s) removed while open") }
        let referenced = try await store.read { try $0.referencedBlocks() }
        let orphans = try await blocks.list().filter { !referenced.contains($0.key.rawValue) }.map(\.key)
        if !orphans.isEmpty {
            logger.info("recovery: deleting \(orphans.count) unreferenced blocks")
            try await blocks.delete(orphans)
        }
        return Recovery(deletedUnlinked: unlinked, deletedUnreferenced: orphans.count,
                        collectedGarbage: try await collector.collectAll())
    }

    public func fileSystems() async throws -> [FileSystemRecord] {
        try await store.read { try $0.fileSystems() }
    }

    /// A new file system whose root directory is owned by root with mode 0755.
    public func createFileSystem(chunkSize: Int = Limits.defaultChunkSize) async throws -> StrataFileSystem {
        let record = try await store.write { w in
            try w.createFileSystem(root: Inode(fileSystem: 0, type: .directory, mode: 0o755, uid: 0, gid: 0,
                                               nlink: 2, time: .now()), chunkSize: chunkSize)
        }
        return fileSystem(record)
    }

    public func fileSystem(_ id: FileSystemID) async throws -> StrataFileSystem? {
        try await store.read { try $0.fileSystem(id) }.map(fileSystem)
    }

    /// The first file system, created on first use.
    public func defaultFileSystem() async throws -> StrataFileSystem {
        if let first = try await fileSystems().first { return fileSystem(first) }
        return try await createFileSystem()
    }

    /// Deletes all garbage blocks now (normally done in the background after each change).
    @discardableResult
    public func collectGarbage() async throws -> Int { try await collector.collectAll() }

    public func close() async throws {
        // The timer stops first (a flush of its under way finishes), then everything pending lands.
        if let task = flusher.withLock({ $0 }) {
            task.cancel()
            await task.value
        }
        try await flushWriteBack()
        await collector.stop()
        try await store.close()
    }

    private func fileSystem(_ record: FileSystemRecord) -> StrataFileSystem {
        StrataFileSystem(record: record, store: store, blocks: blocks, collector: collector,
                         fileLocks: fileLocks, openFiles: openFiles, writeBack: writeBack)
    }
}
