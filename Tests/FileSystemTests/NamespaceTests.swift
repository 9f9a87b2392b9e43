import FileSystem
import MetadataStore
import NIOCore
import Testing

@Suite struct NamespaceTests {
    @Test func aCreatedFileIsFoundByLookupAndOwnedByItsCreator() async throws {
        let v = try await TestVolume.make()
        let made = try await v.fs.create(v.root, Name("notes.txt"), .regular, SetAttributes(mode: 0o640), mode: .guarded, as: .root)
        #expect(made.created && made.directory.after > made.directory.before)
        let found = try await v.fs.lookup(v.root, Name("notes.txt"), as: .root)
        #expect(found.id == made.attributes.id && found.type == .regular && found.mode == 0o640 && found.nlink == 1)
        let dir = try await v.mkdir("home", mode: 0o777)
        let mine = try await v.file("mine", in: dir.id, as: alice)
        #expect(mine.uid == 1000 && mine.gid == 1000)
        await #expect(throws: FSError.noEntry) { try await v.fs.lookup(v.root, Name("missing"), as: .root) }
        #expect(try await v.problems() == [])
    }

    @Test func createModesTreatAnExistingNameAsNFSDoes() async throws {
        let v = try await TestVolume.make()
        let first = try await v.file("f", contents: Array("hello".utf8))
        await #expect(throws: FSError.exists) {
            try await v.fs.create(v.root, Name("f"), .regular, SetAttributes(), mode: .guarded, as: .root)
        }
        // Unchecked opens the existing file, truncating it when a size is given.
        let reopened = try await v.fs.create(v.root, Name("f"), .regular, SetAttributes(size: 0), mode: .unchecked, as: .root)
        #expect(!reopened.created && reopened.attributes.id == first.id && reopened.attributes.size == 0)
        // Unchecked mkdir over a file is still an error.
        await #expect(throws: FSError.exists) {
            try await v.fs.create(v.root, Name("f"), .directory, SetAttributes(), mode: .unchecked, as: .root)
        }
    }

    @Test func anExclusiveCreateRetransmittedWithTheSameVerifierSucceeds() async throws {
        let v = try await TestVolume.make()
        let made = try await v.fs.create(v.root, Name("x"), .regular, SetAttributes(), mode: .exclusive(verifier: 42), as: .root)
        let again = try await v.fs.create(v.root, Name("x"), .regular, SetAttributes(), mode: .exclusive(verifier: 42), as: .root)
        #expect(made.created && !again.created && again.attributes.id == made.attributes.id)
        await #expect(throws: FSError.exists) {
            try await v.fs.create(v.root, Name("x"), .regular, SetAttributes(), mode: .exclusive(verifier: 43), as: .root)
        }
    }

    @Test func namesAreCheckedBeforeAnythingChanges() async throws {
        #expect(throws: FSError.invalid) { try Name("") }
        #expect(throws: FSError.invalid) { try Name("a/b") }
        #expect(throws: FSError.invalid) { try Name([0x61, 0x00]) }
        #expect(throws: FSError.invalid) { try Name(".") }
        #expect(throws: FSError.invalid) { try Name("..") }
        #expect(throws: FSError.nameTooLong) { try Name(String(repeating: "n", count: 256)) }
        let longest = try Name(String(repeating: "n", count: 255))
        let v = try await TestVolume.make()
        _ = try await v.fs.create(v.root, longest, .regular, SetAttributes(), mode: .guarded, as: .root)
        #expect(try await v.names() == [longest.description])
        // Non-UTF-8 bytes are valid names too: POSIX names are bytes.
        _ = try await v.fs.create(v.root, Name([0xFF, 0xFE]), .regular, SetAttributes(), mode: .guarded, as: .root)
        #expect(try await v.fs.lookup(v.root, Name([0xFF, 0xFE]), as: .root).type == .regular)
    }

    @Test func directoriesKeepExactLinkCountsAndRefuseRemovalWhileFull() async throws {
        let v = try await TestVolume.make()
        let a = try await v.mkdir("a")
        try await v.mkdir("b", in: a.id)
        try await v.mkdir("c", in: a.id)
        try await v.file("f", in: a.id)
        #expect(try await v.fs.getattr(a.id).nlink == 4)
        #expect(try await v.fs.getattr(v.root).nlink == 3)
        await #expect(throws: FSError.notEmpty) { try await v.fs.rmdir(v.root, Name("a"), as: .root) }
        await #expect(throws: FSError.notDirectory) { try await v.fs.rmdir(a.id, Name("f"), as: .root) }
        await #expect(throws: FSError.isDirectory) { try await v.fs.unlink(a.id, Name("b"), as: .root) }
        _ = try await v.fs.rmdir(a.id, Name("b"), as: .root)
        #expect(try await v.fs.getattr(a.id).nlink == 3)
        #expect(try await v.fs.lookupParent(a.id, as: .root).id == v.root)
        #expect(try await v.fs.lookupParent(v.root, as: .root).id == v.root)
        #expect(try await v.problems() == [])
    }

    @Test func symlinksAndSpecialFilesRecordWhatTheyAre() async throws {
        let v = try await TestVolume.make()
        let link = try await v.fs.create(v.root, Name("l"), .symlink(target: Array("../t/x".utf8)), SetAttributes(), mode: .guarded, as: .root)
        #expect(link.attributes.type == .symlink && link.attributes.mode == 0o777)
        #expect(try await v.fs.readlink(link.attributes.id) == Array("../t/x".utf8))
        let plain = try await v.file("plain")
        await #expect(throws: FSError.invalid) { try await v.fs.readlink(plain.id) }
        let dir = try await v.mkdir("d", mode: 0o777)
        for (name, kind, type) in [("p", NewInode.fifo, FileType.fifo), ("s", .socket, .socket)] {
            let made = try await v.fs.create(dir.id, Name(name), kind, SetAttributes(mode: 0o600), mode: .guarded, as: alice)
            #expect(made.attributes.type == type && made.attributes.uid == 1000)
        }
        let disk = try await v.fs.create(v.root, Name("sda"), .blockDevice(major: 8, minor: 0), SetAttributes(), mode: .guarded, as: .root)
        #expect(disk.attributes.type == .blockDevice && disk.attributes.rdevMajor == 8 && disk.attributes.rdevMinor == 0)
        let tty = try await v.fs.create(v.root, Name("tty"), .characterDevice(major: 4, minor: 1), SetAttributes(), mode: .guarded, as: .root)
        #expect(tty.attributes.type == .characterDevice && tty.attributes.rdevMinor == 1)
        await #expect(throws: FSError.notPermitted) {
            try await v.fs.create(dir.id, Name("mem"), .characterDevice(major: 1, minor: 1), SetAttributes(), mode: .guarded, as: alice)
        }
        await #expect(throws: FSError.invalid) {
            try await v.fs.create(v.root, Name("empty"), .symlink(target: []), SetAttributes(), mode: .guarded, as: .root)
        }
    }

    @Test func hardLinksShareOneInodeAndTheLastUnlinkFreesIt() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("a", contents: Array("shared".utf8))
        let dir = try await v.mkdir("d")
        let (linked, _) = try await v.fs.link(f.id, into: dir.id, Name("b"), as: .root)
        #expect(linked.nlink == 2 && linked.ctime >= f.ctime && linked.change > f.change)
        #expect(try await v.fs.lookup(dir.id, Name("b"), as: .root).id == f.id)
        _ = try await v.fs.unlink(v.root, Name("a"), as: .root)
        #expect(try await v.fs.getattr(f.id).nlink == 1)
        #expect(try await v.contents(f.id) == Array("shared".utf8))
        await #expect(throws: FSError.notPermitted) { _ = try await v.fs.link(dir.id, into: v.root, Name("dl"), as: .root) }
        await #expect(throws: FSError.exists) { _ = try await v.fs.link(f.id, into: dir.id, Name("b"), as: .root) }
        _ = try await v.fs.unlink(dir.id, Name("b"), as: .root)
        await #expect(throws: FSError.stale) { try await v.fs.getattr(f.id) }
        #expect(try await v.problems() == [])
        #expect(try await v.engine.blocks.list().isEmpty)
    }

    @Test func handlesOfAnotherFileSystemAreStale() async throws {
        let v = try await TestVolume.make()
        let other = try await v.engine.createFileSystem()
        let theirs = try await other.create(other.root, Name("theirs"), .regular, SetAttributes(), mode: .guarded, as: .root)
        await #expect(throws: FSError.stale) { try await v.fs.getattr(theirs.attributes.id) }
        await #expect(throws: FSError.stale) { try await v.fs.lookup(other.root, Name("theirs"), as: .root) }
        await #expect(throws: FSError.stale) {
            try await v.fs.write(theirs.attributes.id, offset: 0, ByteBuffer(string: "x"), stable: .fileSync)
        }
    }
}

