import Foundation
import GRDB
import GRDBSQLite

/// Reads, inside the transaction: changes made earlier in the same write batch are seen first.
extension SQLiteAccess {
    /// What this batch made of the inode so far (.some(nil): deleted), before SQLite's row has it.
    func uncommitted(_ id: InodeID) -> Inode?? { operationChanges[id] ?? batchChanges[id] }

    func inode(_ id: InodeID) throws -> Inode? {
        if let changed = uncommitted(id) { return changed }
        if !invalidatesCache, let cached = cache.get(id) { return cached }
        return try storedInode(id)
    }

    func inodes(_ ids: [InodeID]) throws -> [Inode?] {
        // One look at the cache for all of them (a READDIR page took its lock once per entry), then only the
        // misses and this batch's own changes (none in a read) are looked up one by one.
        var found = invalidatesCache ? [Inode?](repeating: nil, count: ids.count) : cache.get(ids)
        let changedHere = !operationChanges.isEmpty || !batchChanges.isEmpty
        for i in found.indices {
            if changedHere, let changed = uncommitted(ids[i]) {
                found[i] = changed
            } else if found[i] == nil {
                found[i] = try storedInode(ids[i])
            }
        }
        return found
    }

    func storedInode(_ id: InodeID) throws -> Inode? {
        let stmt = try db.cachedStatement(sql: "SELECT * FROM inode WHERE id = ?")
        guard let row = try Row.fetchOne(stmt, arguments: [Int64(bitPattern: id)]) else { return nil }
        let inode = try Self.decodeInode(row)
        if !writable { cache.insert(inode, readAtEpoch: readEpoch) }
        return inode
    }

    func entry(_ directory: InodeID, _ name: [UInt8]) throws -> DirEntryRecord? {
        let stmt = try db.cachedStatement(sql: "SELECT cookie, ino FROM dentry WHERE dir = ? AND name = ?")
        return try stmt.rawStep(Int64(bitPattern: directory), name) { row, found in
            guard found else { return nil }
            return DirEntryRecord(directory: directory, name: name, inode: UInt64(bitPattern: sqlite3_column_int64(row, 1)),
                                  cookie: UInt64(bitPattern: sqlite3_column_int64(row, 0)))
        }
    }

    func entries(_ directory: InodeID, after cookie: UInt64, limit: Int) throws -> [DirEntryRecord] {
        let stmt = try db.cachedStatement(
            sql: "SELECT cookie, name, ino FROM dentry WHERE dir = ? AND cookie > ? ORDER BY cookie LIMIT ?")
        // Stepped through SQLite's own calls: GRDB's cursor and row decoding cost a 1,000-entry page about
        // as much as the query itself.
        return try stmt.rawStep { row, step in
            sqlite3_bind_int64(row, 1, Int64(bitPattern: directory))
            sqlite3_bind_int64(row, 2, Int64(clamping: cookie))
            sqlite3_bind_int64(row, 3, Int64(max(0, limit)))
            var result: [DirEntryRecord] = []
            result.reserveCapacity(max(0, min(limit, 1024)))
            while try step() {
                result.append(DirEntryRecord(directory: directory, name: BlobBytes(sqliteStatement: row, index: 1).bytes,
                                             inode: UInt64(bitPattern: sqlite3_column_int64(row, 2)),
                                             cookie: UInt64(bitPattern: sqlite3_column_int64(row, 0))))
            }
            return result
        }
    }

    func hasEntries(_ directory: InodeID) throws -> Bool {
        let stmt = try db.cachedStatement(sql: "SELECT 1 FROM dentry WHERE dir = ? LIMIT 1")
        return try Row.fetchOne(stmt, arguments: [Int64(bitPattern: directory)]) != nil
    }

    func chunks(_ inode: InodeID, in indexes: ClosedRange<Int64>) throws -> [Chunk] {
        // Readers answer from the file's cached chunk map, loading it whole when the file is small enough;
        // the writer from the cached (committed) map with this batch's own edits laid over it, or from SQLite.
        if !writable {
            if let map = try cachedChunkMap(inode) { return InodeCache.slice(map, indexes) }
        } else if !invalidatesCache, let map = cache.chunkMap(inode) {
            var found = InodeCache.slice(map, indexes)
            // The batch's edits, then this operation's own (a flush batch edits hundreds of chunks of one
            // file and reads each first: look up the range, never copy the edits).
            for edits in [batchChunkEdits[inode], operationChunkEdits[inode]] {
                guard let edits else { continue }
                let span = indexes.upperBound.subtractingReportingOverflow(indexes.lowerBound)
                if !span.overflow && span.partialValue < Int64(edits.count) {
                    InodeCache.edit(&found, indexes.compactMap { index in edits[index].map { (index, $0) } })
                } else {
                    InodeCache.edit(&found, edits.filter { indexes.contains($0.key) }.map { ($0.key, $0.value) })
                }
            }
            return found
        }
        let stmt = try db.cachedStatement(
            sql: "SELECT idx, block, length, class, boff FROM chunk WHERE ino = ? AND idx BETWEEN ? AND ? ORDER BY idx")
        let rows = try Row.fetchCursor(stmt, arguments: [Int64(bitPattern: inode), indexes.lowerBound, indexes.upperBound])
        var result: [Chunk] = []
        while let row = try rows.next() { result.append(try Self.decodeChunk(row, inode: inode)) }
        try attachSlices(&result, inode)
        return result
    }

    /// Fills in the slices of `chunks` (all of one inode, in index order).
    func attachSlices(_ chunks: inout [Chunk], _ inode: InodeID) throws {
        guard let first = chunks.first?.index, let last = chunks.last?.index else { return }
        let stmt = try db.cachedStatement(
            sql: "SELECT idx, block, runs FROM slice WHERE ino = ? AND idx BETWEEN ? AND ? ORDER BY idx, id")
        let rows = try Row.fetchCursor(stmt, arguments: [Int64(bitPattern: inode), first, last])
        var position = [Int64: Int]()
        while let row = try rows.next() {
            let index: Int64 = row[0]
            if position.isEmpty { for (i, c) in chunks.enumerated() { position[c.index] = i } }
            guard let at = position[index] else { continue }
            let runs: BlobBytes = row[2]
            try runs.bytes.withUnsafeBytes { try SliceRuns.decode($0, block: row[1], into: &chunks[at].slices) }
        }
    }

    func cachedChunkMap(_ inode: InodeID) throws -> [Chunk]? {
        if let map = cache.chunkMap(inode) { return map }
        let stmt = try db.cachedStatement(sql: "SELECT idx, block, length, class, boff FROM chunk WHERE ino = ? ORDER BY idx LIMIT ?")
        let rows = try Row.fetchCursor(stmt, arguments: [Int64(bitPattern: inode), InodeCache.chunkMapLimit + 1])
        var map: [Chunk] = []
        while let row = try rows.next() { map.append(try Self.decodeChunk(row, inode: inode)) }
        guard map.count <= InodeCache.chunkMapLimit else { return nil }
        try attachSlices(&map, inode)
        cache.insertChunkMap(inode, map, readAtEpoch: readEpoch)
        return map
    }

    func fileSystem(_ id: FileSystemID) throws -> FileSystemRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM filesystem WHERE id = ?", arguments: [id]).map(Self.decodeFileSystem)
    }

    func fileSystems() throws -> [FileSystemRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM filesystem ORDER BY id").map(Self.decodeFileSystem)
    }

    func usage(_ fileSystem: FileSystemID) throws -> Usage {
        let inodes = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM inode WHERE fs = ?", arguments: [fileSystem]) ?? 0
        var bytes: [StorageClass: UInt64] = [:]
        for storageClass in StorageClass.allCases { bytes[storageClass] = 0 }
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.class, SUM(c.length) FROM chunk c JOIN inode i ON i.id = c.ino
            WHERE i.fs = ? GROUP BY c.class
            """, arguments: [fileSystem])
        for row in rows {
            guard let storageClass = StorageClass(rawValue: UInt8(clamping: row[0] as Int64)) else { continue }
            bytes[storageClass] = UInt64(max(0, row[1] as Int64))
        }
        return Usage(inodes: UInt64(inodes), bytes: bytes)
    }

    func garbage(limit: Int) throws -> [GarbageBlock] {
        try Row.fetchAll(db, sql: "SELECT block, class FROM garbage LIMIT ?", arguments: [limit]).map {
            GarbageBlock(block: $0[0], storageClass: StorageClass(rawValue: UInt8(clamping: $0[1] as Int64)) ?? .standard)
        }
    }

    func referencedBlocks() throws -> Set<String> {
        var blocks = Set(try String.fetchAll(db, sql: "SELECT block FROM chunk"))
        blocks.formUnion(try String.fetchAll(db, sql: "SELECT DISTINCT block FROM slice"))
        blocks.formUnion(try String.fetchAll(db, sql: "SELECT block FROM garbage"))
        return blocks
    }

    func unlinkedInodes() throws -> [InodeID] {
        try Int64.fetchAll(db, sql: "SELECT id FROM inode WHERE nlink = 0").map { InodeID(bitPattern: $0) }
    }

    func forEachInode(_ fileSystem: FileSystemID, _ body: (Inode) throws -> Bool) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM inode WHERE fs = ? ORDER BY id", arguments: [fileSystem])
        while let row = try rows.next() {
            // Inside a write batch, rows it updated are not written yet: the changes hold their values.
            let stored = try Self.decodeInode(row)
            guard let inode = uncommitted(stored.id) ?? stored else { continue }
            if try !body(inode) { return }
        }
    }

    func forEachEntry(_ fileSystem: FileSystemID, _ body: (DirEntryRecord) throws -> Bool) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.cookie, d.dir, d.name, d.ino FROM dentry d JOIN inode i ON i.id = d.dir
            WHERE i.fs = ? ORDER BY d.dir, d.cookie
            """, arguments: [fileSystem])
        while let row = try rows.next() {
            let name: Data = row[2]
            let entry = DirEntryRecord(directory: UInt64(bitPattern: row[1]), name: [UInt8](name),
                                       inode: UInt64(bitPattern: row[3]), cookie: UInt64(bitPattern: row[0]))
            if try !body(entry) { return }
        }
    }

    func forEachChunk(_ fileSystem: FileSystemID, _ body: (Chunk) throws -> Bool) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT c.idx, c.block, c.length, c.class, c.boff, c.ino FROM chunk c JOIN inode i ON i.id = c.ino
            WHERE i.fs = ? ORDER BY c.ino, c.idx
            """, arguments: [fileSystem])
        var slices: [[Int64]: [Slice]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT s.ino, s.idx, s.block, s.runs FROM slice s JOIN inode i ON i.id = s.ino
            WHERE i.fs = ? ORDER BY s.id
            """, arguments: [fileSystem]) {
            let runs: BlobBytes = row[3]
            try runs.bytes.withUnsafeBytes { try SliceRuns.decode($0, block: row[2], into: &slices[[row[0], row[1]], default: []]) }
        }
        while let row = try rows.next() {
            var chunk = try Self.decodeChunk(row, inode: UInt64(bitPattern: row[5]))
            chunk.slices = slices[[Int64(bitPattern: chunk.inode), chunk.index]] ?? []
            if try !body(chunk) { return }
        }
    }

    func resource(kind: ResourceKind, id: String) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT body FROM resource WHERE kind = ? AND id = ?", arguments: [kind.name, id]).map { [UInt8]($0) }
    }

    func resources(kind: ResourceKind) throws -> [(id: String, body: [UInt8])] {
        try Row.fetchAll(db, sql: "SELECT id, body FROM resource WHERE kind = ? ORDER BY id", arguments: [kind.name]).map {
            ($0[0] as String, [UInt8]($0[1] as Data))
        }
    }
}
