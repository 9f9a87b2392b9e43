import Foundation
@testable import MetadataStore
import Synchronization
import TestSupport
import Testing

/// Chunk maps as readers and writers see them while commits change them: engines that keep maps in memory
/// must answer exactly what is stored, inside a batch of concurrent writes as after it and after a reopen.
@Suite struct ChunkMapTests {
    @Test(arguments: StoreEngine.allCases)
    func concurrentReadModifyWritesOfChunksAllLandAndReadBackAsStored(engine: StoreEngine) async throws {
        let dir = StoreEngine.scratch()
        var store = try engine.open(dir)
        let fs = try await makeFileSystem(store)
        let file = try await store.write { w in
            let f = try w.insertInode(sampleInode(fs.id))
            for i in 0..<8 { try w.putChunk(Chunk(inode: f.id, index: Int64(i), block: "base\(i)", length: 4096)) }
            return f
        }
        // Read once so that engines which cache the map have it before the edits start.
        #expect(try await store.read { try $0.chunks(file.id, in: 0...Int64.max) }.count == 8)

        var rng = SplitMix(seed: 7)
        var expected = [Int](repeating: 0, count: 8)
        var rolledBack: Set<String> = []
        for round in 0..<6 {
            // Writes submitted together commit together: each one reads its chunk and adds a slice, so one
            // that read the chunk without the batch's earlier changes would drop their slices.
            let ops = (0..<24).map { n in (index: Int64(rng.next() % 8), fails: rng.next() % 4 == 0, tag: "r\(round)-\(n)") }
            for op in ops { if op.fails { rolledBack.insert(op.tag) } else { expected[Int(op.index)] += 1 } }
            let store = store
            await withTaskGroup(of: Void.self) { group in
                for op in ops {
                    group.addTask {
                        _ = try? await store.write { w in
                            var chunk = try #require(try w.chunks(file.id, in: op.index...op.index).first)
                            chunk.slices.append(Slice(offset: chunk.slices.count, length: 1, block: op.tag, blockOffset: 0))
                            try w.putChunk(chunk)
                            #expect(try w.chunks(file.id, in: op.index...op.index).first == chunk)
                            if op.fails { throw Boom() }
                        }
                    }
                }
            }
            let read = try await store.read { try $0.chunks(file.id, in: 0...Int64.max) }
            #expect(read.map(\.slices.count) == expected)
            #expect(read.flatMap(\.slices).allSatisfy { !rolledBack.contains($0.block) })
            let (inode, middle) = try await store.inodeAndChunks(file.id, in: 2...5)
            #expect(inode?.id == file.id && middle == Array(read[2...5]))
        }

        // Truncating, growing and rewriting a base are seen at once by readers and by the writer itself.
        try await store.write { w in
            try w.removeChunks(file.id, from: 5)
            #expect(try w.chunks(file.id, in: 0...Int64.max).map(\.index) == [0, 1, 2, 3, 4])
            try w.putChunk(Chunk(inode: file.id, index: 9, block: "far", length: 10))
            try w.putChunk(Chunk(inode: file.id, index: 0, block: "base0-new", length: 100))
        }
        let final = try await store.read { try $0.chunks(file.id, in: 0...Int64.max) }
        #expect(final.map(\.index) == [0, 1, 2, 3, 4, 9])
        #expect(final[0].block == "base0-new" && final[0].slices.isEmpty && final[5].block == "far")
        #expect(final[1].slices.count == expected[1])

        // What readers were shown is what is stored.
        try await store.close()
        store = try engine.open(dir)
        #expect(try await store.read { try $0.chunks(file.id, in: 0...Int64.max) } == final)
        try await store.write { try $0.deleteInode(file.id) }
        #expect(try await store.read { try $0.chunks(file.id, in: 0...Int64.max) } == [])
        try await store.close()
    }
}

/// Blocks shared by several chunks (and by slices) go to garbage only once nothing names them.
@Suite struct SharedBlockTests {
    @Test(arguments: StoreEngine.allCases)
    func aSharedBlockIsCollectedOnlyWhenItsLastChunkGoes(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let file = try await store.write { w in
            let f = try w.insertInode(sampleInode(fs.id))
            for i in 0..<4 { try w.putChunk(Chunk(inode: f.id, index: Int64(i), block: "shared", length: 100, blockOffset: i * 100)) }
            return f
        }
        let garbage = { try await store.read { try $0.garbage(limit: 10) }.map(\.block).sorted() }
        #expect(try await store.read { try $0.chunks(file.id, in: 2...2) }.first?.blockOffset == 200)
        // Replacing one chunk, truncating another away: two chunks still name the block.
        try await store.write { try $0.putChunk(Chunk(inode: file.id, index: 1, block: "own", length: 100)) }
        try await store.write { try $0.removeChunks(file.id, from: 3) }
        #expect(try await garbage() == [])
        // A slice in a block that a base also uses keeps it alive after the base moves on.
        try await store.write { w in
            var c = try #require(try w.chunks(file.id, in: 0...0).first)
            c.slices = [Slice(offset: 0, length: 10, block: "own", blockOffset: 100)]
            try w.putChunk(c)
            try w.putChunk(Chunk(inode: file.id, index: 1, block: "other", length: 100))
        }
        #expect(try await garbage() == [])
        try await store.write { w in
            try w.putChunk(Chunk(inode: file.id, index: 0, block: "last", length: 100))
            try w.putChunk(Chunk(inode: file.id, index: 2, block: "last", length: 100, blockOffset: 100))
        }
        #expect(try await garbage() == ["own", "shared"])
        try await store.write { try $0.deleteInode(file.id) }
        #expect(try await garbage() == ["last", "other", "own", "shared"])
        try await store.close()
    }
}

extension ChunkMapTests {
    /// A file created in one batch starts with a known-empty chunk map: its first chunks, in later batches
    /// or in the batch that creates it, read back as stored, and deleting it sends exactly their blocks away.
    @Test(arguments: StoreEngine.allCases)
    func newFilesStartWithNoChunksAndTheirFirstChunksReadBackAsStored(engine: StoreEngine) async throws {
        let store = try engine.open(StoreEngine.scratch())
        let fs = try await makeFileSystem(store)
        let later = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        let (atOnce, gone) = try await store.write { w in
            let a = try w.insertInode(sampleInode(fs.id))
            try w.putChunk(Chunk(inode: a.id, index: 1, block: "at-once", length: 10))
            let g = try w.insertInode(sampleInode(fs.id))
            try w.deleteInode(g.id)
            return (a, g)
        }
        #expect(try await store.read { try $0.chunks(later.id, in: 0...Int64.max) } == [])
        try await store.write { w in
            #expect(try w.chunks(later.id, in: 0...Int64.max) == [])
            try w.putChunk(Chunk(inode: later.id, index: 0, block: "later", length: 20))
        }
        #expect(try await store.read { try $0.chunks(later.id, in: 0...Int64.max) }.map(\.block) == ["later"])
        #expect(try await store.read { try $0.chunks(atOnce.id, in: 0...Int64.max) }.map(\.block) == ["at-once"])
        #expect(try await store.inode(gone.id) == nil)
        try await store.write { w in try w.deleteInode(later.id); try w.deleteInode(atOnce.id) }
        #expect(Set(try await store.read { try $0.garbage(limit: 10) }.map(\.block)) == ["later", "at-once"])
        try await store.close()
    }
}

/// The write-ahead log is copied into the database in the background, not inside commits.
@Suite struct WALCheckpointTests {
    @Test func theLogIsCheckpointedInTheBackgroundWhileCommitsGoOn() async throws {
        let dir = StoreEngine.scratch()
        let store = try SQLiteMetadataStore(directory: dir)
        let fs = try await makeFileSystem(store)
        for _ in 0..<300 { _ = try await store.write { try $0.insertInode(sampleInode(fs.id)) } }
        // 300 commits stay far below SQLite's own threshold: only the timer copies the log meanwhile.
        var waited = 0
        while store.checkpointer.lastCheckpointed.load(ordering: .relaxed) == 0, waited < 50 {
            try await Task.sleep(for: .milliseconds(100)); waited += 1
        }
        #expect(store.checkpointer.lastCheckpointed.load(ordering: .relaxed) > 0)
        #expect(try await store.read { try $0.usage(fs.id).inodes } == 301)
        try await store.close()
    }

    @Test func aCheckpointOfALogPastItsLimitMakesItStartOver() async throws {
        let dir = StoreEngine.scratch()
        // No timer ticks during the test: the test checkpoints by hand.
        let store = try SQLiteMetadataStore(directory: dir, checkpointInterval: .seconds(3600), logRestartFrames: 256)
        let fs = try await makeFileSystem(store)
        for _ in 0..<10 { _ = try await store.write { try $0.insertInode(sampleInode(fs.id)) } }
        let short = try store.checkpointer.checkpoint()
        #expect(short.walFrames < 256 && store.checkpointer.restarts.load(ordering: .relaxed) == 0)
        for _ in 0..<300 { _ = try await store.write { try $0.insertInode(sampleInode(fs.id)) } }
        let long = try store.checkpointer.checkpoint()
        #expect(long.walFrames >= 256 && store.checkpointer.restarts.load(ordering: .relaxed) == 1)
        // The next commit writes from the start of the log: the log holds that commit alone.
        _ = try await store.write { try $0.insertInode(sampleInode(fs.id)) }
        #expect(try store.checkpointer.checkpoint().walFrames < 16)
        #expect(try await store.read { try $0.usage(fs.id).inodes } == 312)
        try await store.close()
    }

    @Test func aLogUnderSteadyWritesStaysNearItsLimit() async throws {
        let dir = StoreEngine.scratch()
        let store = try SQLiteMetadataStore(directory: dir, checkpointInterval: .milliseconds(20), logRestartFrames: 16)
        let fs = try await makeFileSystem(store)
        let log = dir + "/metadata.sqlite-wal"
        let watch = LogWatch()
        let watcher = Task.detached {
            while !watch.done.load(ordering: .relaxed) {
                let size = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
                if size > watch.largest.load(ordering: .relaxed) { watch.largest.store(size, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask { for _ in 0..<500 { _ = try await store.write { try $0.insertInode(sampleInode(fs.id)) } } }
            }
            try await group.waitForAll()
        }
        watch.done.store(true, ordering: .relaxed)
        await watcher.value
        #expect(try await store.read { try $0.usage(fs.id).inodes } == 8_001)
        #expect(store.checkpointer.restarts.load(ordering: .relaxed) > 0)
        // Without restarts, these commits grew the log to 12-15 MB whenever they came fast enough that no
        // checkpoint caught up between two of them (SQLite then never starts the log over by itself).
        #expect(watch.largest.load(ordering: .relaxed) < 4 << 20, "largest log \(watch.largest.load(ordering: .relaxed)) B")
        try await store.close()
    }

    private final class LogWatch: Sendable {
        let largest = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
    }

}
