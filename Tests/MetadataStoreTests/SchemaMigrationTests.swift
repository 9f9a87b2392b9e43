import Foundation
import GRDB
@testable import MetadataStore
import Testing

/// Stores written by an earlier version open with their data intact once the later migrations ran.
@Suite struct SchemaMigrationTests {
    @Test func slicesOfAV4StoreKeepTheirOrderAndNewOnesGoAfterThem() async throws {
        // A store as v4 left it (slice ids from AUTOINCREMENT), made by the project's own migrations.
        let dir = StoreEngine.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ino: Int64 = 5
        // Written in this order; their offsets are not, so only the ids keep it.
        let slices = (0..<5).map { Slice(offset: (4 - $0) * 100, length: 10, block: "s\($0)", blockOffset: $0 * 10) }
        let v4 = try DatabaseQueue(path: dir + "/metadata.sqlite")
        try SQLiteSchema.migrator().migrate(v4, upTo: "v4-shared-blocks")
        try await v4.write { db in
            try db.execute(sql: "INSERT INTO chunk(ino, idx, block, length, class, boff) VALUES (?, 0, 'base', 4096, 0, 0)",
                           arguments: [ino])
            for s in slices {
                try db.execute(sql: "INSERT INTO slice(ino, idx, off, len, block, boff) VALUES (?, 0, ?, ?, ?, ?)",
                               arguments: [ino, s.offset, s.length, s.block, s.blockOffset])
            }
        }
        try v4.close()

        var store = try StoreEngine.sqlite.open(dir)
        let migrated = try #require(try await store.read { try $0.chunks(InodeID(ino), in: 0...0) }.first)
        #expect(migrated.slices == slices)
        let later = Slice(offset: 0, length: 10, block: "s5", blockOffset: 0)
        try await store.write { w in
            var chunk = migrated
            chunk.slices.append(later)
            try w.putChunk(chunk)
        }
        try await store.close()
        store = try StoreEngine.sqlite.open(dir)
        #expect(try await store.read { try $0.chunks(InodeID(ino), in: 0...0) }.first?.slices == slices + [later])
        try await store.close()
        let sql = try await DatabaseQueue(path: dir + "/metadata.sqlite").read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'slice'")
        }
        #expect(sql?.contains("AUTOINCREMENT") == false)
    }

    @Test func entriesOfAV6StoreKeepTheirCookiesAndNewOnesListAfterThem() async throws {
        // A store as v6 left it: one cookie sequence over every directory, entries in two directories.
        let dir = StoreEngine.scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let v6 = try DatabaseQueue(path: dir + "/metadata.sqlite")
        try SQLiteSchema.migrator().migrate(v6, upTo: "v6-slice-runs")
        let (root, other): (Int64, Int64) = try await v6.write { db in
            try db.execute(sql: "INSERT INTO filesystem(root, chunk_size, created) VALUES (0, 1048576, 0)")
            let inode = "INSERT INTO inode(fs, type, mode, uid, gid, nlink, size, atime, mtime, ctime, btime, change, rdev_major, rdev_minor, parent) VALUES (1, ?, 493, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0)"
            try db.execute(sql: inode, arguments: [FileType.directory.rawValue])
            let root = db.lastInsertedRowID
            try db.execute(sql: inode, arguments: [FileType.directory.rawValue])
            let other = db.lastInsertedRowID
            try db.execute(sql: "UPDATE filesystem SET root = ?", arguments: [root])
            for (d, name) in [(root, "b"), (other, "x"), (root, "a"), (other, "y"), (root, "c")] {
                try db.execute(sql: "INSERT INTO dentry(dir, name, ino) VALUES (?, ?, ?)", arguments: [d, Data(name.utf8), other])
            }
            return (root, other)
        }
        let oldCookies = try await v6.read { db in
            try Int64.fetchAll(db, sql: "SELECT cookie FROM dentry WHERE dir = ? ORDER BY cookie", arguments: [root]).map { UInt64($0) }
        }
        try v6.close()

        let store = try StoreEngine.sqlite.open(dir)
        let listed = try await store.read { r in try r.entries(InodeID(root), after: 0, limit: 10) }
        #expect(listed.map { String(decoding: $0.name, as: UTF8.self) } == ["b", "a", "c"])
        #expect(listed.map(\.cookie) == oldCookies)
        #expect(try await store.read { try $0.entry(InodeID(other), Array("y".utf8))?.inode } == InodeID(other))
        // A new entry comes after every old one of its directory, in a listing resumed from the last.
        let added = try await store.write { w in try w.insertEntry(InodeID(root), Array("d".utf8), InodeID(other)) }
        #expect(added.cookie > oldCookies.max()!)
        let rest = try await store.read { r in try r.entries(InodeID(root), after: listed.last!.cookie, limit: 10) }
        #expect(rest.map { String(decoding: $0.name, as: UTF8.self) } == ["d"])
        try await store.close()
    }

    @Test func aChunksSlicesFromOneBlockShareARowAndReadBackInOrder() async throws {
        let dir = StoreEngine.scratch()
        var store = try StoreEngine.sqlite.open(dir)
        let fs = try await makeFileSystem(store)
        let flushA = (0..<20).map { Slice(offset: (19 - $0) * 4096, length: 4096, block: "a", blockOffset: $0 * 4096) }
        let flushB = (0..<12).map { Slice(offset: $0 * 100, length: 50, block: "b", blockOffset: $0 * 50) }
        let later = [Slice(offset: 8, length: 8, block: "c", blockOffset: 0), Slice(offset: 0, length: 4, block: "a", blockOffset: 81920)]
        let file = try await store.write { w in
            let f = try w.insertInode(sampleInode(fs.id))
            try w.putChunk(Chunk(inode: f.id, index: 0, block: "base", length: 1 << 20, slices: flushA + flushB))
            return f
        }
        // Slices only added keep the rows there are; the new ones go into rows of their own.
        try await store.write { w in
            var chunk = try #require(try w.chunks(file.id, in: 0...0).first)
            chunk.slices += later
            try w.putChunk(chunk)
        }
        try await store.close()
        let rows = try await DatabaseQueue(path: dir + "/metadata.sqlite").read { db in
            try String.fetchAll(db, sql: "SELECT block FROM slice ORDER BY id")
        }
        #expect(rows == ["a", "b", "c", "a"])
        store = try StoreEngine.sqlite.open(dir)
        #expect(try await store.read { try $0.chunks(file.id, in: 0...0).first?.slices } == flushA + flushB + later)
        try await store.close()
    }
}
