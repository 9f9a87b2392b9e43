import Foundation
import MetadataStore
import Testing

/// One suite, run against every engine in `StoreEngine`.
@Suite struct MetadataStoreConformanceTests {
    @Test(arguments: StoreEngine.allCases)
    func aNewFileSystemHasARootDirectoryThatIsItsOwnParent(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let root = try #require(try await store.inode(fs.root))
        #expect(root.type == .directory && root.parent == root.id && root.fileSystem == fs.id)
        #expect(try await store.read { try $0.fileSystems() } == [fs])
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func anInodeReadsBackExactlyAsWritten(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        var inode = sampleInode(fs.id, .symlink)
        inode.symlinkTarget = Array("../some/where".utf8)
        inode.createVerifier = 0xDEAD_BEEF_0000_0001
        inode.size = 1 << 45
        inode.change = UInt64.max - 3
        inode.rdevMajor = 8; inode.rdevMinor = 3
        inode.mtime = Timestamp(nanoseconds: -5)
        let stored = try await store.write { [inode] in try $0.insertInode(inode) }
        var expected = inode
        expected.id = stored.id
        #expect(stored == expected)
        #expect(try await store.read { try $0.inode(stored.id) } == expected)
        #expect(try await store.inode(stored.id) == expected)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func inodeNumbersAreNeverReused(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let first = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        try await store.write { try $0.deleteInode(first.id) }
        let second = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        #expect(second.id > first.id)
        #expect(try await store.inode(first.id) == nil)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func aWriteThatThrowsChangesNothing(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let before = try #require(try await store.inode(fs.root))
        await #expect(throws: Boom.self) {
            try await store.write { w in
                let child = try w.insertInode(sampleInode(fs.id))
                _ = try w.insertEntry(fs.root, Array("x".utf8), child.id)
                var root = before
                root.nlink = 99
                try w.updateInode(root)
                throw Boom()
            }
        }
        #expect(try await store.inode(fs.root) == before)
        #expect(try await store.read { try $0.entry(fs.root, Array("x".utf8)) } == nil)
        #expect(try await store.read { try $0.usage(fs.id).inodes } == 1)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func entriesListInCookieOrderAndResumeAfterAnyCookie(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        var cookies: [UInt64] = []
        for name in ["b", "a", "c", "d"] {
            let entry = try await store.write { w in
                let child = try w.insertInode(sampleInode(fs.id))
                return try w.insertEntry(fs.root, Array(name.utf8), child.id)
            }
            cookies.append(entry.cookie)
        }
        #expect(cookies == cookies.sorted() && Set(cookies).count == 4 && cookies.allSatisfy { $0 > 2 })
        let firstTwo = try await store.read { try $0.entries(fs.root, after: 0, limit: 2) }
        #expect(firstTwo.map { String(decoding: $0.name, as: UTF8.self) } == ["b", "a"])
        // Removing an entry already returned and adding a new one does not disturb the rest of the listing.
        try await store.write { w in
            try w.removeEntry(fs.root, Array("b".utf8))
            let child = try w.insertInode(sampleInode(fs.id))
            _ = try w.insertEntry(fs.root, Array("e".utf8), child.id)
        }
        let rest = try await store.read { try $0.entries(fs.root, after: firstTwo[1].cookie, limit: 10) }
        #expect(rest.map { String(decoding: $0.name, as: UTF8.self) } == ["c", "d", "e"])
        #expect(try await store.read { try $0.hasEntries(fs.root) })
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func severalInodesReadAtOnceComeInTheOrderAskedAndSeeTheTransactionsOwnChanges(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let (a, b, c) = try await store.write { w in
            (try w.insertInode(sampleInode(fs.id)), try w.insertInode(sampleInode(fs.id, .directory)),
             try w.insertInode(sampleInode(fs.id, .symlink)))
        }
        let missing = c.id + 1000
        #expect(try await store.read { try $0.inodes([c.id, missing, a.id, b.id, a.id]) } == [c, nil, a, b, a])
        #expect(try await store.read { try $0.inodes([]) } == [])
        try await store.write { w in
            var grown = a
            grown.size = 77
            try w.updateInode(grown)
            try w.deleteInode(b.id)
            #expect(try w.inodes([a.id, b.id, c.id]) == [grown, nil, c])
        }
        #expect(try await store.read { try $0.inodes([a.id, b.id]) }.map { $0?.size } == [77, nil])
        try await store.close()
    }

    /// Concurrent updates of one inode (they commit in shared batches) land as the last value each kept
    /// operation wrote, with rolled-back ones leaving no trace, as read back from disk after reopening.
    @Test(arguments: StoreEngine.allCases)
    func updatesCommittedTogetherLandAsTheLastKeptValue(engine: StoreEngine) async throws {
        let dir = StoreEngine.scratch()
        var store = try engine.open(dir)
        let fs = try await makeFileSystem(store)
        let (counter, doomed) = try await store.write { w in
            (try w.insertInode(sampleInode(fs.id, .directory)), try w.insertInode(sampleInode(fs.id)))
        }
        let kept = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<60 {
                group.addTask { [store] in
                    do {
                        try await store.write { w in
                            var c = try #require(try w.inode(counter.id))
                            c.size += 1
                            try w.updateInode(c)
                            if i == 30 {
                                var d = try #require(try w.inode(doomed.id))
                                d.size = 5
                                try w.updateInode(d)
                                try w.deleteInode(doomed.id)
                            }
                            if i % 7 == 3 { throw Boom() }
                            #expect(try w.inode(counter.id)?.size == c.size)
                        }
                        return true
                    } catch { return false }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(kept == 60 - 9)
        #expect(try await store.inode(counter.id)?.size == UInt64(kept))
        // A full scan inside a write sees the values that write's batch has not written to its rows yet.
        try await store.write { w in
            var c = try #require(try w.inode(counter.id))
            c.nlink = 7
            try w.updateInode(c)
            var scanned: Inode?
            try w.forEachInode(fs.id) { if $0.id == counter.id { scanned = $0 }; return true }
            #expect(scanned?.nlink == 7)
        }
        try await store.close()
        store = try engine.open(dir)
        let reread = try await store.read { try $0.inodes([counter.id, doomed.id]) }
        #expect(reread.map { $0?.size } == [UInt64(kept), nil])
        #expect(reread[0]?.nlink == 7)
        try await store.close()
    }

    /// Names are bytes, not text: any byte but NUL and "/" reads back as stored, up to the longest allowed.
    @Test(arguments: StoreEngine.allCases)
    func entryNamesReadBackByteForByte(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let names: [[UInt8]] = [[0xFF, 0xFE, 0x80], Array(repeating: 0x61, count: 255), [0x2E, 0x2E, 0x2E], Array("é".utf8)]
        for name in names {
            try await store.write { w in _ = try w.insertEntry(fs.root, name, try w.insertInode(sampleInode(fs.id)).id) }
        }
        let listed = try await store.read { try $0.entries(fs.root, after: 0, limit: 10) }
        #expect(listed.map(\.name) == names)
        // Each is found by its exact bytes (a name that is a prefix of another is not it), and removed alone.
        for entry in listed { #expect(try await store.read { try $0.entry(fs.root, entry.name) } == entry) }
        #expect(try await store.read { try $0.entry(fs.root, [0xFF, 0xFE]) } == nil)
        await #expect(throws: (any Error).self) {
            try await store.write { w in _ = try w.insertEntry(fs.root, names[0], try w.insertInode(sampleInode(fs.id)).id) }
        }
        try await store.write { try $0.removeEntry(fs.root, names[1]) }
        #expect(try await store.read { try $0.entries(fs.root, after: 0, limit: 10) }.map(\.name) == [names[0]] + names[2...])
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func replacedAndRemovedChunksSendTheirBlocksToGarbage(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let file = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        try await store.write { w in
            for i in 0..<3 { try w.putChunk(Chunk(inode: file.id, index: Int64(i), block: "b\(i)", length: 100)) }
        }
        try await store.write { try $0.putChunk(Chunk(inode: file.id, index: 1, block: "b1-new", length: 50)) }
        #expect(try await store.read { try $0.garbage(limit: 10) } == [GarbageBlock(block: "b1", storageClass: .standard)])
        // Shortening a chunk in place keeps its block.
        try await store.write { try $0.putChunk(Chunk(inode: file.id, index: 1, block: "b1-new", length: 10)) }
        try await store.write { try $0.removeChunks(file.id, from: 2) }
        let chunks = try await store.read { try $0.chunks(file.id, in: 0...Int64.max) }
        #expect(chunks.map(\.block) == ["b0", "b1-new"] && chunks[1].length == 10)
        try await store.write { try $0.deleteInode(file.id) }
        let garbage = Set(try await store.read { try $0.garbage(limit: 10) }.map(\.block))
        #expect(garbage == ["b0", "b1", "b1-new", "b2"])
        #expect(try await store.read { try $0.referencedBlocks() } == garbage)
        try await store.write { try $0.removeGarbage(Array(garbage)) }
        #expect(try await store.read { try $0.garbage(limit: 10) }.isEmpty)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func usageIsMeteredPerStorageClass(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let file = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        try await store.write { w in
            try w.putChunk(Chunk(inode: file.id, index: 0, block: "s", length: 1000))
            try w.putChunk(Chunk(inode: file.id, index: 1, block: "i", length: 300, storageClass: .infrequentAccess))
        }
        let usage = try await store.read { try $0.usage(fs.id) }
        #expect(usage.inodes == 2 && usage.bytes[.standard] == 1000 && usage.bytes[.infrequentAccess] == 300)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func concurrentWritersAllCommitAndFailuresStayIsolated(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask {
                    do {
                        try await store.write { w in
                            let child = try w.insertInode(sampleInode(fs.id))
                            _ = try w.insertEntry(fs.root, Array("n\(i)".utf8), child.id)
                            if i % 10 == 0 { throw Boom() }  // every tenth one fails, alone
                        }
                        return true
                    } catch { return false }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 180)
        let names = try await store.read { try $0.entries(fs.root, after: 0, limit: 1000) }
        #expect(names.count == 180)
        #expect(!names.contains { String(decoding: $0.name, as: UTF8.self) == "n10" })
        #expect(try await store.read { try $0.usage(fs.id).inodes } == 181)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func committedWritesSurviveReopeningAndTheOpenCountMoves(engine: StoreEngine) async throws {
        let dir = StoreEngine.scratch()
        var store = try engine.open(dir)
        let firstCount = store.openCount
        let fs = try await makeFileSystem(store)
        let file = try await store.write { w in
            let file = try w.insertInode(sampleInode(fs.id))
            _ = try w.insertEntry(fs.root, Array("kept".utf8), file.id)
            return file
        }
        try await store.close()
        store = try engine.open(dir)
        #expect(store.openCount > firstCount)
        #expect(try await store.read { try $0.entry(fs.root, Array("kept".utf8)) }?.inode == file.id)
        #expect(try await store.inode(file.id) == file)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func theInodeFastPathSeesEveryCommittedUpdate(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        var file = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        for n in 1...50 {
            file.size = UInt64(n)
            try await store.write { [file] in try $0.updateInode(file) }
            #expect(try await store.inode(file.id)?.size == UInt64(n))
        }
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func resourcesAreStoredPerKindAndSurviveReopening(engine: StoreEngine) async throws {
        let dir = StoreEngine.scratch()
        var store = try engine.open(dir)
        try await store.write { w in
            try w.putResource(kind: ResourceKind.ControlPlane.fileSystem, id: "fs-1", body: Array("one".utf8))
            try w.putResource(kind: ResourceKind.ControlPlane.fileSystem, id: "fs-2", body: Array("two".utf8))
            try w.putResource(kind: ResourceKind.ControlPlane.mountTarget, id: "fs-1", body: Array("other kind".utf8))
            try w.putResource(kind: ResourceKind.ControlPlane.fileSystem, id: "fs-1", body: Array("one, updated".utf8))
        }
        try await store.write { try $0.deleteResource(kind: ResourceKind.ControlPlane.fileSystem, id: "fs-2") }
        try await store.close()
        store = try engine.open(dir)
        let all = try await store.read { try $0.resources(kind: ResourceKind.ControlPlane.fileSystem) }
        #expect(all.map(\.id) == ["fs-1"] && all.first?.body == Array("one, updated".utf8))
        #expect(try await store.read { try $0.resource(kind: ResourceKind.ControlPlane.mountTarget, id: "fs-1") } == Array("other kind".utf8))
        #expect(try await store.read { try $0.resource(kind: ResourceKind.ControlPlane.accessPoint, id: "x") } == nil)
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func deletingAFileSystemRemovesAllItsRecordsAndCollectsItsBlocks(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let doomed = try await makeFileSystem(store), kept = try await makeFileSystem(store)
        let file = try await store.write { w in
            let f = try w.insertInode(sampleInode(doomed.id))
            _ = try w.insertEntry(doomed.root, Array("f".utf8), f.id)
            try w.putChunk(Chunk(inode: f.id, index: 0, block: "blk", length: 10))
            return f
        }
        _ = try await store.inode(file.id)  // now cached
        try await store.write { try $0.deleteFileSystem(doomed.id) }
        #expect(try await store.inode(file.id) == nil)
        #expect(try await store.inode(doomed.root) == nil)
        #expect(try await store.read { try $0.fileSystems() } == [kept])
        #expect(try await store.read { try $0.garbage(limit: 10) }.map(\.block) == ["blk"])
        try await store.close()
    }

    @Test(arguments: StoreEngine.allCases)
    func aSecondOpenOfTheSameStoreIsRefused(engine: StoreEngine) async throws {
        guard engine == .sqlite else { return }
        let dir = StoreEngine.scratch()
        let store = try engine.open(dir)
        #expect(throws: MetadataStoreError.self) { _ = try engine.open(dir) }
        try await store.close()
    }
}
