import CSQLiteLogBuffer
import GRDB
import GRDBSQLite

/// The VFS that writes a transaction's write-ahead-log frames in one call instead of two per page (see
/// `Sources/CSQLiteLogBuffer/log_buffer.c`). Registered as SQLite's default before the store opens its
/// database, so every connection of the process uses it.
enum LogBuffer {
    static func register() throws {
        let code = strata_log_buffer_register()
        guard code == SQLITE_OK else {
            throw MetadataStoreError.engine("cannot register the log-buffering VFS: SQLite error \(code)")
        }
    }

    /// The write calls SQLite made to the connection's open log, and the writes they became.
    static func counts(_ db: Database) -> (calls: Int, writes: Int)? {
        var calls: Int64 = 0, writes: Int64 = 0
        guard strata_log_buffer_counts(db.sqliteConnection, &calls, &writes) == SQLITE_OK else { return nil }
        return (Int(calls), Int(writes))
    }
}
