import Foundation
import GRDB
import GRDBSQLite

/// Rows to records and back.
extension SQLiteAccess {
    /// Binds an inode's columns as parameters 1 to 17 (fs, type, mode, uid, gid, nlink, size, atime, mtime,
    /// ctime, btime, change, rdev_major, rdev_minor, target, verifier, parent) and steps.
    static func stepWithInode(_ stmt: SQLiteStatement, _ i: Inode, _ step: () throws -> Bool) throws {
        // Bound one by one: an array of the values would be allocated for every row.
        let bind = { (n: Int32, value: Int64) in _ = sqlite3_bind_int64(stmt, n, value) }
        bind(1, i.fileSystem); bind(2, Int64(i.type.rawValue)); bind(3, Int64(i.mode)); bind(4, Int64(i.uid))
        bind(5, Int64(i.gid)); bind(6, Int64(i.nlink)); bind(7, Int64(bitPattern: i.size))
        bind(8, i.atime.nanoseconds); bind(9, i.mtime.nanoseconds); bind(10, i.ctime.nanoseconds)
        bind(11, i.birthtime.nanoseconds); bind(12, Int64(bitPattern: i.change)); bind(13, Int64(i.rdevMajor))
        bind(14, Int64(i.rdevMinor))
        if let verifier = i.createVerifier { sqlite3_bind_int64(stmt, 16, Int64(bitPattern: verifier)) } else { sqlite3_bind_null(stmt, 16) }
        sqlite3_bind_int64(stmt, 17, Int64(bitPattern: i.parent))
        guard let target = i.symlinkTarget else {
            sqlite3_bind_null(stmt, 15)
            _ = try step()
            return
        }
        try target.withUnsafeBytes { bytes in
            bindBlob(stmt, 15, bytes)
            _ = try step()
        }
    }

    static func decodeInode(_ row: Row) throws -> Inode {
        guard let type = FileType(rawValue: UInt8(clamping: row["type"] as Int64)) else {
            throw MetadataStoreError.corrupt("inode \(row["id"] as Int64) has an unknown type")
        }
        var inode = Inode(
            id: UInt64(bitPattern: row["id"]), fileSystem: row["fs"], type: type,
            mode: UInt32(truncatingIfNeeded: row["mode"] as Int64), uid: UInt32(truncatingIfNeeded: row["uid"] as Int64),
            gid: UInt32(truncatingIfNeeded: row["gid"] as Int64), nlink: UInt32(truncatingIfNeeded: row["nlink"] as Int64),
            size: UInt64(bitPattern: row["size"]), time: Timestamp(nanoseconds: row["atime"]),
            change: UInt64(bitPattern: row["change"]),
            rdevMajor: UInt32(truncatingIfNeeded: row["rdev_major"] as Int64),
            rdevMinor: UInt32(truncatingIfNeeded: row["rdev_minor"] as Int64),
            symlinkTarget: (row["target"] as Data?).map { [UInt8]($0) },
            createVerifier: (row["verifier"] as Int64?).map { UInt64(bitPattern: $0) },
            parent: UInt64(bitPattern: row["parent"]))
        inode.mtime = Timestamp(nanoseconds: row["mtime"])
        inode.ctime = Timestamp(nanoseconds: row["ctime"])
        inode.birthtime = Timestamp(nanoseconds: row["btime"])
        return inode
    }

    static func decodeChunk(_ row: Row, inode: InodeID) throws -> Chunk {
        Chunk(inode: inode, index: row[0], block: row[1], length: row[2],
              storageClass: StorageClass(rawValue: UInt8(clamping: row[3] as Int64)) ?? .standard, blockOffset: row[4])
    }

    static func decodeFileSystem(_ row: Row) -> FileSystemRecord {
        FileSystemRecord(id: row["id"], root: UInt64(bitPattern: row["root"]), chunkSize: row["chunk_size"],
                         createdAt: Timestamp(nanoseconds: row["created"]))
    }
}
