import Foundation
import GRDB

enum SQLiteSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE filesystem(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, root INTEGER NOT NULL,
                    chunk_size INTEGER NOT NULL, created INTEGER NOT NULL);
                CREATE TABLE inode(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, fs INTEGER NOT NULL, type INTEGER NOT NULL,
                    mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, nlink INTEGER NOT NULL,
                    size INTEGER NOT NULL, atime INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL,
                    btime INTEGER NOT NULL, change INTEGER NOT NULL, rdev_major INTEGER NOT NULL,
                    rdev_minor INTEGER NOT NULL, target BLOB, verifier INTEGER, parent INTEGER NOT NULL);
                CREATE INDEX inode_fs ON inode(fs);
                -- The rowid is the readdir cookie: AUTOINCREMENT never reuses one, and the index on dir
                -- keeps (dir, rowid) in order, so listing resumes exactly after any cookie.
                CREATE TABLE dentry(
                    cookie INTEGER PRIMARY KEY AUTOINCREMENT, dir INTEGER NOT NULL,
                    name BLOB NOT NULL, ino INTEGER NOT NULL);
                CREATE UNIQUE INDEX dentry_name ON dentry(dir, name);
                CREATE INDEX dentry_dir ON dentry(dir);
                CREATE TABLE chunk(
                    ino INTEGER NOT NULL, idx INTEGER NOT NULL, block TEXT NOT NULL,
                    length INTEGER NOT NULL, class INTEGER NOT NULL, PRIMARY KEY(ino, idx)) WITHOUT ROWID;
                CREATE TABLE garbage(block TEXT PRIMARY KEY, class INTEGER NOT NULL) WITHOUT ROWID;
                -- NFS reserves readdir cookies 0, 1 and 2.
                INSERT INTO sqlite_sequence(name, seq) VALUES ('dentry', 2);
                INSERT INTO meta(key, value) VALUES ('open_count', 0);
                """)
        }
        migrator.registerMigration("v2-resources") { db in
            try db.execute(sql: """
                CREATE TABLE resource(kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL,
                                      PRIMARY KEY(kind, id)) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3-slices") { db in
            try db.execute(sql: """
                CREATE TABLE slice(id INTEGER PRIMARY KEY AUTOINCREMENT, ino INTEGER NOT NULL, idx INTEGER NOT NULL,
                                   off INTEGER NOT NULL, len INTEGER NOT NULL, block TEXT NOT NULL, boff INTEGER NOT NULL);
                CREATE INDEX slice_chunk ON slice(ino, idx, id);
                CREATE INDEX slice_block ON slice(block);
                """)
        }
        migrator.registerMigration("v4-shared-blocks") { db in
            // Chunks written whole by one flush share a block, each at its own offset; a block is garbage once
            // no chunk and no slice names it (the index answers that).
            try db.execute(sql: """
                ALTER TABLE chunk ADD COLUMN boff INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX chunk_block ON chunk(block);
                """)
        }
        migrator.registerMigration("v5-slice-rowid") { db in
            // Slice ids only order a chunk's slices, and a plain rowid already grows past every row there is:
            // AUTOINCREMENT cost a sqlite_sequence update per inserted slice, thousands per flush of small writes.
            try db.execute(sql: """
                CREATE TABLE slice_v5(id INTEGER PRIMARY KEY, ino INTEGER NOT NULL, idx INTEGER NOT NULL,
                                      off INTEGER NOT NULL, len INTEGER NOT NULL, block TEXT NOT NULL, boff INTEGER NOT NULL);
                INSERT INTO slice_v5 SELECT id, ino, idx, off, len, block, boff FROM slice;
                DROP TABLE slice;
                ALTER TABLE slice_v5 RENAME TO slice;
                CREATE INDEX slice_chunk ON slice(ino, idx, id);
                CREATE INDEX slice_block ON slice(block);
                """)
        }
        migrator.registerMigration("v6-slice-runs") { db in
            // A chunk's consecutive slices from one block share a row (see `SliceRuns`).
            let run = DatabaseFunction("strata_slice_run", argumentCount: 3, pure: true) { values in
                let field = { (n: Int) in Int(Int64.fromDatabaseValue(values[n]) ?? 0) }
                return Data(SliceRuns.encode([Slice(offset: field(0), length: field(1), block: "", blockOffset: field(2))]))
            }
            db.add(function: run)
            defer { db.remove(function: run) }
            try db.execute(sql: """
                CREATE TABLE slice_v6(id INTEGER PRIMARY KEY, ino INTEGER NOT NULL, idx INTEGER NOT NULL,
                                      block TEXT NOT NULL, runs BLOB NOT NULL);
                INSERT INTO slice_v6 SELECT id, ino, idx, block, strata_slice_run(off, len, boff) FROM slice;
                DROP TABLE slice;
                ALTER TABLE slice_v6 RENAME TO slice;
                CREATE INDEX slice_chunk ON slice(ino, idx, id);
                CREATE INDEX slice_block ON slice(block);
                """)
        }
        migrator.registerMigration("v7-dentry-by-directory") { db in
            // Entries are stored in (directory, cookie) order, so a listing reads the table itself and the
            // name index is the only other tree an insert or removal writes: the rowid table, its index on dir
            // and the name index were three trees, a page of log each per commit of a create or remove.
            // Cookies are now per directory (see `SQLiteAccess.insertEntry`); existing ones are kept.
            try db.execute(sql: """
                CREATE TABLE dentry_v7(dir INTEGER NOT NULL, cookie INTEGER NOT NULL, name BLOB NOT NULL,
                                       ino INTEGER NOT NULL, PRIMARY KEY(dir, cookie)) WITHOUT ROWID;
                INSERT INTO dentry_v7 SELECT dir, cookie, name, ino FROM dentry;
                DROP TABLE dentry;
                ALTER TABLE dentry_v7 RENAME TO dentry;
                CREATE UNIQUE INDEX dentry_name ON dentry(dir, name);
                """)
        }
        migrator.registerMigration("v8-unlinked-inodes") { db in
            // Files removed while open keep their inode with no link; a start finds the ones left by a crash
            // here without scanning every inode (no entry is added for the others).
            try db.execute(sql: "CREATE INDEX inode_unlinked ON inode(id) WHERE nlink = 0")
        }
        return migrator
    }
}
