import FileSystem
import MetadataStore
import NIOCore
import Testing

@Suite struct AttributeTests {
    @Test func onlyTheOwnerOrRootChangesModeAndTimesToChosenValues() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("d", mode: 0o777)
        let f = try await v.file("f", in: dir.id, mode: 0o666, as: alice)
        await #expect(throws: FSError.notPermitted) { try await v.fs.setattr(f.id, SetAttributes(mode: 0o777), as: bob) }
        await #expect(throws: FSError.notPermitted) {
            try await v.fs.setattr(f.id, SetAttributes(mtime: .set(Timestamp(nanoseconds: 5))), as: bob)
        }
        // Setting times to "now" needs only write permission.
        let touched = try await v.fs.setattr(f.id, SetAttributes(atime: .serverTime, mtime: .serverTime), as: bob)
        #expect(touched.mtime > f.mtime)
        let chmodded = try await v.fs.setattr(f.id, SetAttributes(mode: 0o4750), as: alice)
        #expect(chmodded.mode == 0o4750 && chmodded.ctime >= touched.ctime && chmodded.change > touched.change)
        let dated = try await v.fs.setattr(f.id, SetAttributes(atime: .set(Timestamp(seconds: 100, nanoseconds: 7)),
                                                               mtime: .set(Timestamp(seconds: 200, nanoseconds: 9))), as: alice)
        #expect(dated.atime == Timestamp(seconds: 100, nanoseconds: 7) && dated.mtime == Timestamp(seconds: 200, nanoseconds: 9))
    }

    @Test func chownIsRootsAndChgrpNeedsMembership() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("d", mode: 0o777)
        let f = try await v.file("f", in: dir.id, as: bob)
        await #expect(throws: FSError.notPermitted) { try await v.fs.setattr(f.id, SetAttributes(uid: 1000), as: bob) }
        await #expect(throws: FSError.notPermitted) { try await v.fs.setattr(f.id, SetAttributes(gid: 1000), as: bob) }
        await #expect(throws: FSError.notPermitted) { try await v.fs.setattr(f.id, SetAttributes(gid: 2000), as: alice) }
        #expect(try await v.fs.setattr(f.id, SetAttributes(gid: 2000), as: bob).gid == 2000)
        _ = try await v.fs.setattr(f.id, SetAttributes(mode: 0o6755), as: .root)
        let given = try await v.fs.setattr(f.id, SetAttributes(uid: 1000, gid: 1000), as: .root)
        // A file that changes hands loses setuid and (being group-executable) setgid.
        #expect(given.uid == 1000 && given.gid == 1000 && given.mode == 0o755)
    }

    @Test func chmodBySomeoneOutsideTheGroupDropsSetgid() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("d", mode: 0o777)
        let f = try await v.file("f", in: dir.id, as: alice)
        _ = try await v.fs.setattr(f.id, SetAttributes(gid: 2000), as: .root)
        #expect(try await v.fs.setattr(f.id, SetAttributes(mode: 0o2755), as: alice).mode == 0o755)
        #expect(try await v.fs.setattr(f.id, SetAttributes(mode: 0o2755), as: .root).mode == 0o2755)
    }

    @Test func truncateAndExtendChangeSizeMtimeAndCtime() async throws {
        let v = try await TestVolume.make()
        let f = try await v.file("f", contents: pattern(1, 40_000))
        let shrunk = try await v.fs.setattr(f.id, SetAttributes(size: 10), as: .root)
        #expect(shrunk.size == 10 && shrunk.mtime >= f.mtime && shrunk.change > f.change)
        let grown = try await v.fs.setattr(f.id, SetAttributes(size: 50_000), as: .root)
        #expect(grown.size == 50_000)
        let bytes = try await v.contents(f.id)
        // What was cut stays gone when the file grows again: the gap reads as zeros.
        #expect(Array(bytes[0..<10]) == Array(pattern(1, 40_000)[0..<10]))
        #expect(bytes[10...].allSatisfy { $0 == 0 })
        let dir = try await v.mkdir("d")
        await #expect(throws: FSError.isDirectory) { try await v.fs.setattr(dir.id, SetAttributes(size: 0), as: .root) }
        await #expect(throws: FSError.fileTooLarge) { try await v.fs.setattr(f.id, SetAttributes(size: Limits.maxFileSize + 1), as: .root) }
        #expect(try await v.problems() == [])
    }

    @Test func changeMovesOnEveryChangeAndTimesFollowPOSIX() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("d")
        let made = try await v.file("f", in: dir.id)
        #expect(made.atime == made.mtime && made.mtime == made.ctime)
        let dirAfterCreate = try await v.fs.getattr(dir.id)
        #expect(dirAfterCreate.mtime >= made.mtime && dirAfterCreate.change > dir.change)

        _ = try await v.fs.write(made.id, offset: 0, ByteBuffer(string: "data"), stable: .fileSync)
        let written = try await v.fs.getattr(made.id)
        #expect(written.change > made.change && written.mtime > made.mtime && written.ctime == written.mtime)
        #expect(written.atime == made.atime)

        _ = try await v.fs.read(made.id, offset: 0, count: 4)
        let afterRead = try await v.fs.getattr(made.id)
        #expect(afterRead.atime > written.atime)       // relatime: atime older than mtime moves
        #expect(afterRead.change == written.change)    // and reading is not a change

        let chmodded = try await v.fs.setattr(made.id, SetAttributes(mode: 0o600), as: .root)
        #expect(chmodded.ctime > afterRead.ctime && chmodded.mtime == afterRead.mtime && chmodded.change > afterRead.change)

        let beforeRename = try await v.fs.getattr(dir.id)
        _ = try await v.fs.rename(dir.id, Name("f"), to: dir.id, Name("g"), as: .root)
        let renamedDir = try await v.fs.getattr(dir.id)
        #expect(renamedDir.change > beforeRename.change && renamedDir.mtime > beforeRename.mtime)
        #expect(try await v.fs.getattr(made.id).ctime > chmodded.ctime)
    }
}
