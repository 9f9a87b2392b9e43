import GRDB
import GRDBSQLite

/// One step of a cached statement through SQLite's own calls. The hottest statements (a directory entry looked
/// up or removed, an inode deleted, slice rows inserted by the hundred, each request's savepoint) spent as
/// long in GRDB's argument arrays (a boxed value per column) and its execution bookkeeping as in SQLite.
/// Only for statements GRDB's transaction observation need not see: nothing here observes transactions.
extension Statement {
    /// `body` binds the parameters and calls `step`, so that what it points SQLite at (SQLITE_STATIC: not
    /// copied) outlives the step; it reads a row's columns before it returns. The statement is reset after.
    func rawStep<T>(_ body: (_ stmt: SQLiteStatement, _ step: () throws -> Bool) throws -> T) throws -> T {
        let stmt = sqliteStatement
        sqlite3_reset(stmt)
        defer { sqlite3_reset(stmt); sqlite3_clear_bindings(stmt) }
        return try body(stmt) {
            let code = sqlite3_step(stmt)
            guard code == SQLITE_ROW || code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(sqlite3_db_handle(stmt))))
            }
            return code == SQLITE_ROW
        }
    }

    /// Runs a statement without parameters or rows (a savepoint, taken and released for every request).
    func rawExecute() throws {
        _ = try rawStep { _, step in try step() }
    }

    /// Steps with an integer key and a blob bound (parameters 1 and 2): a directory and an entry's name.
    /// `bind` binds any further parameters.
    func rawStep<T>(_ key: Int64, _ blob: [UInt8], bind: (SQLiteStatement) -> Void = { _ in },
                    read: (SQLiteStatement, Bool) -> T) throws -> T {
        try rawStep { stmt, step in
            sqlite3_bind_int64(stmt, 1, key)
            bind(stmt)
            return try blob.withUnsafeBytes { bytes in
                bindBlob(stmt, 2, bytes)
                return read(stmt, try step())
            }
        }
    }
}

/// Binds `bytes` as parameter `n` without a copy (SQLITE_STATIC): they must outlive the step.
func bindBlob(_ stmt: SQLiteStatement, _ n: Int32, _ bytes: UnsafeRawBufferPointer) {
    // A zero-length blob needs a non-null pointer, or SQLite binds NULL.
    sqlite3_bind_blob(stmt, n, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), nil)
}
