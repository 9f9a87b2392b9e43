import BlockStore
@testable import FileSystem
import MetadataStore
import NIOCore
import Testing

/// A sealed generation of whole chunks is staged: its bytes go to blocks that are not synced yet and leave
/// memory; COMMIT syncs them and lands them, in order with everything else the file was written.
@Suite struct StagedWriteTests {
    static let chunk = 16 * 1024

    /// A 256 KiB limit seals a generation every 64 KiB (four chunks). The timer that flushes writes two
    /// seconds old is held off: on a loaded machine it could land a generation before a test saw it staged.
    static func volume() async throws -> TestVolume {
        try await TestVolume.make(chunkSize: chunk, pendingFileLimit: 256 * 1024, pendingAge: .seconds(3600))
    }

    /// Waits until the file's oldest pending generation has been staged by the background flush.
    static func waitUntilStaged(_ v: TestVolume, _ ino: InodeID) async throws {
        for _ in 0..<500 where v.engine.writeBack.oldest(ino)?.isStaged != true { try await Task.sleep(for: .milliseconds(10)) }
        #expect(v.engine.writeBack.oldest(ino)?.isStaged == true)
    }

    @Test func wholeChunksLeaveMemoryBeforeCommitAndLandOnIt() async throws {
        let v = try await Self.volume()
        let f = try await v.file("f")
        let data = pattern(1, 12 * Self.chunk)
        for n in 0..<12 {
            let piece = ByteBuffer(bytes: data[n * Self.chunk..<(n + 1) * Self.chunk])
            _ = try await v.fs.write(f.id, offset: UInt64(n * Self.chunk), piece, stable: .unstable)
        }
        try await Self.waitUntilStaged(v, f.id)
        // Staged: in blocks already, out of memory, but not in the metadata until a COMMIT.
        let staged = try #require(v.engine.writeBack.oldest(f.id))
        #expect(staged.chunks.isEmpty && staged.bytes == 0 && !staged.stagedBlocks.isEmpty)
        #expect(try await v.engine.blocks.list().count >= staged.stagedBlocks.count)
        #expect(try await v.engine.store.inode(f.id)?.size == 0)
        #expect(try await v.fs.getattr(f.id).size == UInt64(data.count))
        _ = try await v.fs.commit(f.id)
        #expect(v.engine.writeBack.summary(f.id) == nil)
        #expect(try await v.engine.store.inode(f.id)?.size == UInt64(data.count))
        #expect(try await v.fs.getattr(f.id).change == f.change + 12)
        #expect(try await v.contents(f.id) == data)
        #expect(try await v.problems() == [])
    }

    @Test func laterWritesOverStagedChunksWin() async throws {
        let v = try await Self.volume()
        let f = try await v.file("f")
        var model = pattern(2, 8 * Self.chunk)
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: model), stable: .unstable)
        try await Self.waitUntilStaged(v, f.id)
        // A partial write into a staged chunk, and a whole chunk over another one, both still unstable.
        let partial = pattern(3, 1_000), whole = pattern(4, Self.chunk)
        _ = try await v.fs.write(f.id, offset: 100, ByteBuffer(bytes: partial), stable: .unstable)
        _ = try await v.fs.write(f.id, offset: UInt64(5 * Self.chunk), ByteBuffer(bytes: whole), stable: .unstable)
        model.replaceSubrange(100..<1_100, with: partial)
        model.replaceSubrange(5 * Self.chunk..<6 * Self.chunk, with: whole)
        #expect(try await v.contents(f.id) == model)
        #expect(try await v.problems() == [])
    }

    @Test func aRemovedFilesStagedBlocksAreDeleted() async throws {
        let v = try await Self.volume()
        let f = try await v.file("f")
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: pattern(5, 8 * Self.chunk)), stable: .unstable)
        try await Self.waitUntilStaged(v, f.id)
        _ = try await v.fs.remove(v.root, Name("f"), as: .root)
        try await v.engine.flushWriteBack()
        #expect(!v.engine.writeBack.has(f.id))
        #expect(try await v.engine.blocks.list().isEmpty)
        #expect(try await v.problems() == [])
    }

    @Test func wholeChunkWritersRacingCommitsLoseNothingAndLeaveNoStrayBlocks() async throws {
        let v = try await Self.volume()
        let f = try await v.file("f")
        let writers = 4, writesEach = 48
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for n in 0..<writesEach {
                        let slot = n * writers + w
                        let bytes = ByteBuffer(bytes: pattern(slot, Self.chunk))
                        _ = try await v.fs.write(f.id, offset: UInt64(slot * Self.chunk), bytes, stable: .unstable)
                        if n % 16 == 15 { _ = try await v.fs.commit(f.id) }
                    }
                }
            }
            try await group.waitForAll()
        }
        _ = try await v.fs.commit(f.id)
        // A background stage that lost its race with a COMMIT discards its blocks as it winds down.
        for _ in 0..<500 where v.engine.writeBack.has(f.id) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!v.engine.writeBack.has(f.id))
        let bytes = try await v.contents(f.id)
        let lost = (0..<writers * writesEach).filter { slot in
            bytes.count < (slot + 1) * Self.chunk || Array(bytes[slot * Self.chunk..<(slot + 1) * Self.chunk]) != pattern(slot, Self.chunk)
        }
        #expect(lost == [])
        #expect(try await v.fs.getattr(f.id).change == f.change + UInt64(writers * writesEach))
        // Every block is referenced: nothing staged was left behind.
        #expect(try await v.problems() == [])
    }
}
