import GRDB
@testable import MetadataStore
import Testing

/// Stores written by an earlier version open with their data intact once the later migrations ran.
@Suite struct SchemaMigrationTests {
    @Test func slicesOfAnAutoincrementStoreKeepTheirOrderAndNewOnesGoAfterThem() async throws {
        let dir = StoreEngine.scratch()
        var store = try StoreEngine.sqlite.open(dir)
        let fs = try await makeFileSystem(store)
        let slices = (0..<5).map { Slice(offset: (4 - $0) * 100, length: 10, block: "s\($0)", blockOffset: $0 * 10) }
        let file = try await store.write { w in
            let f = try w.insertInode(sampleInode(fs.id))
            try w.putChunk(Chunk(inode: f.id, index: 0, block: "base", length: 4096, slices: slices))
            return f
        }
        try await store.close()

        // Back to the slice table as v3 made it (AUTOINCREMENT), as if v5 had never run.
        let queue = try DatabaseQueue(path: dir + "/metadata.sqlite")
        try await queue.write { db in
            try db.execute(sql: """
                CREATE TABLE slice_v3(id INTEGER PRIMARY KEY AUTOINCREMENT, ino INTEGER NOT NULL, idx INTEGER NOT NULL,
                                      off INTEGER NOT NULL, len INTEGER NOT NULL, block TEXT NOT NULL, boff INTEGER NOT NULL);
                INSERT INTO slice_v3 SELECT id, ino, idx, off, len, block, boff FROM slice;
                DROP TABLE slice;
                ALTER TABLE slice_v3 RENAME TO slice;
                CREATE INDEX slice_chunk ON slice(ino, idx, id);
                CREATE INDEX slice_block ON slice(block);
                DELETE FROM grdb_migrations WHERE identifier = 'v5-slice-rowid';
                """)
        }
        try queue.close()

        store = try StoreEngine.sqlite.open(dir)
        let migrated = try #require(try await store.read { try $0.chunks(file.id, in: 0...0) }.first)
        #expect(migrated.slices == slices)
        let later = Slice(offset: 0, length: 10, block: "s5", blockOffset: 0)
        try await store.write { w in
            var chunk = migrated
            chunk.slices.append(later)
            try w.putChunk(chunk)
        }
        try await store.close()
        store = try StoreEngine.sqlite.open(dir)
        #expect(try await store.read { try $0.chunks(file.id, in: 0...0) }.first?.slices == slices + [later])
        try await store.close()
        let sql = try await DatabaseQueue(path: dir + "/metadata.sqlite").read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'slice'")
        }
        #expect(sql?.contains("AUTOINCREMENT") == false)
    }
}
