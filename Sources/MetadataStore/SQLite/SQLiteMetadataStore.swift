#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import GRDB
import Synchronization

/// The embedded engine: one SQLite database in WAL mode, with concurrent writes batched into shared
/// transactions by a `GroupCommitter` and made durable (the log fsync'd) by a `LogSyncer` before any caller
/// hears of them.
/// One process owns a store at a time (an exclusive lock on `metadata.lock`); that is what keeps the
/// in-memory inode cache exact.
public final class SQLiteMetadataStore: MetadataStore {
    public let directory: String
    public let openCount: UInt64
    private let pool: DatabasePool
    private let cache: InodeCache
    private let committer: GroupCommitter
    private let syncer: LogSyncer
    let checkpointer: WALCheckpointer
    /// Held (flock) until close; nil once released.
    private let lockFD: Mutex<Int32?>

    /// `checkpointInterval` and `logRestartFrames` are the `WALCheckpointer`'s (tests shorten them).
    public init(directory: String, checkpointInterval: DispatchTimeInterval = .milliseconds(250),
                logRestartFrames: Int = 4096) throws {
        self.directory = directory
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw MetadataStoreError.engine("cannot create \(directory): errno \(errno)")
        }
        let lockPath = directory + "/metadata.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MetadataStoreError.engine("cannot open \(lockPath): errno \(errno)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw MetadataStoreError.locked("\(directory) is in use by another process")
        }
        lockFD = Mutex(fd)

        // Before any connection opens: each commit's log frames then reach the file in one write.
        do { try LogBuffer.register() } catch {
            Glibc.close(fd)
            throw error
        }
        var config = Configuration()
        // The checkpointer's log restarts hold writers off for a millisecond or so; a writer waits at most 5 s.
        config.busyMode = WALCheckpointer.retrying(atMost: 50_000)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
        }
        do {
            pool = try DatabasePool(path: directory + "/metadata.sqlite", configuration: config)
            try SQLiteSchema.migrator().migrate(pool)
            openCount = try pool.write { db in
                try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'open_count'")
                return UInt64(try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'open_count'") ?? 0)
            }
        } catch {
            Glibc.close(fd)
            throw MetadataStoreError.engine("cannot open metadata database: \(error)")
        }
        do {
            checkpointer = try WALCheckpointer(path: directory + "/metadata.sqlite", interval: checkpointInterval,
                                               restartFrames: logRestartFrames)
        } catch {
            Glibc.close(fd)
            throw MetadataStoreError.engine("cannot open metadata database: \(error)")
        }
        // A commit writes the log without an fsync (`synchronous = NORMAL`, which DatabasePool sets when it
        // turns on WAL, after `prepareDatabase`); the syncer does it once per batch. SQLite still
        // syncs the log's header when it restarts the log. What the open wrote (the migration, the open count,
        // which is the write verifier) is made durable before the store is used.
        do {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            let syncer = try LogSyncer.forLog(at: directory + "/metadata.sqlite-wal")
            do { try syncer.syncNow() } catch { syncer.close(); throw error }
            self.syncer = syncer
        } catch {
            checkpointer.stop()
            Glibc.close(fd)
            throw MetadataStoreError.engine("cannot open metadata database: \(error)")
        }
        cache = InodeCache()
        committer = GroupCommitter(pool: pool, cache: cache, syncer: syncer)
    }

    deinit { releaseLock() }

    private func releaseLock() {
        lockFD.withLock { fd in
            if let open = fd { Glibc.close(open) }
            fd = nil
        }
    }

    /// Syncs of the log done so far (for tests).
    var logSyncs: Int { syncer.syncs.load(ordering: .relaxed) }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any MetadataReader) throws -> T) async throws -> T {
        guard !committer.isClosed else { throw MetadataStoreError.closed }
        let cache = self.cache
        let epoch = cache.epoch
        // The synchronous read runs on this thread (WAL readers take no lock that a writer holds for long);
        // the asynchronous one would hop to a reader queue and back, which costs more than a cached read.
        let pool = self.pool
        let readHere = { () throws -> T in
            try pool.read { db in try body(SQLiteAccess(db, cache: cache, writable: false, readEpoch: epoch)) }
        }
        return try readHere()
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any MetadataWriter) throws -> T) async throws -> T {
        let slot = ResultSlot<T>()
        return try await withCheckedThrowingContinuation { continuation in
            committer.submit(.init(
                run: { access in slot.value = try body(access) },
                finish: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: slot.value!) }
                }))
        }
    }

    public func inode(_ id: InodeID) async throws -> Inode? {
        if let cached = cache.get(id) { return cached }
        return try await read { try $0.inode(id) }
    }

    public func inodeAndChunks(_ id: InodeID, in indexes: ClosedRange<Int64>) async throws -> (Inode?, [Chunk]) {
        if let cached = cache.cachedFile(id, in: indexes) { return cached }
        return try await readInodeAndChunks(id, in: indexes)
    }

    public func close() async throws {
        committer.close()
        syncer.close()
        checkpointer.stop()
        defer { releaseLock() }
        try pool.close()
    }
}

/// Carries a write's result from the committer's thread to the caller. Written before `finish` is called
/// and read after the continuation resumes, so the two accesses never overlap.
private final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
}
