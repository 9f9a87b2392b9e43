import FileSystem
@testable import NFSv4
import NIOCore
import ONCRPC
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

/// EXCHANGE_ID, CREATE_SESSION and RECLAIM_COMPLETE as RFC 8881 §18.35, §18.36 and §18.51 word them.
@Suite struct ClientIDConformanceTests {
    static func exchangeID(_ owner: String, verifier: UInt8 = 1, flags: UInt32 = 0, protection: UInt32 = 0) -> Op {
        .raw(42) { b in
            b.xdrFixedOpaque([UInt8](repeating: verifier, count: 8)); b.xdrString(owner)
            b.xdrU32(flags); b.xdrU32(protection); b.xdrU32(0)
        }
    }

    static func createSession(_ client: UInt64, sequence: UInt32, flags: UInt32 = 0, maxRequest: UInt32 = 1 << 20) -> Op {
        .raw(43) { b in
            b.xdrU64(client); b.xdrU32(sequence); b.xdrU32(flags)
            for v: UInt32 in [0, maxRequest, 1 << 20, 8192, 16, 8] { b.xdrU32(v) }; b.xdrU32(0)
            for v: UInt32 in [0, 4096, 4096, 0, 2, 1] { b.xdrU32(v) }; b.xdrU32(0)
            b.xdrU32(0x4000_0000); b.xdrU32(1); b.xdrU32(0)
        }
    }

    func exchange(_ c: NFSTestClient, _ op: Op) async throws -> (status: UInt32, client: UInt64, sequence: UInt32) {
        var r = try await c.rawCompound([op])
        let (_, status) = try r.next()
        guard status == 0 else { return (status, 0, 0) }
        return (0, try r.d.u64(), try r.d.u32())
    }

    @Test func exchangeIDAnswersEveryCaseOfTheTable() async throws {
        let server = try await TestServer.start()
        let root = NFSTestClient(try await server.connection())
        let other = NFSTestClient(try await server.connection(), credential: .sys(AuthSysParameters(uid: 1000, gid: 1000)))
        let update: UInt32 = 0x4000_0000
        // Update of a record that does not exist: NOENT.
        #expect(try await exchange(root, Self.exchangeID("t1", flags: update)).status == NFSStatus.noent.rawValue)
        // A new record, confirmed by its CREATE_SESSION.
        let first = try await exchange(root, Self.exchangeID("t1"))
        var r = try await root.rawCompound([Self.createSession(first.client, sequence: first.sequence)])
        try r.expectOK(43)
        // Update with the same verifier and principal finds it; another verifier is NOT_SAME; another principal PERM.
        #expect(try await exchange(root, Self.exchangeID("t1", flags: update)).client == first.client)
        #expect(try await exchange(root, Self.exchangeID("t1", verifier: 2, flags: update)).status == NFSStatus.notSame.rawValue)
        #expect(try await exchange(other, Self.exchangeID("t1", flags: update)).status == NFSStatus.perm.rawValue)
        // Another principal may not take over a confirmed record that holds a session.
        #expect(try await exchange(other, Self.exchangeID("t1")).status == NFSStatus.clidInuse.rawValue)
        // A new verifier (the client rebooted): a new client id; once it is confirmed the old one is gone.
        let rebooted = try await exchange(root, Self.exchangeID("t1", verifier: 2))
        #expect(rebooted.status == 0 && rebooted.client != first.client)
        r = try await root.rawCompound([Self.createSession(rebooted.client, sequence: rebooted.sequence)])
        try r.expectOK(43)
        r = try await root.rawCompound([Self.createSession(first.client, sequence: 2)])
        #expect(try r.next() == (43, NFSStatus.staleClientid.rawValue))
        // Undefined flags, a result flag and undefined state protection: INVAL.
        for bad in [Self.exchangeID("t2", flags: 0x0800_0000), Self.exchangeID("t2", flags: 0x8000_0000), Self.exchangeID("t2", protection: 7)] {
            #expect(try await exchange(root, bad).status == NFSStatus.inval.rawValue)
        }
        await server.stop()
    }

    @Test func createSessionChecksItsFlagsChannelsAndPrincipal() async throws {
        let server = try await TestServer.start()
        let root = NFSTestClient(try await server.connection())
        let other = NFSTestClient(try await server.connection(), credential: .sys(AuthSysParameters(uid: 1000, gid: 1000)))
        let made = try await exchange(root, Self.exchangeID("cs"))
        var r = try await root.rawCompound([Self.createSession(made.client, sequence: made.sequence, flags: 0x10)])
        #expect(try r.next() == (43, NFSStatus.inval.rawValue))
        r = try await root.rawCompound([Self.createSession(made.client, sequence: made.sequence, maxRequest: 16)])
        #expect(try r.next() == (43, NFSStatus.toosmall.rawValue))
        r = try await other.rawCompound([Self.createSession(made.client, sequence: made.sequence)])
        #expect(try r.next() == (43, NFSStatus.clidInuse.rawValue))
        // None of those used up the sequence: the right request still works.
        r = try await root.rawCompound([Self.createSession(made.client, sequence: made.sequence)])
        try r.expectOK(43)
        await server.stop()
    }

    @Test func aNewClientLocksNothingBeforeItsReclaimComplete() async throws {
        let server = try await TestServer.start()  // no grace period at all
        let c = NFSTestClient(try await server.connection())
        try await c.establish(reclaimComplete: false)
        var r = try await c.call([.putrootfh, .open("early", owner: "o", create: true)])
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.grace.rawValue))
        r = try await c.call([.raw(58) { $0.xdrBool(false) }])
        try r.expectOK(58)
        r = try await c.call([.putrootfh, .open("early", owner: "o", create: true)])
        try r.expectOK(24); try r.expectOK(18)
        await server.stop()
    }
}
