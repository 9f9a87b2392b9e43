import FileSystem
import MetadataStore
import NIOCore
import Testing

@Suite struct RenameTests {
    @Test func renameOverAnExistingFileReplacesItAtomically() async throws {
        let v = try await TestVolume.make()
        let source = try await v.file("new", contents: Array("new contents".utf8))
        let target = try await v.file("old", contents: Array("old contents, longer".utf8))
        let result = try await v.fs.rename(v.root, Name("new"), to: v.root, Name("old"), as: .root)
        #expect(result.source.after > result.source.before)
        #expect(try await v.names() == ["old"])
        let now = try await v.fs.lookup(v.root, Name("old"), as: .root)
        #expect(now.id == source.id)
        #expect(try await v.contents(now.id) == Array("new contents".utf8))
        await #expect(throws: FSError.stale) { try await v.fs.getattr(target.id) }
        #expect(try await v.problems() == [])
    }

    @Test func renameAcrossDirectoriesMovesTheEntryAndFixesLinkCounts() async throws {
        let v = try await TestVolume.make()
        let a = try await v.mkdir("a"), b = try await v.mkdir("b")
        let sub = try await v.mkdir("sub", in: a.id)
        try await v.file("f", in: a.id)
        _ = try await v.fs.rename(a.id, Name("f"), to: b.id, Name("g"), as: .root)
        _ = try await v.fs.rename(a.id, Name("sub"), to: b.id, Name("sub2"), as: .root)
        #expect(try await v.names(a.id) == [])
        #expect(Set(try await v.names(b.id)) == ["g", "sub2"])
        #expect(try await v.fs.getattr(a.id).nlink == 2)
        #expect(try await v.fs.getattr(b.id).nlink == 3)
        #expect(try await v.fs.lookupParent(sub.id, as: .root).id == b.id)
        #expect(try await v.problems() == [])
    }

    @Test func aDirectoryMayReplaceOnlyAnEmptyDirectory() async throws {
        let v = try await TestVolume.make()
        let src = try await v.mkdir("src")
        try await v.file("inside", in: src.id)
        let empty = try await v.mkdir("empty")
        let full = try await v.mkdir("full")
        try await v.file("x", in: full.id)
        try await v.file("plain")
        await #expect(throws: FSError.notEmpty) { try await v.fs.rename(v.root, Name("src"), to: v.root, Name("full"), as: .root) }
        await #expect(throws: FSError.notDirectory) { try await v.fs.rename(v.root, Name("src"), to: v.root, Name("plain"), as: .root) }
        await #expect(throws: FSError.isDirectory) { try await v.fs.rename(v.root, Name("plain"), to: v.root, Name("empty"), as: .root) }
        _ = try await v.fs.rename(v.root, Name("src"), to: v.root, Name("empty"), as: .root)
        await #expect(throws: FSError.stale) { try await v.fs.getattr(empty.id) }
        #expect(Set(try await v.names()) == ["empty", "full", "plain"])
        #expect(try await v.fs.getattr(v.root).nlink == 4)
        #expect(try await v.problems() == [])
    }

    @Test func aDirectoryCannotMoveIntoItsOwnSubtree() async throws {
        let v = try await TestVolume.make()
        let a = try await v.mkdir("a")
        let b = try await v.mkdir("b", in: a.id)
        let c = try await v.mkdir("c", in: b.id)
        await #expect(throws: FSError.invalid) { try await v.fs.rename(v.root, Name("a"), to: c.id, Name("a"), as: .root) }
        await #expect(throws: FSError.invalid) { try await v.fs.rename(v.root, Name("a"), to: a.id, Name("self"), as: .root) }
        #expect(try await v.names() == ["a"])
        #expect(try await v.names(c.id) == [])
        #expect(try await v.problems() == [])
    }

    @Test func renamingOntoAnotherLinkOfTheSameFileDoesNothing() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("one")
        _ = try await v.fs.link(f.id, into: v.root, Name("two"), as: .root)
        let before = try await v.fs.getattr(v.root)
        let result = try await v.fs.rename(v.root, Name("one"), to: v.root, Name("two"), as: .root)
        #expect(result.source.before == result.source.after)
        #expect(Set(try await v.names()) == ["one", "two"])
        #expect(try await v.fs.getattr(f.id).nlink == 2)
        #expect(try await v.fs.getattr(v.root) == before)
        _ = try await v.fs.rename(v.root, Name("one"), to: v.root, Name("one"), as: .root)
        #expect(Set(try await v.names()) == ["one", "two"])
    }

    @Test func aFailedRenameChangesNothing() async throws {
        let v = try await TestVolume.make()
        try await v.file("a")
        let before = try await v.fs.getattr(v.root)
        await #expect(throws: FSError.noEntry) { try await v.fs.rename(v.root, Name("missing"), to: v.root, Name("b"), as: .root) }
        let d = try await v.mkdir("d", mode: 0o555)
        await #expect(throws: FSError.accessDenied) { try await v.fs.rename(v.root, Name("a"), to: d.id, Name("a"), as: alice) }
        #expect(Set(try await v.names()) == ["a", "d"])
        #expect(try await v.fs.getattr(v.root).nlink == before.nlink + 1)
    }

    @Test func theStickyBitLimitsWhoMayRenameOrRemoveOthersFiles() async throws {
        let v = try await TestVolume.make()
        let tmp = try await v.mkdir("tmp", mode: 0o1777)
        try await v.file("alices", in: tmp.id, as: alice)
        await #expect(throws: FSError.notPermitted) { try await v.fs.unlink(tmp.id, Name("alices"), as: bob) }
        await #expect(throws: FSError.notPermitted) { try await v.fs.rename(tmp.id, Name("alices"), to: tmp.id, Name("bobs"), as: bob) }
        try await v.file("bobs", in: tmp.id, as: bob)
        await #expect(throws: FSError.notPermitted) { try await v.fs.rename(tmp.id, Name("bobs"), to: tmp.id, Name("alices"), as: bob) }
        _ = try await v.fs.rename(tmp.id, Name("alices"), to: tmp.id, Name("renamed"), as: alice)
        _ = try await v.fs.unlink(tmp.id, Name("renamed"), as: alice)
        _ = try await v.fs.unlink(tmp.id, Name("bobs"), as: .root)
        #expect(try await v.names(tmp.id) == [])
    }
}
