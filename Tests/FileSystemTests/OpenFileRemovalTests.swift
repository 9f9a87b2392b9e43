import FileSystem
import Foundation
import NIOCore
import Testing

/// A file removed (or renamed over) while a client holds it open stays readable and writable, nameless,
/// until its last open ends; then it and its data go. A crash before that leaves it for the next start.
@Suite struct OpenFileRemovalTests {
    @Test func aFileRenamedOverWhileOpenLivesUntilItsLastClose() async throws {
        let v = try await TestVolume.make()
        let held = try await v.file("target", contents: Array("old content".utf8))
        v.fs.retainOpen(held.id)
        v.fs.retainOpen(held.id)  // two opens
        try await v.file("source", contents: Array("new".utf8))
        _ = try await v.fs.rename(v.root, Name("source"), to: v.root, Name("target"), as: .root)
        #expect(try await v.names() == ["target"])
        #expect(try await v.contents(held.id) == Array("old content".utf8))
        _ = try await v.fs.write(held.id, offset: 0, ByteBuffer(bytes: Array("OLD".utf8)), stable: .fileSync)
        #expect(try await v.contents(held.id) == Array("OLD content".utf8))
        #expect(try await v.fs.getattr(held.id).nlink == 0)
        await v.fs.releaseOpen(held.id)
        #expect(try await v.fs.getattr(held.id).size == 11, "one open still holds it")
        await v.fs.releaseOpen(held.id)
        await #expect(throws: FSError.stale) { try await v.fs.getattr(held.id) }
        #expect(try await v.problems() == [])
        try await v.engine.close()
    }

    @Test func aRemovedOpenFileLeftByACrashIsDeletedAtTheNextStart() async throws {
        let v = try await TestVolume.make()
        let held = try await v.file("doomed", contents: Array(repeating: 7, count: 40_000))
        v.fs.retainOpen(held.id)
        _ = try await v.fs.remove(v.root, Name("doomed"), as: .root)
        #expect(try await v.problems() == ["inode \(held.id) was removed while open and never closed (recovery deletes it)"])
        try await v.engine.close()  // the server stops with the file still open
        let reopened = try await StorageEngine.openEmbedded(at: v.directory, recover: false)
        let recovery = try await reopened.recover()
        #expect(recovery.deletedUnlinked == 1)
        try await reopened.collectGarbage()
        #expect(try await ConsistencyChecker(engine: reopened).check() == [])
        let left = try await reopened.blocks.list()
        #expect(left.isEmpty, "the removed file's blocks went with it")
        try await reopened.close()
    }

    @Test func aFileNotHeldOpenGoesWithItsLastName() async throws {
        let v = try await TestVolume.make()
        let plain = try await v.file("plain", contents: Array("x".utf8))
        _ = try await v.fs.remove(v.root, Name("plain"), as: .root)
        await #expect(throws: FSError.stale) { try await v.fs.getattr(plain.id) }
        await v.fs.releaseOpen(plain.id)  // a release without a hold changes nothing
        #expect(try await v.problems() == [])
        try await v.engine.close()
    }
}
