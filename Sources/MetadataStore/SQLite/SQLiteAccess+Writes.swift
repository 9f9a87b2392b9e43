import Foundation
import GRDB
import GRDBSQLite

/// Writes, recording what each operation changed (see `keepOperationChanges`).
extension SQLiteAccess {
    func deleteFileSystem(_ id: FileSystemID) throws {
        try requireWritable()
        for sql in [
            "INSERT OR IGNORE INTO garbage(block, class) SELECT c.block, c.class FROM chunk c JOIN inode i ON i.id = c.ino WHERE i.fs = ?",
            "DELETE FROM chunk WHERE ino IN (SELECT id FROM inode WHERE fs = ?)",
            "INSERT OR IGNORE INTO garbage(block, class) SELECT DISTINCT s.block, 0 FROM slice s JOIN inode i ON i.id = s.ino WHERE i.fs = ?",
            "DELETE FROM slice WHERE ino IN (SELECT id FROM inode WHERE fs = ?)",
            "DELETE FROM dentry WHERE dir IN (SELECT id FROM inode WHERE fs = ?)",
            "DELETE FROM inode WHERE fs = ?",
            "DELETE FROM filesystem WHERE id = ?",
        ] { try db.execute(sql: sql, arguments: [id]) }
        invalidatesCache = true
    }

    func putResource(kind: ResourceKind, id: String, body: [UInt8]) throws {
        try requireWritable()
        try db.execute(sql: "INSERT OR REPLACE INTO resource(kind, id, body) VALUES (?, ?, ?)", arguments: [kind.name, id, Data(body)])
    }

    func deleteResource(kind: ResourceKind, id: String) throws {
        try requireWritable()
        try db.execute(sql: "DELETE FROM resource WHERE kind = ? AND id = ?", arguments: [kind.name, id])
    }

    func createFileSystem(root: Inode, chunkSize: Int) throws -> FileSystemRecord {
        try requireWritable()
        try db.execute(sql: "INSERT INTO filesystem(root, chunk_size, created) VALUES (0, ?, ?)",
                       arguments: [chunkSize, root.birthtime.nanoseconds])
        let id = db.lastInsertedRowID
        var rootInode = root
        rootInode.fileSystem = id
        rootInode = try insertInode(rootInode)
        rootInode.parent = rootInode.id
        try updateInode(rootInode)
        try db.execute(sql: "UPDATE filesystem SET root = ? WHERE id = ?", arguments: [Int64(bitPattern: rootInode.id), id])
        return FileSystemRecord(id: id, root: rootInode.id, chunkSize: chunkSize, createdAt: root.birthtime)
    }

    func insertInode(_ inode: Inode) throws -> Inode {
        try requireWritable()
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO inode(fs, type, mode, uid, gid, nlink, size, atime, mtime, ctime, btime, change,
                              rdev_major, rdev_minor, target, verifier, parent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try stmt.rawStep { raw, step in try Self.stepWithInode(raw, inode, step) }
        var stored = inode
        stored.id = UInt64(bitPattern: db.lastInsertedRowID)
        operationChanges[stored.id] = .some(stored)
        operationCreated.insert(stored.id)
        return stored
    }

    func updateInode(_ inode: Inode) throws {
        try requireWritable()
        // The row is written at the end of the batch (`writeUpdatedInodes`); everything in the batch reads
        // the new value from the changes meanwhile.
        guard try self.inode(inode.id) != nil else { throw MetadataStoreError.engine("update of missing inode \(inode.id)") }
        operationChanges[inode.id] = .some(inode)
        operationUpdated.insert(inode.id)
    }

    func deleteInode(_ id: InodeID) throws {
        try requireWritable()
        try removeChunks(id, from: 0)
        _ = try db.cachedStatement(sql: "DELETE FROM inode WHERE id = ?").rawStep { stmt, step in
            sqlite3_bind_int64(stmt, 1, Int64(bitPattern: id))
            return try step()
        }
        operationChanges[id] = .some(nil)
    }

    func insertEntry(_ directory: InodeID, _ name: [UInt8], _ inode: InodeID) throws -> DirEntryRecord {
        try requireWritable()
        // The cookie follows the directory's highest (NFS reserves 0 to 2): one step down the tree the row
        // goes into anyway. Only the highest cookie of a directory can come back, once its entry is removed,
        // for a name that is new since: a listing that had passed it misses that name, as it may any name
        // created while it runs; none already there is repeated or skipped.
        let insert = try db.cachedStatement(sql: """
            INSERT INTO dentry(dir, cookie, name, ino)
            VALUES (?1, COALESCE((SELECT cookie FROM dentry WHERE dir = ?1 ORDER BY cookie DESC LIMIT 1), 2) + 1, ?2, ?3)
            RETURNING cookie
            """)
        let cookie = try insert.rawStep(Int64(bitPattern: directory), name,
                                        bind: { sqlite3_bind_int64($0, 3, Int64(bitPattern: inode)) }) { row, found in
            found ? UInt64(bitPattern: sqlite3_column_int64(row, 0)) : nil
        }
        guard let cookie else { throw MetadataStoreError.engine("inserting an entry returned no cookie") }
        return DirEntryRecord(directory: directory, name: name, inode: inode, cookie: cookie)
    }

    func removeEntry(_ directory: InodeID, _ name: [UInt8]) throws {
        try requireWritable()
        _ = try db.cachedStatement(sql: "DELETE FROM dentry WHERE dir = ? AND name = ?")
            .rawStep(Int64(bitPattern: directory), name) { _, _ in () }
    }

    func putChunk(_ chunk: Chunk) throws {
        try requireWritable()
        let old = try chunks(chunk.inode, in: chunk.index...chunk.index).first
        operationChunkEdits[chunk.inode, default: [:]][chunk.index] = .some(chunk)
        // A chunk that only gains slices keeps its row.
        if old?.block != chunk.block || old?.blockOffset != chunk.blockOffset || old?.length != chunk.length
            || old?.storageClass != chunk.storageClass {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO chunk(ino, idx, block, length, class, boff) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [Int64(bitPattern: chunk.inode), chunk.index, chunk.block, chunk.length,
                                     Int64(chunk.storageClass.rawValue), chunk.blockOffset])
        }
        var released: [String: StorageClass] = [:]
        if let old, old.block != chunk.block { released[old.block] = old.storageClass }
        let before = old?.slices ?? []
        if before != chunk.slices {
            // Slices are usually only added: keep the rows there are and insert the new ones after them.
            let appended = chunk.slices.count > before.count && Array(chunk.slices.prefix(before.count)) == before
            if !appended {
                try db.cachedStatement(sql: "DELETE FROM slice WHERE ino = ? AND idx = ?")
                    .execute(arguments: [Int64(bitPattern: chunk.inode), chunk.index])
                for block in Set(before.map(\.block)).subtracting(chunk.slices.map(\.block)) { released[block] = .standard }
            }
            let insert = try db.cachedStatement(sql: "INSERT INTO slice(ino, idx, block, runs) VALUES (?, ?, ?, ?)")
            for row in SliceRuns.rows(chunk.slices.dropFirst(appended ? before.count : 0)) {
                try insertSliceRow(insert, inode: Int64(bitPattern: chunk.inode), index: chunk.index, row)
            }
        }
        try collectUnreferenced(released)
    }

    /// One row of a chunk's consecutive slices from one block (see `SliceRuns`).
    func insertSliceRow(_ insert: Statement, inode: Int64, index: Int64, _ slices: ArraySlice<Slice>) throws {
        let runs = SliceRuns.encode(slices)
        _ = try insert.rawStep { stmt, step in
            sqlite3_bind_int64(stmt, 1, inode)
            sqlite3_bind_int64(stmt, 2, index)
            return try slices.first!.block.withCString { name in
                sqlite3_bind_text(stmt, 3, name, -1, nil)
                return try runs.withUnsafeBytes { bytes in
                    bindBlob(stmt, 4, bytes)
                    return try step()
                }
            }
        }
    }

    func removeChunks(_ inode: InodeID, from index: Int64) throws {
        try requireWritable()
        let doomed = try chunks(inode, in: index...Int64.max)
        guard !doomed.isEmpty else { return }
        for chunk in doomed { operationChunkEdits[inode, default: [:]][chunk.index] = .some(nil) }
        try db.cachedStatement(sql: "DELETE FROM chunk WHERE ino = ? AND idx >= ?")
            .execute(arguments: [Int64(bitPattern: inode), index])
        var released = Dictionary(doomed.map { ($0.block, $0.storageClass) }, uniquingKeysWith: { a, _ in a })
        let sliceBlocks = Set(doomed.flatMap { $0.slices.map(\.block) })
        if !sliceBlocks.isEmpty {
            try db.cachedStatement(sql: "DELETE FROM slice WHERE ino = ? AND idx >= ?")
                .execute(arguments: [Int64(bitPattern: inode), index])
            for block in sliceBlocks where released[block] == nil { released[block] = .standard }
        }
        try collectUnreferenced(released)
    }

    /// Blocks are shared (the chunks of one flush share a base block, its slices a slice block): one goes to
    /// garbage once no chunk and no slice names it any more.
    func collectUnreferenced(_ blocks: [String: StorageClass]) throws {
        guard !blocks.isEmpty else { return }
        let inChunk = try db.cachedStatement(sql: "SELECT 1 FROM chunk WHERE block = ? LIMIT 1")
        let inSlice = try db.cachedStatement(sql: "SELECT 1 FROM slice WHERE block = ? LIMIT 1")
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO garbage(block, class) VALUES (?, ?)")
        for (block, storageClass) in blocks {
            guard try Row.fetchOne(inChunk, arguments: [block]) == nil, try Row.fetchOne(inSlice, arguments: [block]) == nil else { continue }
            try insert.execute(arguments: [block, Int64(storageClass.rawValue)])
        }
    }

    func removeGarbage(_ blocks: [String]) throws {
        try requireWritable()
        let stmt = try db.cachedStatement(sql: "DELETE FROM garbage WHERE block = ?")
        for block in blocks { try stmt.execute(arguments: [block]) }
    }
}
