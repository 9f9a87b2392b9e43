@testable import NFSv4
import NIOCore
import ONCRPC
import Testing
import XDR

/// NFSv4.0 (RFC 7530): client ids, open-owner and lock-owner seqids with replay, OPEN_CONFIRM, RENEW,
/// RELEASE_LOCKOWNER, and locks shared with NFSv4.1 clients.
@Suite struct V40Tests {
    @Test func aConfirmedClientOpensConfirmsAndReplaysBySeqid() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "linux-4.0-a")
        var r = try await c.rawCompound([.putrootfh, Op.open40("f40", client: client, owner: "oo", seqid: 5), .getfh], minor: 0)
        try r.expectOK(24); try r.expectOK(18)
        let opened = try r.stateID()
        _ = try r.d.bool(); _ = try r.d.u64(); _ = try r.d.u64()
        #expect(try r.d.u32() & 2 != 0, "a new open-owner must confirm")
        _ = try AttributeBitmap(decoding: &r.d); _ = try r.d.u32()
        try r.expectOK(10)
        let fh = try r.d.opaque(max: 128)
        // Unconfirmed opens cannot be used.
        r = try await c.rawCompound([.putfh(fh), .write(opened, "x")], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (38, NFSStatus.badStateid.rawValue))
        r = try await c.rawCompound([.putfh(fh), .raw(20) { opened.encode(into: &$0); $0.xdrU32(6) }], minor: 0)
        try r.expectOK(22); try r.expectOK(20)
        let confirmed = try r.stateID()
        #expect(confirmed.seqid == opened.seqid + 1)
        // The same OPEN_CONFIRM again is a replay: the same answer, not a second confirmation.
        r = try await c.rawCompound([.putfh(fh), .raw(20) { opened.encode(into: &$0); $0.xdrU32(6) }], minor: 0)
        try r.expectOK(22); try r.expectOK(20)
        #expect(try r.stateID() == confirmed)
        // A seqid from the future is BAD_SEQID; the next one works.
        r = try await c.rawCompound([.putfh(fh), .raw(4) { $0.xdrU32(9); confirmed.encode(into: &$0) }], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (4, NFSStatus.badSeqid.rawValue))
        r = try await c.rawCompound([.putfh(fh), .write(confirmed, "data"), .raw(4) { $0.xdrU32(7); confirmed.encode(into: &$0) }], minor: 0)
        try r.expectOK(22); try r.expectOK(38); _ = try r.d.u32(); _ = try r.d.u32(); _ = try r.d.u64(); try r.expectOK(4)
        r = try await c.rawCompound([.raw(30) { $0.xdrU64(client) }], minor: 0)
        try r.expectOK(30)
        r = try await c.rawCompound([.raw(30) { $0.xdrU64(0xDEAD_0000_0001) }], minor: 0)
        #expect(try r.next() == (30, NFSStatus.staleClientid.rawValue))
        // NFSv4.1's operations do not exist in NFSv4.0.
        r = try await c.rawCompound([.raw(53) { _ in }], minor: 0)
        #expect(try r.next() == (OpCode.illegal.rawValue, NFSStatus.opIllegal.rawValue))
        await server.stop()
    }

    @Test func confirmedClientsOfBothVersionsAreRecordedForRestartRecovery() async throws {
        let server = try await TestServer.start()
        let c40 = NFSTestClient(try await server.connection())
        _ = try await c40.establish40(owner: "linux-4.0-recorded")
        let c41 = NFSTestClient(try await server.connection())
        try await c41.establish(owner: "linux-4.1-recorded")
        let recorded = await server.engine.clientRecords(scope: "test").load()
        #expect(recorded == [Array("linux-4.0-recorded".utf8), Array("linux-4.1-recorded".utf8)])
        await server.stop()
    }

    @Test func aReclaimedOpenNeedsNoConfirmationAndItsLockIsReclaimed() async throws {
        let server = try await TestServer.start(grace: 30)
        let made = try await server.fs.create(server.fs.root, try .init("kept"), .regular, .init(), mode: .guarded, as: .root)
        let fh = server.handle(made.attributes.id)
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "rebooted-server-client")
        server.nfs.state.with { $0.restarted(knownOwners: [Array("rebooted-server-client".utf8)], now: monotonicSeconds() - 1) }
        var r = try await c.rawCompound([.putfh(fh), .raw(18) { b in
            b.xdrU32(1); b.xdrU32(3); b.xdrU32(0); b.xdrU64(client); b.xdrString("oo")
            b.xdrU32(0); b.xdrU32(1); b.xdrU32(0)  // NOCREATE, CLAIM_PREVIOUS, no delegation
        }], minor: 0)
        try r.expectOK(22); try r.expectOK(18)
        let open = try r.stateID()
        _ = try r.d.bool(); _ = try r.d.u64(); _ = try r.d.u64()
        #expect(try r.d.u32() & 2 == 0, "a reclaimed open must not ask for OPEN_CONFIRM")
        r = try await c.rawCompound([.putfh(fh), .raw(12) { b in
            b.xdrU32(2); b.xdrBool(true); b.xdrU64(0); b.xdrU64(.max)  // a write lock, reclaimed
            b.xdrBool(true); b.xdrU32(2); open.encode(into: &b); b.xdrU32(0); b.xdrU64(client); b.xdrString("lo")
        }, .write(open, "still mine")], minor: 0)
        try r.expectOK(22); try r.expectOK(12); _ = try r.stateID(); try r.expectOK(38)
        await server.stop()
    }

    @Test func locksOfAnNFSv40ClientBlockAnNFSv41Client() async throws {
        let server = try await TestServer.start()
        let c40 = NFSTestClient(try await server.connection())
        let client = try await c40.establish40(owner: "linux-4.0-b")
        var r = try await c40.rawCompound([.putrootfh, Op.open40("shared", client: client, owner: "oo", seqid: 1), .getfh], minor: 0)
        try r.expectOK(24); try r.expectOK(18)
        let opened = try r.stateID(); try r.skipOpenRest(); try r.expectOK(10)
        let fh = try r.d.opaque(max: 128)
        r = try await c40.rawCompound([.putfh(fh), .raw(20) { opened.encode(into: &$0); $0.xdrU32(2) }], minor: 0)
        try r.expectOK(22); try r.expectOK(20)
        let open = try r.stateID()
        // LOCK for a new lock-owner: sequenced by the open-owner (seqid 3), lock-owner starting at 0.
        r = try await c40.rawCompound([.putfh(fh), .raw(12) { b in
            b.xdrU32(2); b.xdrBool(false); b.xdrU64(0); b.xdrU64(.max)
            b.xdrBool(true); b.xdrU32(3); open.encode(into: &b); b.xdrU32(0); b.xdrU64(client); b.xdrString("lo")
        }], minor: 0)
        try r.expectOK(22); try r.expectOK(12)
        let lock = try r.stateID()
        let c41 = try await server.client()
        let (open41, _) = try await c41.openFile("shared", owner: "other")
        r = try await c41.call([.putfh(fh), .lock(write: false, offset: 10, length: 1, open: open41, owner: "l41")])
        try r.expectOK(22)
        #expect(try r.next() == (12, NFSStatus.denied.rawValue))
        #expect(try r.d.u64() == 0 && (try r.d.u64()) == .max && (try r.d.u32()) == 2 && (try r.d.u64()) == client)
        // RELEASE_LOCKOWNER refuses while locks are held; LOCKU (lock-owner seqid 1) frees them.
        r = try await c40.rawCompound([.raw(39) { $0.xdrU64(client); $0.xdrString("lo") }], minor: 0)
        #expect(try r.next() == (39, NFSStatus.locksHeld.rawValue))
        r = try await c40.rawCompound([.putfh(fh), .raw(14) { b in b.xdrU32(2); b.xdrU32(1); lock.encode(into: &b); b.xdrU64(0); b.xdrU64(.max) }], minor: 0)
        try r.expectOK(22); try r.expectOK(14)
        r = try await c41.call([.putfh(fh), .lock(write: true, offset: 10, length: 1, open: open41, owner: "l41")])
        try r.expectOK(22); try r.expectOK(12)
        r = try await c40.rawCompound([.raw(39) { $0.xdrU64(client); $0.xdrString("lo") }], minor: 0)
        try r.expectOK(39)
        await server.stop()
    }

    @Test func aRetransmittedCloseGetsItsFirstReply() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "linux-4.0-close")
        let (id, fh) = try await c.openConfirmed40("closed-once", client: client, owner: "co")
        let close = Op.raw(4) { $0.xdrU32(3); id.encode(into: &$0) }
        let first = try await c.rawCompound([.putfh(fh), close], minor: 0)
        #expect(first.status == 0)
        // The open is gone, but the same CLOSE with the same seqid is a retransmission: the same reply.
        let again = try await c.rawCompound([.putfh(fh), close], minor: 0)
        #expect(again.replyBytes == first.replyBytes)
        await server.stop()
    }

    @Test func aRetransmittedMkdirGetsItsFirstReplyNotExist() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        var args = ByteBuffer()
        args.xdrString("t"); args.xdrU32(0); args.xdrU32(2)
        for op: Op in [.putrootfh, .mkdir("made-once")] { op.encode(into: &args) }
        let xid: UInt32 = 0x5EED_0001
        let call = RPCCall.encode(xid: xid, program: 100_003, version: 4, procedure: 1,
                                  credential: .sys(AuthSysParameters(uid: 0, gid: 0)), arguments: args)
        let first = try CompoundReply(try await c.connection.send(record: call, expecting: xid))
        let again = try CompoundReply(try await c.connection.send(record: call, expecting: xid))
        #expect(first.status == 0 && again.status == 0 && again.replyBytes == first.replyBytes)
        // A new request (another xid) with the same arguments does run again, and finds the directory.
        let r = try await c.rawCompound([.putrootfh, .mkdir("made-once")], minor: 0)
        #expect(r.status == NFSStatus.exist.rawValue)
        await server.stop()
    }

    @Test func stateidsOfAnEarlierBootAreStaleInNFSv40() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "linux-4.0-stale")
        let (id, fh) = try await c.openConfirmed40("stale", client: client, owner: "so")
        let earlier = StateID(seqid: id.seqid, other: StateOther(epoch: id.other.epoch &+ 1, counter: id.other.counter))  // another boot's
        var r = try await c.rawCompound([.putfh(fh), .raw(4) { $0.xdrU32(3); earlier.encode(into: &$0) }], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (4, NFSStatus.staleStateid.rawValue))
        let unknown = StateID(seqid: 1, other: StateOther(epoch: id.other.epoch, counter: 999_999))
        r = try await c.rawCompound([.putfh(fh), .raw(4) { $0.xdrU32(3); unknown.encode(into: &$0) }], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (4, NFSStatus.badStateid.rawValue))
        await server.stop()
    }
}
