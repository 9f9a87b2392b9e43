import Dispatch
import GRDB
import Synchronization

/// Copies the write-ahead log into the database on a connection and thread of its own, a few times a second.
/// SQLite's own automatic checkpoint runs inside whichever commit crosses its threshold, so every thousandth
/// commit paid for copying pages and an fsync of the database file: the slow tail of every metadata
/// operation. A PASSIVE checkpoint waits for neither readers nor the writer. SQLite's automatic checkpoint
/// stays on, at a much higher threshold, in case this one falls behind.
final class WALCheckpointer: Sendable {
    /// The log size (pages) at which a commit still checkpoints by itself.
    static let backstopPages = 16_384
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "strata.metadata.checkpoint")
    private let stopped = Atomic<Bool>(false)
    /// Log frames the timer's last checkpoint found in the database (for tests and diagnostics).
    let lastCheckpointed = Atomic<Int>(0)
    private let interval: DispatchTimeInterval

    init(path: String, interval: DispatchTimeInterval = .milliseconds(250)) throws {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        connection = try DatabaseQueue(path: path, configuration: config)
        self.interval = interval
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
    @discardableResult
    func checkpoint() throws -> (walFrames: Int, checkpointed: Int) {
        try connection.writeWithoutTransaction { db in
            let result = try db.checkpoint(.passive)
            return (result.walFrameCount, result.checkpointedFrameCount)
        }
    }

    /// Stops the timer, waits for a checkpoint under way and closes the connection.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        queue.sync {}
        try? connection.close()
    }
}
