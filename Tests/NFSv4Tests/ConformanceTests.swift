import FileSystem
@testable import NFSv4
import NIOCore
import Testing
import XDR

/// Answers RFC 8881 and RFC 7530 make exact, one case each, over TCP against a real server.
@Suite struct ConformanceTests {
    /// A SETATTR (or OPEN createattrs) fattr4: the bitmap of `bits` and `values` as given, extra bytes included.
    static func fattr(_ bits: [Int], into b: inout ByteBuffer, _ values: (inout ByteBuffer) -> Void) {
        AttributeBitmap(bits).encode(into: &b)
        var v = ByteBuffer(); values(&v); b.xdrOpaque(v)
    }

    static func setattr(_ bits: [Int], _ values: @escaping @Sendable (inout ByteBuffer) -> Void) -> Op {
        .raw(34) { b in StateID.anonymous.encode(into: &b); fattr(bits, into: &b, values) }
    }

    @Test func aClientWhoseLeaseRanOutLosesItsOpensAndLocksToTheFirstConflict() async throws {
        // No periodic sweep runs in this server: only the conflict can end the expired client's state.
        let server = try await TestServer.start(lease: 1)
        let a = try await server.client(), b = try await server.client()
        let (openA, fh) = try await a.openFile("courteous", owner: "a", deny: 2)
        var r = try await a.call([.putfh(fh), .lock(write: true, offset: 0, length: .max, open: openA, owner: "la")])
        try r.expectOK(22); try r.expectOK(12)
        // Before the lease ends, a's reservation holds.
        r = try await b.call([.putrootfh, .open("courteous", owner: "b", access: 2)])
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.shareDenied.rawValue))
        try await Task.sleep(for: .milliseconds(1500))
        try await b.establish()  // b's own lease ran out as well: a fresh session
        let (openB, _) = try await b.openFile("courteous", owner: "b", access: 2)
        r = try await b.call([.putfh(fh), .lock(write: true, offset: 0, length: 10, open: openB, owner: "lb")])
        try r.expectOK(22); try r.expectOK(12)
        #expect(server.nfs.state.with { $0.owner(ofClient: a.clientID) } == nil)
        await server.stop()
    }

    @Test func illegalFirstInACompoundIsOpIllegal() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        for op: UInt32 in [OpCode.illegal.rawValue, 9999] {
            var r = try await c.rawCompound([.raw(op), .putrootfh])
            #expect(r.status == NFSStatus.opIllegal.rawValue && r.count == 1)
            #expect(try r.next() == (OpCode.illegal.rawValue, NFSStatus.opIllegal.rawValue))
        }
        await server.stop()
    }

    @Test func secinfoNoNameOfTheRootsParentIsNoent() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        var r = try await c.call([.putrootfh, .raw(52) { $0.xdrU32(1) }])
        try r.expectOK(24)
        #expect(try r.next() == (52, NFSStatus.noent.rawValue))
        r = try await c.call([.putrootfh, .raw(52) { $0.xdrU32(0) }])
        try r.expectOK(24); try r.expectOK(52)
        r = try await c.call([.putrootfh, .mkdir("sub"), .raw(52) { $0.xdrU32(1) }])
        try r.expectOK(24); try r.expectOK(6)
        #expect(try r.next().status == 0)  // below the root there is a parent
        await server.stop()
    }

    @Test func setattrWithoutAFileHandleIsAnsweredWithItsEmptyAttrsset() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        var r = try await c.call([Self.setattr([Attr.mode]) { $0.xdrU32(0o600) }])
        #expect(try r.next() == (34, NFSStatus.nofilehandle.rawValue))
        #expect(try AttributeBitmap(decoding: &r.d).isEmpty && r.d.isAtEnd)
        // The connection is still good.
        r = try await c.call([.putrootfh])
        try r.expectOK(24)
        await server.stop()
    }

    @Test func malformedAttributeValuesAreRefusedAsTheRFCSays() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (_, fh) = try await c.openFile("attrs")
        // Bytes after the values the bitmap names: BADXDR.
        var r = try await c.call([.putfh(fh), Self.setattr([Attr.mode]) { $0.xdrU32(0o600); $0.xdrU32(7) }])
        try r.expectOK(22)
        #expect(try r.next() == (34, NFSStatus.badxdr.rawValue))
        // An empty owner or owner_group: INVAL.
        for bit in [Attr.owner, Attr.ownerGroup] {
            r = try await c.call([.putfh(fh), Self.setattr([bit]) { $0.xdrString("") }])
            try r.expectOK(22)
            #expect(try r.next() == (34, NFSStatus.inval.rawValue))
        }
        #expect(try await server.fs.getattr(server.fs.lookup(server.fs.root, Name("attrs"), as: .root).id).mode == 0o644)
        await server.stop()
    }

    @Test func getattrLeavesOutUnknownAttributesAndRefusesWriteOnlyOnes() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        // Bit 90 is no attribute this server knows (a newer minor version's, say): it is simply not returned.
        var r = try await c.call([.putrootfh, .getattr([Attr.size, 90])])
        try r.expectOK(24); try r.expectOK(9)
        #expect(try AttributeBitmap(decoding: &r.d) == AttributeBitmap([Attr.size]))
        for bit in [Attr.timeAccessSet, Attr.timeModifySet] {
            r = try await c.call([.putrootfh, .getattr([Attr.size, bit])])
            try r.expectOK(24)
            #expect(try r.next() == (9, NFSStatus.inval.rawValue))
        }
        await server.stop()
    }

    @Test func openCreatingWithASizeMakesAFileOfThatSize() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let open = Op.raw(18) { b in
            b.xdrU32(0); b.xdrU32(3); b.xdrU32(0); b.xdrU64(0); b.xdrString("sized")
            b.xdrU32(1); b.xdrU32(0)  // OPEN4_CREATE, UNCHECKED4
            ConformanceTests.fattr([Attr.size, Attr.mode], into: &b) { $0.xdrU64(32); $0.xdrU32(0o640) }
            b.xdrU32(0); b.xdrString("sized")  // CLAIM_NULL
        }
        var r = try await c.call([.putrootfh, open])
        try r.expectOK(24); try r.expectOK(18)
        let made = try await server.fs.lookup(server.fs.root, Name("sized"), as: .root)
        #expect(made.size == 32 && made.mode == 0o640)
        // Its bytes read as zeros.
        let (data, _) = try await server.fs.read(made.id, offset: 0, count: 64)
        #expect(Array(data.readableBytesView) == [UInt8](repeating: 0, count: 32))
        await server.stop()
    }
}
