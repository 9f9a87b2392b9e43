#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import GRDB
import Synchronization

/// Copies the write-ahead log into the database on a connection and thread of its own, a few times a second.
/// SQLite's own automatic checkpoint runs inside whichever commit crosses its threshold, so every thousandth
/// commit paid for copying pages and an fsync of the database file: the slow tail of every metadata
/// operation. A PASSIVE checkpoint waits for neither readers nor the writer; a log grown past `restartFrames`
/// is then made to start over (see `restart`). SQLite's automatic checkpoint stays on, at a much higher
/// threshold, in case this one falls behind.
final class WALCheckpointer: Sendable {
    /// The log size (pages) at which a commit still checkpoints by itself.
    static let backstopPages = 16_384
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "strata.metadata.checkpoint")
    private let stopped = Atomic<Bool>(false)
    /// Log frames the timer's last checkpoint found in the database (for tests and diagnostics).
    let lastCheckpointed = Atomic<Int>(0)
    /// Checkpoints that made the log start over (for tests and diagnostics).
    let restarts = Atomic<Int>(0)
    private let interval: DispatchTimeInterval

    /// Log frames (4 KiB pages) past which the log is made to start over.
    let restartFrames: Int
    /// How long a restart waits for the writer's transaction and for readers, in 100 µs retries: it holds
    /// writers off while it waits for readers.
    static let busyRetries = 50

    init(path: String, interval: DispatchTimeInterval, restartFrames: Int) throws {
        var config = Configuration()
        config.busyMode = Self.retrying(atMost: Self.busyRetries)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        connection = try DatabaseQueue(path: path, configuration: config)
        self.interval = interval
        self.restartFrames = restartFrames
        schedule()
    }

    private func schedule() {
        queue.asyncAfter(deadline: .now() + interval) { [self] in
            guard !stopped.load(ordering: .relaxed) else { return }
            if let state = try? checkpoint() { lastCheckpointed.store(state.checkpointed, ordering: .relaxed) }
            schedule()
        }
    }

    /// One PASSIVE checkpoint now: how many frames the log holds and how many of them are in the database.
    /// A log past `restartFrames` is then made to start over (see `restart`).
    @discardableResult
    func checkpoint() throws -> (walFrames: Int, checkpointed: Int) {
        try connection.writeWithoutTransaction { db in
            let result = try db.checkpoint(.passive)
            if result.walFrameCount >= restartFrames { restart(db) }
            return (result.walFrameCount, result.checkpointedFrameCount)
        }
    }

    /// SQLite starts the log over only when a transaction begins with every frame already in the database,
    /// which steady writers never allow: the log then keeps every commit since the last pause (67 MB after
    /// 32,000 creates and removes from 16 sessions), grows with each, and is read whole by the recovery at
    /// the next open. A RESTART checkpoint copies the few frames the PASSIVE one left, then holds writers off
    /// until readers are off the log, so the next commit writes from its start, over the file's blocks. It
    /// waits at most 5 ms (`busyRetries`) for the writer and readers, and gives up until the next tick if they
    /// are still busy.
    private func restart(_ db: Database) {
        if (try? db.checkpoint(.restart)) != nil { restarts.add(1, ordering: .relaxed) }
    }

    /// A busy handler that retries every 100 µs, `limit` times (SQLite's own busy timeout first sleeps a
    /// whole millisecond, longer than a restart holds writers off).
    static func retrying(atMost limit: Int) -> Database.BusyMode {
        .callback { retries in
            guard retries < limit else { return false }
            usleep(100)
            return true
        }
    }

    /// Stops the timer, waits for a checkpoint under way and closes the connection.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        queue.sync {}
        try? connection.close()
    }
}
