import Foundation
import GRDB
import GRDBSQLite

/// MetadataReader/MetadataWriter over one GRDB connection, inside a transaction the store opened.
/// In a write batch it records the inodes each operation changed, so the cache can be updated on commit
/// and an operation that is rolled back leaves no trace.
final class SQLiteAccess: MetadataWriter {
    let db: Database
    let cache: InodeCache
    let writable: Bool
    let readEpoch: UInt64
    var operationChanges: [InodeID: Inode?] = [:]
    private(set) var batchChanges: [InodeID: Inode?] = [:]
    /// The chunks each operation put (nil: removed), per inode and index, for the cache and for reads
    /// later in the same batch.
    var operationChunkEdits: [InodeID: [Int64: Chunk?]] = [:]
    private(set) var batchChunkEdits: [InodeID: [Int64: Chunk?]] = [:]
    /// Inodes inserted: they have no chunks yet, which the cache can know without asking SQLite.
    var operationCreated: Set<InodeID> = []
    private(set) var batchCreated: Set<InodeID> = []
    /// Inodes updated whose rows are written once, just before the batch commits: a directory taking many
    /// creates or removes in one batch is written once, not once per operation.
    var operationUpdated: Set<InodeID> = []
    var batchUpdated: Set<InodeID> = []
    /// Set when a change touched more inodes than it tracked (a whole file system deleted).
    var invalidatesCache = false

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

    func requireWritable() throws {
        guard writable else { throw MetadataStoreError.engine("write attempted in a read transaction") }
    }
}
