import Foundation
import GRDB
import GRDBSQLite

/// A BLOB column read straight from SQLite's row into bytes: one copy, no `Data` in between (a READDIR page
/// reads a thousand names, and building a `Data` for each cost more than the query).
struct BlobBytes: DatabaseValueConvertible, StatementColumnConvertible {
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    init(sqliteStatement: SQLiteStatement, index: CInt) {
        // SQLite's order: the pointer first, then the length it has for that pointer.
        let start = sqlite3_column_blob(sqliteStatement, index)
        let count = Int(sqlite3_column_bytes(sqliteStatement, index))
        guard let start, count > 0 else { bytes = []; return }
        bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    }

    var databaseValue: DatabaseValue { Data(bytes).databaseValue }

    static func fromDatabaseValue(_ value: DatabaseValue) -> BlobBytes? {
        Data.fromDatabaseValue(value).map { BlobBytes(bytes: [UInt8]($0)) }
    }
}
