import FileSystem
@testable import NFSv4
import NIOCore
import Testing
import XDR

/// Answers that depend on the minor version or the object's type: supported_attrs, ACCESS's supported bits,
/// and OPEN of a special file.
@Suite struct ObjectTypeConformanceTests {
    @Test func supportedAttrsListsOnlyTheMinorVersionsOwn() async throws {
        let server = try await TestServer.start()
        let c41 = try await server.client()
        var r = try await c41.call([.putrootfh, .getattr([Attr.supportedAttrs])])
        try r.expectOK(24); try r.expectOK(9)
        _ = try AttributeBitmap(decoding: &r.d); _ = try r.d.u32()
        #expect(try AttributeBitmap(decoding: &r.d).contains(Attr.suppattrExclcreat))
        let c40 = NFSTestClient(try await server.connection())
        r = try await c40.rawCompound([.putrootfh, .getattr([Attr.supportedAttrs, Attr.suppattrExclcreat])], minor: 0)
        try r.expectOK(24); try r.expectOK(9)
        #expect(try AttributeBitmap(decoding: &r.d) == AttributeBitmap([Attr.supportedAttrs]), "4.0 has no attribute 75")
        _ = try r.d.u32()
        let supported40 = try AttributeBitmap(decoding: &r.d)
        #expect(!supported40.contains(Attr.suppattrExclcreat) && supported40.contains(Attr.mountedOnFileid))
        await server.stop()
    }

    @Test func accessSupportsOnlyTheBitsMeaningfulForTheObjectsType() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (_, fh) = try await c.openFile("plain")
        let everything: UInt32 = 0x3F
        var r = try await c.call([.putrootfh, .raw(3) { $0.xdrU32(everything) }])
        try r.expectOK(24); try r.expectOK(3)
        #expect(try r.d.u32() == 0x1F, "a directory: READ LOOKUP MODIFY EXTEND DELETE")
        r = try await c.call([.putfh(fh), .raw(3) { $0.xdrU32(everything) }])
        try r.expectOK(22); try r.expectOK(3)
        #expect(try r.d.u32() == 0x2D, "a file: READ MODIFY EXTEND EXECUTE")
        await server.stop()
    }

    @Test func openingASpecialFileIsSymlinkInNFSv40AndWrongTypeInNFSv41() async throws {
        let server = try await TestServer.start()
        let kinds: [(String, NewInode)] = [("fifo", .fifo), ("socket", .socket), ("chardev", .characterDevice(major: 1, minor: 3))]
        for (name, kind) in kinds {
            _ = try await server.fs.create(server.fs.root, try Name(name), kind, SetAttributes(mode: 0o666), mode: .guarded, as: .root)
        }
        let c41 = try await server.client()
        let c40 = NFSTestClient(try await server.connection())
        let client = try await c40.establish40(owner: "special-files")
        for (index, (name, _)) in kinds.enumerated() {
            var r = try await c41.call([.putrootfh, .open(name, owner: "o", access: 1)])
            try r.expectOK(24)
            #expect(try r.next() == (18, NFSStatus.wrongType.rawValue), "\(name) over NFSv4.1")
            r = try await c40.rawCompound([.putrootfh, .open40(name, client: client, owner: "o", seqid: UInt32(index + 1), access: 1)], minor: 0)
            try r.expectOK(24)
            #expect(try r.next() == (18, NFSStatus.symlink.rawValue), "\(name) over NFSv4.0")
        }
        await server.stop()
    }
}
