import FileSystem
import MetadataStore
import NIOCore
import Testing

@Suite struct DataTests {
    @Test func writesAcrossChunkBoundariesReadBackExactly() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        let f = try await v.file("f")
        let data = pattern(7, 100_000)
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: data), stable: .fileSync)
        #expect(try await v.contents(f.id) == data)
        // Overwrite a range that starts and ends inside chunks.
        let patch = pattern(8, 20_000)
        _ = try await v.fs.write(f.id, offset: 12_345, ByteBuffer(bytes: patch), stable: .unstable)
        var expected = data
        expected.replaceSubrange(12_345..<32_345, with: patch)
        #expect(try await v.contents(f.id) == expected)
        let (middle, eof) = try await v.fs.read(f.id, offset: 16_000, count: 1_000)
        #expect(Array(middle.readableBytesView) == Array(expected[16_000..<17_000]) && !eof)
        #expect(try await v.problems() == [])
    }

    @Test func holesReadAsZerosAndTakeNoBlocks() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        let f = try await v.file("sparse")
        let tail = Array("end".utf8)
        let far: UInt64 = 10 << 30
        _ = try await v.fs.write(f.id, offset: far, ByteBuffer(bytes: tail), stable: .fileSync)
        #expect(try await v.fs.getattr(f.id).size == far + 3)
        let (hole, _) = try await v.fs.read(f.id, offset: 5 << 30, count: 50_000)
        #expect(hole.readableBytes == 50_000 && hole.readableBytesView.allSatisfy { $0 == 0 })
        let (end, eof) = try await v.fs.read(f.id, offset: far - 2, count: 100)
        #expect(Array(end.readableBytesView) == [0, 0] + tail && eof)
        #expect(try await v.engine.blocks.list().count == 1)
    }

    @Test func readsAtAndPastTheEndReportEOF() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f", contents: Array("0123456789".utf8))
        let (short, eof) = try await v.fs.read(f.id, offset: 6, count: 100)
        #expect(String(buffer: short) == "6789" && eof)
        let (none, atEnd) = try await v.fs.read(f.id, offset: 10, count: 5)
        #expect(none.readableBytes == 0 && atEnd)
        let (beyond, pastEnd) = try await v.fs.read(f.id, offset: 1_000, count: 5)
        #expect(beyond.readableBytes == 0 && pastEnd)
        let (zero, notEnd) = try await v.fs.read(f.id, offset: 0, count: 0)
        #expect(zero.readableBytes == 0 && !notEnd)
    }

    @Test func theLargestFileEFSAllowsIsTheLimit() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("huge")
        let last = Limits.maxFileSize - 1
        _ = try await v.fs.write(f.id, offset: last, ByteBuffer(bytes: [1]), stable: .fileSync)
        #expect(try await v.fs.getattr(f.id).size == Limits.maxFileSize)
        await #expect(throws: FSError.fileTooLarge) {
            try await v.fs.write(f.id, offset: last, ByteBuffer(bytes: [1, 2]), stable: .fileSync)
        }
        await #expect(throws: FSError.fileTooLarge) {
            try await v.fs.write(f.id, offset: UInt64.max - 1, ByteBuffer(bytes: [1]), stable: .fileSync)
        }
        #expect(try await v.fs.getattr(f.id).size == Limits.maxFileSize)
    }

    @Test func dataCallsOnTheWrongKindOfInodeFail() async throws {
        let v = try await TestVolume.make()
        let d = try await v.mkdir("d")
        await #expect(throws: FSError.isDirectory) { try await v.fs.read(d.id, offset: 0, count: 1) }
        await #expect(throws: FSError.isDirectory) { try await v.fs.write(d.id, offset: 0, ByteBuffer(string: "x"), stable: .fileSync) }
        let l = try await v.fs.create(v.root, Name("l"), .symlink(target: [0x61]), SetAttributes(), mode: .guarded, as: .root)
        await #expect(throws: FSError.invalid) { try await v.fs.read(l.attributes.id, offset: 0, count: 1) }
        await #expect(throws: FSError.stale) { try await v.fs.read(999_999, offset: 0, count: 1) }
        // Writes of whole chunks take a path that reads nothing first; it checks the same.
        let wholeChunk = ByteBuffer(repeating: 1, count: v.fs.chunkSize)
        await #expect(throws: FSError.isDirectory) { try await v.fs.write(d.id, offset: 0, wholeChunk, stable: .fileSync) }
        await #expect(throws: FSError.invalid) { try await v.fs.write(l.attributes.id, offset: 0, wholeChunk, stable: .fileSync) }
    }

    @Test func wholeChunkOverwritesReplaceBlocksAndLeaveNoneBehind() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        let f = try await v.file("aligned", contents: pattern(0, 50_000))
        for round in 1...5 {
            _ = try await v.fs.write(f.id, offset: 16 * 1024, ByteBuffer(bytes: pattern(round, 32 * 1024)), stable: .fileSync)
        }
        var expected = pattern(0, 50_000)
        expected.replaceSubrange(16_384..<49_152, with: pattern(5, 32 * 1024))
        #expect(try await v.contents(f.id) == expected)
        try await v.engine.collectGarbage()
        // The first write's block still holds chunks 0 and 3, the last overwrite's chunks 1 and 2; the four
        // overwrites between them left nothing behind.
        #expect(try await v.engine.blocks.list().count == 2)
        #expect(try await v.problems() == [])
    }

    @Test func aLargeWriteLandsInAFewSharedBlocksThatReadBackAcrossOverwritesAndTruncation() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        let f = try await v.file("big")
        var model = pattern(1, 40 * 16 * 1024)
        _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: model), stable: .fileSync)
        #expect(try await v.engine.blocks.list().count == 3)  // 40 chunks, 16 to a block
        // Overwrites across block boundaries, a truncate into the middle of a shared block, growth after it.
        for (round, (offset, length)) in [(15 * 16_384 + 100, 40_000), (3, 70_000), (600_000, 16_384)].enumerated() {
            let bytes = pattern(10 + round, length)
            _ = try await v.fs.write(f.id, offset: UInt64(offset), ByteBuffer(bytes: bytes), stable: .fileSync)
            model.replaceSubrange(offset..<offset + length, with: bytes)
        }
        _ = try await v.fs.setattr(f.id, SetAttributes(size: 300_000), as: .root)
        model = Array(model[0..<300_000])
        #expect(try await v.contents(f.id) == model)
        #expect(try await v.problems() == [])
        _ = try await v.fs.unlink(v.root, Name("big"), as: .root)
        #expect(try await v.problems() == [])
        #expect(try await v.engine.blocks.list().isEmpty)
    }

    @Test func overwrittenAndDeletedDataLeavesNoBlocksBehind() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        let f = try await v.file("f")
        for round in 0..<10 {
            _ = try await v.fs.write(f.id, offset: 0, ByteBuffer(bytes: pattern(round, 40_000)), stable: .fileSync)
        }
        try await v.engine.collectGarbage()
        #expect(try await v.engine.blocks.list().count == 1)   // the last write's three chunks share one block
        #expect(try await v.contents(f.id) == pattern(9, 40_000))
        _ = try await v.fs.unlink(v.root, Name("f"), as: .root)
        try await v.engine.collectGarbage()
        #expect(try await v.engine.blocks.list().isEmpty)
        #expect(try await v.problems() == [])
    }

    @Test func dataSurvivesClosingAndReopeningTheStore() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("kept", contents: pattern(3, 70_000))
        try await v.engine.close()
        let reopened = try await StorageEngine.openEmbedded(at: v.directory)
        let fs = try #require(try await reopened.fileSystem(v.fs.id))
        let found = try await fs.lookup(fs.root, Name("kept"), as: .root)
        #expect(found.id == f.id && found.size == 70_000)
        let (data, _) = try await fs.read(found.id, offset: 0, count: 70_000)
        #expect(Array(data.readableBytesView) == pattern(3, 70_000))
        let verifier = try await fs.commit(found.id)
        #expect(verifier != v.fs.writeVerifier, "the write verifier changes on restart")
        try await reopened.close()
    }

    @Test func statfsMetersStoredBytes() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        try await v.file("a", contents: pattern(1, 20_000))
        try await v.file("b", contents: pattern(2, 5_000))
        let stats = try await v.fs.statfs()
        #expect(stats.files == 3 && stats.bytes[.standard] == 25_000 && stats.bytes[.infrequentAccess] == 0)
    }
}

@Suite struct CloseTests {
    /// Closing while the collector deletes blocks waits for it to stop, and what it had not reached yet is
    /// collected after the next open: nothing left over, nothing live lost.
    @Test func closingDuringACollectionLeavesNothingBehindAfterReopening() async throws {
        let v = try await TestVolume.make()
        var kept: [UInt8] = []
        for i in 0..<64 {
            let bytes = [UInt8](repeating: UInt8(i), count: 40 * 1024)
            try await v.file("f\(i)", contents: bytes)
            if i == 63 { kept = bytes }
        }
        for i in 0..<63 { _ = try await v.fs.remove(v.root, Name("f\(i)"), as: .root) }
        try await v.engine.close()

        let engine = try await StorageEngine.openEmbedded(at: v.directory)
        let fs = try #require(try await engine.fileSystem(v.fs.id))
        let survivor = try await fs.lookup(fs.root, Name("f63"), as: .root)
        #expect(try await fs.read(survivor.id, offset: 0, count: 1 << 20).0 == ByteBuffer(bytes: kept))
        #expect(try await ConsistencyChecker(engine: engine).check().isEmpty)
        // The survivor's blocks only (40 KiB in 16 KiB chunks: 3 chunks sharing one block).
        #expect(try await engine.blocks.list().count == 1)
        try await engine.close()
    }
}
