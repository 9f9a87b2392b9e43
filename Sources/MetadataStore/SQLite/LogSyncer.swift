#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking
import Synchronization

/// Makes committed transactions durable before their callers hear of them. The writer connection runs with
/// `synchronous = NORMAL`, so a commit only appends its pages to the write-ahead log; the committer then
/// hands the batch here, which fsyncs the log and only then lets the batch's callers go. It does so on the
/// committer's own thread: what arrives during the sync waits and goes into the next, larger commit.
/// (A syncer thread of its own, overlapping a sync with the next commit, cost two thread wake-ups per batch,
/// and on two cores the committer waited ~150 µs for the syncer to be scheduled against an 80 µs sync:
/// on this thread removes from 16 sessions won 6 of 6 alternated runs, creates 5 of 6. Tried again once the
/// sync took ~260 µs, as a slower disk made it: the syncer thread won 2 of 5 remove runs, no better.)
/// Others may see a change a few hundred microseconds before it is durable (as with knfsd, whose changes are
/// visible in the page cache before it syncs them); its caller never hears of it before.
final class LogSyncer: Sendable {
    /// One committed request: its caller and the outcome it should see once the log is synced.
    struct Acknowledgement: Sendable {
        let finish: @Sendable (Error?) -> Void
        let outcome: Error?
    }

    /// Syncs the log: 0, or the errno of the failure.
    private let sync: @Sendable () -> Int32
    private let release: @Sendable () -> Void
    /// The first failed sync: the log's state on disk is unknown after it, so nothing is durable again.
    private let failed = AdaptiveMutex<MetadataStoreError?>(nil)
    /// Syncs done (for tests and diagnostics).
    let syncs = Atomic<Int>(0)

    init(sync: @escaping @Sendable () -> Int32, release: @escaping @Sendable () -> Void = {}) {
        self.sync = sync; self.release = release
    }

    /// Syncs the log file at `path` through a descriptor of its own: fsync reaches the file's pages,
    /// whichever descriptor wrote them.
    static func forLog(at path: String) throws -> LogSyncer {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw MetadataStoreError.engine("cannot open \(path): errno \(errno)") }
        return LogSyncer(sync: { fdatasync(fd) == 0 ? 0 : errno }, release: { _ = Glibc.close(fd) })
    }

    /// The reason writes can no longer be made durable, once a sync has failed.
    var failure: MetadataStoreError? { failed.withLock { $0 } }

    /// Syncs what the batch committed, then finishes each caller, with its own outcome or the sync's failure.
    func acknowledge(_ batch: [Acknowledgement]) {
        var failure = self.failure
        if failure == nil, let code = syncOnce() {
            let error = MetadataStoreError.engine("cannot sync the metadata log: errno \(code); writes are refused until restart")
            failed.withLock { $0 = $0 ?? error }
            failure = error
        }
        for ack in batch { ack.finish(ack.outcome ?? failure) }
    }

    /// Syncs now, on the calling thread (what was written before this call is durable when it returns).
    func syncNow() throws {
        if let code = syncOnce() { throw MetadataStoreError.engine("cannot sync the metadata log: errno \(code)") }
    }

    /// One sync, counted; the errno if it failed.
    private func syncOnce() -> Int32? {
        let code = sync()
        syncs.add(1, ordering: .relaxed)
        return code == 0 ? nil : code
    }

    /// Lets the log go, once the committer has finished every batch. Called once.
    func close() { release() }
}
