import TestSupport
@testable import FileSystem
import MetadataStore
import NIOCore
import Testing

/// UNSTABLE writes wait in memory until COMMIT, CLOSE, a limit or a timer; everyone sees them meanwhile.
@Suite struct UnstableWriteTests {
    @Test func unstableWritesAreAnsweredUnstableAndSeenByGetattrAndReadsBeforeCommit() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f", contents: pattern(1, 1_000))
        let data = pattern(2, 5_000)
        let result = try await v.fs.write(f.id, offset: 100, ByteBuffer(bytes: data), stable: .unstable)
        #expect(result.committed == .unstable && result.count == 5_000)
        // Not in the store yet, but getattr reports the size and a moved change attribute.
        #expect(try await v.engine.store.inode(f.id)?.size == 1_000)
        let seen = try await v.fs.getattr(f.id)
        #expect(seen.size == 5_100 && seen.change > f.change)
        #expect(try await v.fs.lookup(v.root, Name("f"), as: .root).size == 5_100)
        // Committing keeps the attributes a client already saw (no spurious cache invalidation).
        #expect(try await v.fs.commit(f.id) == v.fs.writeVerifier)
        #expect(try await v.engine.store.inode(f.id)?.size == 5_100)
        #expect(try await v.fs.getattr(f.id).change == seen.change)
        var expected = pattern(1, 1_000)
        expected.replaceSubrange(100..<1_000, with: data[0..<900])
        expected += data[900...]
        #expect(try await v.contents(f.id) == expected)
        #expect(try await v.problems() == [])
    }

    @Test func readsFlushPendingWritesFirst() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f")
        _ = try await v.fs.write(f.id, offset: 20_000, ByteBuffer(bytes: pattern(3, 100)), stable: .unstable)
        let (data, eof) = try await v.fs.read(f.id, offset: 19_990, count: 200)
        #expect(Array(data.readableBytesView) == [UInt8](repeating: 0, count: 10) + pattern(3, 100) && eof)
        #expect(try await v.engine.store.inode(f.id)?.size == 20_100)
    }

    @Test func overlappingWritesOfEveryStabilityMatchAModelAcrossFlushes() async throws {
        // A 40 KB limit makes some writes flush their file, so the model is checked across many flushes.
        let v = try await TestVolume.make(chunkSize: 16 * 1024, pendingFileLimit: 40_000)
        let f = try await v.file("f")
        var model: [UInt8] = []
        var generator = SplitMix(seed: 42)
        for round in 0..<300 {
            let offset = Int(generator.next() % 150_000), length = 1 + Int(generator.next() % 20_000)
            let bytes = pattern(round, length)
            let stable: Stability = generator.next() % 5 == 0 ? .fileSync : .unstable
            _ = try await v.fs.write(f.id, offset: UInt64(offset), ByteBuffer(bytes: bytes), stable: stable)
            if model.count < offset + length { model += [UInt8](repeating: 0, count: offset + length - model.count) }
            model.replaceSubrange(offset..<offset + length, with: bytes)
            if round % 97 == 0 { #expect(try await v.fs.getattr(f.id).size == UInt64(model.count)) }
        }
        #expect(try await v.contents(f.id) == model)
        #expect(try await v.problems() == [])
    }

    @Test func writesThatComeWhileTheFileIsFlushedAreNotLostAndCountOnce() async throws {
        // Unstable writes take no lock: COMMITs and background flushes (a 64 KB limit seals often) land
        // the file while eight writers go on writing it.
        let v = try await TestVolume.make(chunkSize: 16 * 1024, pendingFileLimit: 64 * 1024)
        let f = try await v.file("f")
        let writers = 8, writesEach = 150, length = 1_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for n in 0..<writesEach {
                        let slot = n * writers + w
                        _ = try await v.fs.write(f.id, offset: UInt64(slot * length), ByteBuffer(bytes: pattern(slot, length)), stable: .unstable)
                        if n % 50 == 49 { _ = try await v.fs.commit(f.id) }
                    }
                }
            }
            group.addTask {
                for _ in 0..<40 { _ = try await v.fs.commit(f.id); _ = try await v.fs.getattr(f.id) }
            }
            try await group.waitForAll()
        }
        _ = try await v.fs.commit(f.id)
        #expect(v.engine.writeBack.summary(f.id) == nil)  // nothing left unwritten
        // A background flush may still be winding down (discarding blocks a COMMIT made useless): the check
        // below would see those blocks as referenced by nothing.
        for _ in 0..<500 where v.engine.writeBack.has(f.id) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!v.engine.writeBack.has(f.id))
        let bytes = try await v.contents(f.id)
        #expect(bytes.count == writers * writesEach * length)
        let lost = (0..<writers * writesEach).filter { slot in
            bytes.count < (slot + 1) * length || Array(bytes[slot * length..<(slot + 1) * length]) != pattern(slot, length)
        }
        #expect(lost == [])
        // Every WRITE moved `change` by exactly one, however the flushes split them.
        #expect(try await v.fs.getattr(f.id).change == f.change + UInt64(writers * writesEach))
        #expect(try await v.problems() == [])
    }

    @Test func largeWritesDoNotHoldBuffersTwiceTheirSize() async throws {
        let v = try await TestVolume.make(chunkSize: 4 << 20)
        let f = try await v.file("f")
        let mib = 1 << 20
        // A 1 MiB payload behind a header, as a WRITE record arrives (a 2 MiB buffer), and one that fills its own.
        var record = ByteBufferAllocator().buffer(capacity: mib + 200)
        record.writeRepeatingByte(9, count: 200)
        record.writeBytes(pattern(3, mib))
        record.moveReaderIndex(forwardBy: 200)
        #expect(record.storageCapacity == 2 * mib)
        _ = try await v.fs.write(f.id, offset: 0, record, stable: .unstable)
        _ = try await v.fs.write(f.id, offset: UInt64(mib), ByteBuffer(bytes: pattern(4, mib)), stable: .unstable)
        let held = try #require(v.engine.writeBack.oldest(f.id)?.chunks[0])
        #expect(held.map(\.data.storageCapacity) == [mib, mib])
        _ = try await v.fs.commit(f.id)
        #expect(try await v.contents(f.id) == pattern(3, mib) + pattern(4, mib))
    }

    @Test func truncatingLandsEarlierUnstableWritesFirst() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f")
        let data = pattern(4, 10_000)
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: data), stable: .unstable)
        _ = try await v.fs.setattr(f.id, SetAttributes(size: 4_000), as: .root)
        #expect(try await v.contents(f.id) == Array(data[0..<4_000]))
        _ = try await v.fs.setattr(f.id, SetAttributes(size: 6_000), as: .root)
        #expect(try await v.contents(f.id) == Array(data[0..<4_000]) + [UInt8](repeating: 0, count: 2_000))
    }

    @Test func aRemovedFilesPendingWritesAreDropped() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f")
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: pattern(5, 3_000)), stable: .unstable)
        _ = try await v.fs.remove(v.root, Name("f"), as: .root)
        try await v.engine.flushWriteBack()
        #expect(!v.engine.writeBack.has(f.id))
        #expect(try await v.engine.blocks.list().isEmpty)
        #expect(try await v.problems() == [])
    }

    @Test func closingTheEngineFlushesWhatNoCommitDid() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f")
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: pattern(6, 3_000)), stable: .unstable)
        try await v.engine.close()
        let reopened = try await StorageEngine.openEmbedded(at: v.directory)
        let fs = try #require(try await reopened.fileSystem(v.fs.id))
        let (data, _) = try await fs.read(f.id, offset: 0, count: 4_000)
        #expect(Array(data.readableBytesView) == pattern(6, 3_000))
        try await reopened.close()
    }
}


/// Small writes inside existing data become slices over the chunk instead of rewriting it.
@Suite struct SliceTests {
    @Test func smallWritesBecomeSlicesThatReadBackTruncateAndFoldAway() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024, pendingFileLimit: 1 << 30)
        var model = pattern(1, 64 * 1024)
        let f = try await v.file("f", contents: model)
        var generator = SplitMix(seed: 7)
        for round in 0..<200 {
            let offset = Int(generator.next() % UInt64(model.count - 600)), length = 1 + Int(generator.next() % 500)
            let bytes = pattern(100 + round, length)
            _ = try await v.fs.write(f.id, offset: UInt64(offset), ByteBuffer(bytes: bytes), stable: round % 3 == 0 ? .fileSync : .unstable)
            model.replaceSubrange(offset..<offset + length, with: bytes)
            if round % 10 == 9 { _ = try await v.fs.commit(f.id) }
        }
        _ = try await v.fs.commit(f.id)
        let chunks = try await v.engine.store.read { try $0.chunks(f.id, in: 0...3) }
        // Some chunks carry slices, and none more than the limit (more were folded into a new base).
        #expect(chunks.contains { !$0.slices.isEmpty })
        #expect(chunks.allSatisfy { $0.slices.count <= StrataFileSystem.maxSlicesPerChunk })
        #expect(try await v.contents(f.id) == model)
        #expect(try await v.problems() == [])

        // Truncating into a chunk with slices clips them; growing again shows zeros there.
        _ = try await v.fs.setattr(f.id, SetAttributes(size: 20_000), as: .root)
        _ = try await v.fs.setattr(f.id, SetAttributes(size: 30_000), as: .root)
        #expect(try await v.contents(f.id) == Array(model[0..<20_000]) + [UInt8](repeating: 0, count: 10_000))
        #expect(try await v.problems() == [])

        // Removing the file frees every block, shared slice blocks included.
        _ = try await v.fs.remove(v.root, Name("f"), as: .root)
        #expect(try await v.problems() == [])
        #expect(try await v.engine.blocks.list().isEmpty)
    }
}
