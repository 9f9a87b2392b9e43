import FileSystem
import MetadataStore
import NIOCore
import Testing

@Suite struct PermissionTests {
    @Test func ownerGroupAndOtherBitsDecideAccess() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f", mode: 0o640)
        _ = try await v.fs.setattr(f.id, SetAttributes(uid: 1000, gid: 2000), as: .root)
        #expect(try await v.fs.access(f.id, as: alice) == [.read, .write])
        #expect(try await v.fs.access(f.id, as: bob) == [.read])          // through supplementary group 2000
        #expect(try await v.fs.access(f.id, as: carol) == [])
        // Root reads and writes anything but executes only what has an execute bit.
        #expect(try await v.fs.access(f.id, as: .root) == [.read, .write])
        _ = try await v.fs.setattr(f.id, SetAttributes(mode: 0o100), as: .root)
        #expect(try await v.fs.access(f.id, as: .root) == .all)
    }

    @Test func directoriesNeedSearchToLookUpReadToListAndWriteToChange() async throws {
        let v = try await TestVolume.make()
        let locked = try await v.mkdir("locked", mode: 0o700, as: .root)
        try await v.file("secret", in: locked.id)
        await #expect(throws: FSError.accessDenied) { try await v.fs.lookup(locked.id, Name("secret"), as: alice) }
        await #expect(throws: FSError.accessDenied) { try await v.fs.readdir(locked.id, after: 0, limit: 10, as: alice) }
        await #expect(throws: FSError.accessDenied) {
            try await v.fs.create(locked.id, Name("mine"), .regular, SetAttributes(), mode: .guarded, as: alice)
        }
        await #expect(throws: FSError.accessDenied) { try await v.fs.unlink(locked.id, Name("secret"), as: alice) }
        let searchOnly = try await v.mkdir("searchable", mode: 0o711)
        try await v.file("known", in: searchOnly.id)
        #expect(try await v.fs.lookup(searchOnly.id, Name("known"), as: alice).type == .regular)
        await #expect(throws: FSError.accessDenied) { try await v.fs.readdir(searchOnly.id, after: 0, limit: 10, as: alice) }
        #expect(try await v.names(locked.id) == ["secret"])
    }

    @Test func aSetgidDirectoryPassesOnItsGroupAndSetgidBit() async throws {
        let v = try await TestVolume.make()
        let shared = try await v.mkdir("shared", mode: 0o2777)
        _ = try await v.fs.setattr(shared.id, SetAttributes(gid: 3000), as: .root)
        let f = try await v.file("f", in: shared.id, as: alice)
        let d = try await v.mkdir("d", in: shared.id, as: alice)
        #expect(f.gid == 3000 && d.gid == 3000)
        #expect(d.mode & 0o2000 != 0 && f.mode & 0o2000 == 0)
    }

    @Test func nonRootCannotGiveAwayFilesItCreates() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("d", mode: 0o777)
        await #expect(throws: FSError.notPermitted) {
            try await v.fs.create(dir.id, Name("x"), .regular, SetAttributes(uid: 0), mode: .guarded, as: alice)
        }
        let root = try await v.fs.create(dir.id, Name("y"), .regular, SetAttributes(uid: 5, gid: 6), mode: .guarded, as: .root)
        #expect(root.attributes.uid == 5 && root.attributes.gid == 6)
        #expect(try await v.names(dir.id) == ["y"])
    }
}
