import FileSystem
@testable import NFSv4
import NIOCore
import ONCRPC
import Testing
import XDR

/// The back channel and delegations (RFC 8881 §2.10.3.1, §10.2, §18.16, §18.6, §20.2): granted only over a
/// working callback path, recalled when another client's request conflicts, revoked when not returned.
@Suite struct DelegationTests {
    /// open_delegation4 as a test reads it.
    enum Granted: Equatable { case none, read(StateID), write(StateID), declined(UInt32) }

    static func readDelegation(_ r: inout CompoundReply) throws -> Granted {
        switch try r.d.u32() {
        case 0: return .none
        case 1:
            let id = try r.stateID(); _ = try r.d.bool()
            _ = try r.d.u32(); _ = try r.d.u32(); _ = try r.d.u32(); _ = try r.d.opaque(max: 1024)
            return .read(id)
        case 2:
            let id = try r.stateID(); _ = try r.d.bool()
            _ = try r.d.u32(); _ = try r.d.u64()
            _ = try r.d.u32(); _ = try r.d.u32(); _ = try r.d.u32(); _ = try r.d.opaque(max: 1024)
            return .write(id)
        case 3:
            let why = try r.d.u32()
            if why == 1 || why == 2 { _ = try r.d.bool() }
            return .declined(why)
        case let other: throw XDRError.invalid("delegation type \(other)")
        }
    }

    /// OPEN (no create) of `name` in the root; returns the open stateid, the delegation and the handle.
    static func open(_ c: NFSTestClient, _ name: String, owner: String, access: UInt32, deny: UInt32 = 0) async throws
        -> (StateID, Granted, [UInt8]) {
        var r = try await c.call([.putrootfh, .open(name, owner: owner, access: access, deny: deny), .getfh])
        try r.expectOK(24); try r.expectOK(18)
        let id = try r.stateID()
        _ = try r.d.bool(); _ = try r.d.u64(); _ = try r.d.u64(); _ = try r.d.u32(); _ = try AttributeBitmap(decoding: &r.d)
        let granted = try readDelegation(&r)
        try r.expectOK(10)
        return (id, granted, try r.d.opaque(max: 128))
    }

    /// The sr_status_flags of a SEQUENCE on `c`'s session.
    static func sequenceFlags(_ c: NFSTestClient) async throws -> UInt32 {
        c.slotSequence += 1
        var r = try await c.rawCompound([.sequence(c.session, c.slotSequence)])
        try r.expectOK(53)
        _ = try r.d.fixedOpaque(16); for _ in 0..<4 { _ = try r.d.u32() }
        return try r.d.u32()
    }

    /// A client with a back channel the server has probed.
    static func probedClient(_ server: TestServer) async throws -> NFSTestClient {
        let c = try await server.client(backChannel: true)
        #expect(await c.connection.callbacks.wait { $0.contains { $0.procedure == 0 } }, "CB_NULL over the back channel")
        for _ in 0..<100 where server.nfs.state.with({ $0.clients[c.clientID]?.callback }) != .up {
            try await Task.sleep(for: .milliseconds(10))
        }
        return c
    }

    static func makeFile(_ server: TestServer, _ name: String, _ content: String = "content") async throws {
        let made = try await server.fs.create(server.fs.root, try .init(name), .regular, .init(mode: 0o666), mode: .guarded, as: .root)
        _ = try await server.fs.write(made.attributes.id, offset: 0, ByteBuffer(string: content), stable: .fileSync)
    }

    @Test func aBackChannelIsProbedAndItsAbsenceReported() async throws {
        let server = try await TestServer.start()
        let with = try await Self.probedClient(server)
        #expect(try await Self.sequenceFlags(with) & 0x1 == 0)
        let without = try await server.client()
        #expect(try await Self.sequenceFlags(without) & 0x1 != 0, "SEQ4_STATUS_CB_PATH_DOWN without a back channel")
        // BIND_CONN_TO_SESSION asking for both directions restores it, and says so.
        var r = try await without.rawCompound([.raw(41) { [session = without.session] b in
            b.xdrFixedOpaque(session); b.xdrU32(3); b.xdrBool(false)
        }])
        try r.expectOK(41); _ = try r.d.fixedOpaque(16)
        #expect(try r.d.u32() == 3, "CDFS4_BOTH")
        #expect(await without.connection.callbacks.wait { $0.contains { $0.procedure == 0 } })
        await server.stop()
    }

    @Test func aReadDelegationIsRecalledWhenAnotherClientOpensForWriting() async throws {
        let server = try await TestServer.start()
        try await Self.makeFile(server, "shared")
        let a = try await Self.probedClient(server)
        let (_, granted, fh) = try await Self.open(a, "shared", owner: "a", access: 1)
        guard case .read(let delegation) = granted else { Issue.record("no read delegation: \(granted)"); return }
        // a reads through its delegation stateid.
        var r = try await a.call([.putfh(fh), .read(delegation)])
        try r.expectOK(22); try r.expectOK(25)
        // b's OPEN for writing waits while the delegation is recalled.
        let b = try await server.client()
        r = try await b.call([.putrootfh, .open("shared", owner: "b", access: 2)])
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.delay.rawValue))
        #expect(await a.connection.callbacks.wait { !$0.compactMap(\.recalled).isEmpty })
        let (recalled, recalledHandle) = a.connection.callbacks.recalls[0]
        #expect(recalled == delegation && recalledHandle == fh)
        // Only one recall, however often b retries before a returns it.
        r = try await b.call([.putrootfh, .open("shared", owner: "b", access: 2)])
        #expect(r.status == NFSStatus.delay.rawValue)
        r = try await a.call([.putfh(fh), .raw(8) { delegation.encode(into: &$0) }])
        try r.expectOK(22); try r.expectOK(8)
        #expect(a.connection.callbacks.recalls.count == 1)
        let (_, bGranted, _) = try await Self.open(b, "shared", owner: "b", access: 2)
        #expect(bGranted == .none, "b has no back channel")
        // The returned delegation is gone: returning it again is BAD_STATEID.
        r = try await a.call([.putfh(fh), .raw(8) { delegation.encode(into: &$0) }])
        try r.expectOK(22)
        #expect(try r.next() == (8, NFSStatus.badStateid.rawValue))
        await server.stop()
    }

    @Test func removeRenameSetattrAndWriteByAnotherClientRecallToo() async throws {
        let server = try await TestServer.start()
        let a = try await Self.probedClient(server)
        let b = try await server.client()
        let changes: [(String, Op)] = [
            ("removed", .remove("removed")),
            ("renamed", .raw(29) { $0.xdrString("renamed"); $0.xdrString("elsewhere") }),
            ("truncated", ConformanceTests.setattr([Attr.size]) { $0.xdrU64(0) }),
            ("written", .write(.anonymous, "x")),
        ]
        for (name, change) in changes {
            try await Self.makeFile(server, name)
            let (_, granted, fh) = try await Self.open(a, name, owner: "a-\(name)", access: 1)
            guard case .read(let delegation) = granted else { Issue.record("\(name): \(granted)"); continue }
            let target: [Op] = name == "renamed" ? [.putrootfh, .savefh, .putrootfh] : name == "removed" ? [.putrootfh] : [.putfh(fh)]
            var r = try await b.call(target + [change])
            #expect(r.status == NFSStatus.delay.rawValue, "\(name)")
            #expect(await a.connection.callbacks.wait { $0.contains { $0.recalled?.0 == delegation } }, "\(name) recalls")
            r = try await a.call([.putfh(fh), .raw(8) { delegation.encode(into: &$0) }])
            try r.expectOK(22); try r.expectOK(8)
            r = try await b.call(target + [change])
            #expect(r.status == NFSStatus.ok.rawValue, "\(name) after DELEGRETURN")
        }
        await server.stop()
    }

    @Test func aDelegationNotReturnedWithinALeaseIsRevokedAndReported() async throws {
        let server = try await TestServer.start(lease: 5)
        try await Self.makeFile(server, "kept")
        let a = try await Self.probedClient(server)
        let (_, granted, fh) = try await Self.open(a, "kept", owner: "a", access: 1)
        guard case .read(let delegation) = granted else { Issue.record("no read delegation: \(granted)"); return }
        let b = try await server.client()
        var r = try await b.call([.putrootfh, .open("kept", owner: "b", access: 2)])
        #expect(r.status == NFSStatus.delay.rawValue)
        // a never returns it: once its recall is a lease old (aged here, not slept), it is revoked.
        server.nfs.state.with { $0.delegations[delegation.other]!.recalledAt! -= 6 }
        await server.nfs.maintainCallbacks()
        _ = try await Self.open(b, "kept", owner: "b", access: 2)
        #expect(try await Self.sequenceFlags(a) & 0x40 != 0, "SEQ4_STATUS_RECALLABLE_STATE_REVOKED")
        r = try await a.call([.testStateIDs([delegation])])
        try r.expectOK(55); _ = try r.d.u32()
        #expect(try r.d.u32() == NFSStatus.delegRevoked.rawValue)
        r = try await a.call([.putfh(fh), .raw(8) { delegation.encode(into: &$0) }])
        try r.expectOK(22)
        #expect(try r.next() == (8, NFSStatus.delegRevoked.rawValue))
        r = try await a.call([.raw(45) { delegation.encode(into: &$0) }])
        try r.expectOK(45)
        #expect(try await Self.sequenceFlags(a) & 0x40 == 0)
        await server.stop()
    }

    @Test func wantFlagsAreHonoured() async throws {
        let server = try await TestServer.start()
        try await Self.makeFile(server, "wanted")
        let a = try await Self.probedClient(server)
        var (_, granted, _) = try await Self.open(a, "wanted", owner: "none", access: 1 | DelegationWant.none.rawValue)
        #expect(granted == .declined(WhyNoDelegation.notWanted.rawValue))
        (_, granted, _) = try await Self.open(a, "wanted", owner: "write", access: 3 | DelegationWant.write.rawValue)
        #expect(granted == .declined(WhyNoDelegation.resource.rawValue), "write delegations are off by default")
        (_, granted, _) = try await Self.open(a, "wanted", owner: "read", access: 1 | DelegationWant.read.rawValue)
        guard case .read = granted else { Issue.record("WANT_READ_DELEG: \(granted)"); return }
        // A client without a callback path gets none, and hears why when it asked.
        let b = try await server.client()
        (_, granted, _) = try await Self.open(b, "wanted", owner: "b", access: 1 | DelegationWant.any.rawValue)
        #expect(granted == .declined(WhyNoDelegation.resource.rawValue))
        await server.stop()
    }

    @Test func aWriteDelegationServesReadsAndWritesUntilAnotherClientReads() async throws {
        let server = try await TestServer.start(writeDelegations: true)
        try await Self.makeFile(server, "owned")
        let a = try await Self.probedClient(server)
        let (_, granted, fh) = try await Self.open(a, "owned", owner: "a", access: 3)
        guard case .write(let delegation) = granted else { Issue.record("no write delegation: \(granted)"); return }
        var r = try await a.call([.putfh(fh), .write(delegation, "through the delegation"), .read(delegation)])
        try r.expectOK(22); try r.expectOK(38)
        let b = try await server.client()
        r = try await b.call([.putfh(fh), .read(.anonymous)])
        try r.expectOK(22)
        #expect(try r.next() == (25, NFSStatus.delay.rawValue))
        #expect(await a.connection.callbacks.wait { $0.contains { $0.recalled?.0 == delegation } })
        // a opens under its delegation (as a client returning one keeps its local opens), then returns it.
        r = try await a.call([.putfh(fh), .raw(18) { b in
            b.xdrU32(0); b.xdrU32(3); b.xdrU32(0); b.xdrU64(0); b.xdrString("a-local"); b.xdrU32(0)
            b.xdrU32(6); delegation.encode(into: &b)  // CLAIM_DELEG_CUR_FH
        }, .raw(8) { delegation.encode(into: &$0) }])
        try r.expectOK(22); try r.expectOK(18); let local = try r.stateID()
        try r.skipOpenRest(); try r.expectOK(8)
        r = try await b.call([.putfh(fh), .read(.anonymous)])
        try r.expectOK(22); try r.expectOK(25); _ = try r.d.bool()
        #expect(try r.d.opaque(max: 100) == Array("through the delegation".utf8))
        r = try await a.call([.putfh(fh), .close(local)])
        try r.expectOK(22); try r.expectOK(4)
        await server.stop()
    }

    @Test func anNFSv40ClientIsCalledBackAtItsCallbackAddress() async throws {
        let server = try await TestServer.start()
        try await Self.makeFile(server, "called-back")
        let (callbacks, callbackRPC, address) = try await CallbackServer.start()
        let c40 = NFSTestClient(try await server.connection())
        let client = try await c40.establish40(owner: "v40-with-callbacks", callbackAddress: address)
        #expect(await callbacks.responder.wait { $0.contains { $0.procedure == 0 } }, "CB_NULL at the callback address")
        for _ in 0..<100 where server.nfs.state.with({ $0.clients[client]?.callback }) != .up {
            try await Task.sleep(for: .milliseconds(10))
        }
        let (_, fh) = try await c40.openConfirmed40("called-back", client: client, owner: "first", access: 1)
        // A second open by a confirmed owner may come with a delegation.
        var r = try await c40.rawCompound([.putrootfh, .open40("called-back", client: client, owner: "first", seqid: 3, access: 1)], minor: 0)
        try r.expectOK(24); try r.expectOK(18)
        _ = try r.stateID()
        _ = try r.d.bool(); _ = try r.d.u64(); _ = try r.d.u64(); _ = try r.d.u32(); _ = try AttributeBitmap(decoding: &r.d)
        guard case .read(let delegation) = try Self.readDelegation(&r) else { Issue.record("no read delegation over NFSv4.0"); return }
        let b = try await server.client()
        r = try await b.call([.putrootfh, .open("called-back", owner: "b", access: 2)])
        #expect(r.status == NFSStatus.delay.rawValue)
        #expect(await callbacks.responder.wait { $0.contains { $0.recalled?.0 == delegation } })
        let recall = callbacks.responder.calls.first { $0.recalled != nil }!
        #expect(recall.minorVersion == 0 && recall.ident == 1 && recall.recalled?.1 == fh)
        // DELEGRETURN renews the lease, as every operation with a stateid does (the Linux client times its
        // next RENEW from it).
        server.nfs.state.with { $0.clients[client]!.lastRenewal -= 60 }
        r = try await c40.rawCompound([.putfh(fh), .raw(8) { delegation.encode(into: &$0) }], minor: 0)
        try r.expectOK(22); try r.expectOK(8)
        #expect(monotonicSeconds() - server.nfs.state.with { $0.clients[client]!.lastRenewal } < 5)
        _ = try await Self.open(b, "called-back", owner: "b", access: 2)
        await callbackRPC.stop()
        await server.stop()
    }

    @Test func getattrByAnotherClientAsksTheWriteDelegationsHolder() async throws {
        let server = try await TestServer.start(writeDelegations: true)
        try await Self.makeFile(server, "cached-writes", "1234")
        let a = try await Self.probedClient(server)
        let (_, granted, fh) = try await Self.open(a, "cached-writes", owner: "a", access: 3)
        guard case .write = granted else { Issue.record("no write delegation: \(granted)"); return }
        let fileChange = try await server.fs.getattr(InodeID(server.nfs.state.with { $0.delegations.values.first!.file.inode })).change
        // a has written 100 bytes it has not sent: its CB_GETATTR answer says so.
        a.connection.callbacks.size.withLock { $0 = 100 }
        a.connection.callbacks.change.withLock { $0 = fileChange &+ 7 }
        let b = try await server.client()
        var r = try await b.call([.putfh(fh), .getattr([Attr.change, Attr.size])])
        try r.expectOK(22); try r.expectOK(9)
        _ = try AttributeBitmap(decoding: &r.d); _ = try r.d.u32()
        let change = try r.d.u64(), size = try r.d.u64()
        #expect(size == 100 && change == fileChange &+ 1)
        #expect(a.connection.callbacks.calls.contains { $0.getattr == fh })
        // No recall for a GETATTR: a keeps its delegation.
        #expect(a.connection.callbacks.recalls.isEmpty)
        // Unchanged since the grant, the server's own figures stand.
        a.connection.callbacks.change.withLock { $0 = fileChange }
        r = try await b.call([.putfh(fh), .getattr([Attr.size])])
        try r.expectOK(22); try r.expectOK(9)
        _ = try AttributeBitmap(decoding: &r.d); _ = try r.d.u32()
        #expect(try r.d.u64() == 4)
        await server.stop()
    }
}
