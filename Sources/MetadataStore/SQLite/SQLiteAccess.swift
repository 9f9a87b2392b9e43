import Foundation
import GRDB
import GRDBSQLite

/// MetadataReader/MetadataWriter over one GRDB connection, inside a transaction the store opened.
/// In a write batch it records the inodes each operation changed, so the cache can be updated on commit
/// and an operation that is rolled back leaves no trace.
final class SQLiteAccess: MetadataWriter {
    private let db: Database
    private let cache: InodeCache
    private let writable: Bool
    private let readEpoch: UInt64
    private var operationChanges: [InodeID: Inode?] = [:]
    private(set) var batchChanges: [InodeID: Inode?] = [:]
    /// The chunks each operation put (nil: removed), per inode and index, for the cache and for reads
    /// later in the same batch.
    private var operationChunkEdits: [InodeID: [Int64: Chunk?]] = [:]
    private(set) var batchChunkEdits: [InodeID: [Int64: Chunk?]] = [:]
    /// Inodes inserted: they have no chunks yet, which the cache can know without asking SQLite.
    private var operationCreated: Set<InodeID> = []
    private(set) var batchCreated: Set<InodeID> = []
    /// Inodes updated whose rows are written once, just before the batch commits: a directory taking many
    /// creates or removes in one batch is written once, not once per operation.
    private var operationUpdated: Set<InodeID> = []
    private var batchUpdated: Set<InodeID> = []
    /// Set when a change touched more inodes than it tracked (a whole file system deleted).
    private(set) var invalidatesCache = false

    init(_ db: Database, cache: InodeCache, writable: Bool, readEpoch: UInt64 = 0) {
        self.db = db; self.cache = cache; self.writable = writable; self.readEpoch = readEpoch
    }

    func keepOperationChanges() {
        batchChanges.merge(operationChanges) { _, new in new }
        operationChanges.removeAll(keepingCapacity: true)
        for (id, edits) in operationChunkEdits { batchChunkEdits[id, default: [:]].merge(edits) { _, new in new } }
        operationChunkEdits.removeAll(keepingCapacity: true)
        batchCreated.formUnion(operationCreated)
        operationCreated.removeAll(keepingCapacity: true)
        batchUpdated.formUnion(operationUpdated)
        operationUpdated.removeAll(keepingCapacity: true)
    }

    func discardOperationChanges() {
        operationChanges.removeAll(keepingCapacity: true)
        operationChunkEdits.removeAll(keepingCapacity: true)
        operationCreated.removeAll(keepingCapacity: true)
        operationUpdated.removeAll(keepingCapacity: true)
    }

    /// Writes the inode rows the batch's kept operations updated, each with its last value. A row deleted
    /// meanwhile (its file, or its whole file system) is left deleted.
    func writeUpdatedInodes() throws {
        guard !batchUpdated.isEmpty else { return }
        let stmt = try db.cachedStatement(sql: """
            UPDATE inode SET fs = ?, type = ?, mode = ?, uid = ?, gid = ?, nlink = ?, size = ?, atime = ?,
                mtime = ?, ctime = ?, btime = ?, change = ?, rdev_major = ?, rdev_minor = ?, target = ?,
                verifier = ?, parent = ? WHERE id = ?
            """)
        for id in batchUpdated {
            guard case let .some(inode?) = batchChanges[id] else { continue }
            try stmt.rawStep { raw, step in
                sqlite3_bind_int64(raw, 18, Int64(bitPattern: id))
                try Self.stepWithInode(raw, inode, step)
            }
        }
        batchUpdated.removeAll(keepingCapacity: true)
    }

    private func requireWritable() throws {
        guard writable else { throw MetadataStoreError.engine("write attempted in a read transaction") }
    }

    // MARK: - Reader

    /// What this batch made of the inode so far (.some(nil): deleted), before SQLite's row has it.
    private func uncommitted(_ id: InodeID) -> Inode?? { operationChanges[id] ?? batchChanges[id] }

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

    private func storedInode(_ id: InodeID) throws -> Inode? {
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
    private func attachSlices(_ chunks: inout [Chunk], _ inode: InodeID) throws {
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

    private func cachedChunkMap(_ inode: InodeID) throws -> [Chunk]? {
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

    // MARK: - Writer

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
    private func insertSliceRow(_ insert: Statement, inode: Int64, index: Int64, _ slices: ArraySlice<Slice>) throws {
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
    private func collectUnreferenced(_ blocks: [String: StorageClass]) throws {
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

    // MARK: - Rows

    /// Binds an inode's columns as parameters 1 to 17 (fs, type, mode, uid, gid, nlink, size, atime, mtime,
    /// ctime, btime, change, rdev_major, rdev_minor, target, verifier, parent) and steps.
    private static func stepWithInode(_ stmt: SQLiteStatement, _ i: Inode, _ step: () throws -> Bool) throws {
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

    private static func decodeInode(_ row: Row) throws -> Inode {
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

    private static func decodeChunk(_ row: Row, inode: InodeID) throws -> Chunk {
        Chunk(inode: inode, index: row[0], block: row[1], length: row[2],
              storageClass: StorageClass(rawValue: UInt8(clamping: row[3] as Int64)) ?? .standard, blockOffset: row[4])
    }

    private static func decodeFileSystem(_ row: Row) -> FileSystemRecord {
        FileSystemRecord(id: row["id"], root: UInt64(bitPattern: row["root"]), chunkSize: row["chunk_size"],
                         createdAt: Timestamp(nanoseconds: row["created"]))
    }
}
