import BlockStore
@testable import FileSystem
import Foundation
import NIOCore
import Testing

/// fsck looks before it repairs: what a crash left behind is reported, and deleted only when asked.
@Suite struct FsckTests {
    @Test func aBlockACrashLeftBehindIsReportedThenDeletedByRecovery() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fsck-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var engine = try await StorageEngine.openEmbedded(at: dir)
        let fs = try await engine.defaultFileSystem()
        let file = try await fs.create(fs.root, Name("kept"), .regular, SetAttributes(), mode: .guarded, as: .root)
        _ = try await fs.write(file.attributes.id, offset: 0, ByteBuffer(repeating: 1, count: 5000), stable: .fileSync)
        // A block written but never referenced: what a crash between a block's put and its commit leaves.
        let orphan = BlockKey.random()
        try await engine.blocks.put(orphan, ByteBuffer(repeating: 2, count: 4096))
        try await engine.close()

        engine = try await StorageEngine.openEmbedded(at: dir, recover: false)
        let found = try await ConsistencyChecker(engine: engine).check()
        #expect(found == ["block \(orphan) is on disk but referenced by nothing"])
        #expect(try await engine.blocks.list().contains { $0.key == orphan })  // looking changed nothing

        let repaired = try await engine.recover()
        #expect(repaired.deletedUnreferenced == 1)
        #expect(try await ConsistencyChecker(engine: engine).check().isEmpty)
        let reopened = try await engine.defaultFileSystem()
        let (data, _) = try await reopened.read(file.attributes.id, offset: 0, count: 5000)
        #expect(data.readableBytes == 5000)
        try await engine.close()
    }
}
