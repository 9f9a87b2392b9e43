@testable import NFSv4
import NIOCore
import ONCRPC
import Testing
import XDR

/// NFSv4.0 (RFC 7530) state answers a conformance client checks: lock-owner seqids and replays, unknown
/// client ids, expired leases, share reservations between open-owners, downgrades, stolen stateids, the
/// all-ones stateid, client ids taken by another principal, and a rebooted client's old state.
@Suite struct V40StateTests {
    static func lockNewOwner(openSeqid: UInt32, open: StateID, lockSeqid: UInt32, client: UInt64, owner: String,
                             offset: UInt64 = 0, length: UInt64 = 10) -> Op {
        .raw(12) { b in
            b.xdrU32(2); b.xdrBool(false); b.xdrU64(offset); b.xdrU64(length)
            b.xdrBool(true); b.xdrU32(openSeqid); open.encode(into: &b); b.xdrU32(lockSeqid); b.xdrU64(client); b.xdrString(owner)
        }
    }

    static func lockExisting(_ lock: StateID, seqid: UInt32, offset: UInt64, length: UInt64 = 10) -> Op {
        .raw(12) { b in
            b.xdrU32(2); b.xdrBool(false); b.xdrU64(offset); b.xdrU64(length)
            b.xdrBool(false); lock.encode(into: &b); b.xdrU32(seqid)
        }
    }

    static func locku(_ lock: StateID, seqid: UInt32, offset: UInt64 = 0, length: UInt64 = 10) -> Op {
        .raw(14) { b in b.xdrU32(2); b.xdrU32(seqid); lock.encode(into: &b); b.xdrU64(offset); b.xdrU64(length) }
    }

    static func close(_ id: StateID, seqid: UInt32) -> Op { .raw(4) { $0.xdrU32(seqid); id.encode(into: &$0) } }

    @Test func lockOwnersAreSequencedFromTheirFirstLockAndReplayTheirLast() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "lock-seqids")
        let (open, fh) = try await c.openConfirmed40("locked", client: client, owner: "oo")
        // A new lock-owner may start at any seqid (here 5); its next LOCK must carry 6.
        var r = try await c.rawCompound([.putfh(fh), Self.lockNewOwner(openSeqid: 3, open: open, lockSeqid: 5, client: client, owner: "lo")], minor: 0)
        try r.expectOK(22); try r.expectOK(12)
        let lock = try r.stateID()
        r = try await c.rawCompound([.putfh(fh), Self.lockExisting(lock, seqid: 7, offset: 100)], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (12, NFSStatus.badSeqid.rawValue))
        r = try await c.rawCompound([.putfh(fh), Self.lockExisting(lock, seqid: 6, offset: 100)], minor: 0)
        try r.expectOK(22); try r.expectOK(12)
        let relocked = try r.stateID()
        // LOCKU: the next seqid runs, the same one again is answered as the first time, a gap is BAD_SEQID.
        let unlock = Self.locku(relocked, seqid: 7)
        let first = try await c.rawCompound([.putfh(fh), unlock], minor: 0)
        #expect(first.status == NFSStatus.ok.rawValue)
        let again = try await c.rawCompound([.putfh(fh), unlock], minor: 0)
        #expect(again.replyBytes == first.replyBytes)
        r = try await c.rawCompound([.putfh(fh), Self.locku(relocked, seqid: 9, offset: 100)], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (14, NFSStatus.badSeqid.rawValue))
        await server.stop()
    }

    @Test func aLockForAClientIDNeverIssuedIsStaleClientID() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "lock-unknown-client")
        let (open, fh) = try await c.openConfirmed40("unknown-client", client: client, owner: "oo")
        for bogus in [client | 0xFFFF_0000, client ^ 0xFFFF_0000_0000_0000] {
            let r0 = try await c.rawCompound([.putfh(fh), Self.lockNewOwner(openSeqid: 3, open: open, lockSeqid: 0, client: bogus, owner: "lo")], minor: 0)
            var r = r0
            try r.expectOK(22)
            #expect(try r.next() == (12, NFSStatus.staleClientid.rawValue))
        }
        // STALE_CLIENTID did not use up the open-owner's seqid 3.
        let r0 = try await c.rawCompound([.putfh(fh), Self.lockNewOwner(openSeqid: 3, open: open, lockSeqid: 0, client: client, owner: "lo")], minor: 0)
        var r = r0
        try r.expectOK(22); try r.expectOK(12)
        await server.stop()
    }

    @Test func closeAndLockuAfterTheLeaseRanOutAreExpired() async throws {
        let server = try await TestServer.start(lease: 5)
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "lease-runs-out")
        let (open, fh) = try await c.openConfirmed40("expiring", client: client, owner: "oo")
        var r = try await c.rawCompound([.putfh(fh), Self.lockNewOwner(openSeqid: 3, open: open, lockSeqid: 0, client: client, owner: "lo")], minor: 0)
        try r.expectOK(22); try r.expectOK(12)
        let lock = try r.stateID()
        // The client's last renewal is made older than the lease (no sleep: a loaded machine made a short
        // lease run out before the test's own first OPEN).
        server.nfs.state.with { $0.clients[client]!.lastRenewal -= 6 }
        r = try await c.rawCompound([.putfh(fh), Self.close(open, seqid: 4)], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (4, NFSStatus.expired.rawValue))
        r = try await c.rawCompound([.putfh(fh), Self.locku(lock, seqid: 1)], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (14, NFSStatus.expired.rawValue))
        r = try await c.rawCompound([.raw(30) { $0.xdrU64(client) }], minor: 0)
        #expect(try r.next() == (30, NFSStatus.expired.rawValue))
        // The client starts over, and its old lock blocks nobody.
        let again = try await c.establish40(owner: "lease-runs-out", verifier: [7, 7, 7, 7, 7, 7, 7, 7])
        let (reopened, _) = try await c.openConfirmed40("expiring", client: again, owner: "oo2")
        r = try await c.rawCompound([.putfh(fh), Self.lockNewOwner(openSeqid: 3, open: reopened, lockSeqid: 0, client: again, owner: "lo2")], minor: 0)
        try r.expectOK(22); try r.expectOK(12)
        await server.stop()
    }

    @Test func shareReservationsHoldBetweenOpenOwners() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "share-40")
        _ = try await c.openConfirmed40("reserved", client: client, owner: "a", access: 3, deny: 1)  // DENY_READ
        var r = try await c.rawCompound([.putrootfh, .open40("reserved", client: client, owner: "b", seqid: 1, access: 1)], minor: 0)
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.shareDenied.rawValue))
        r = try await c.rawCompound([.putrootfh, .open40("reserved", client: client, owner: "b", seqid: 2, access: 2)], minor: 0)
        try r.expectOK(24); try r.expectOK(18)
        // And b, now holding write access, keeps a from adding DENY_WRITE.
        r = try await c.rawCompound([.putrootfh, .open40("reserved", client: client, owner: "a", seqid: 3, access: 1, deny: 2)], minor: 0)
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.shareDenied.rawValue))
        await server.stop()
    }

    @Test func openDowngradeReturnsOnlyToModesTheOwnerOpenedWith() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "downgrade-40")
        let (open, fh) = try await c.openConfirmed40("downgraded", client: client, owner: "oo", access: 3)
        let downgrade = { (seqid: UInt32, id: StateID, access: UInt32) in
            Op.raw(21) { b in id.encode(into: &b); b.xdrU32(seqid); b.xdrU32(access); b.xdrU32(0) }
        }
        var r = try await c.rawCompound([.putfh(fh), downgrade(3, open, 1)], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (21, NFSStatus.inval.rawValue), "READ alone was never opened")
        r = try await c.rawCompound([.putrootfh, .open40("downgraded", client: client, owner: "oo", seqid: 4, access: 1)], minor: 0)
        try r.expectOK(24); try r.expectOK(18)
        let upgraded = try r.stateID()
        r = try await c.rawCompound([.putfh(fh), downgrade(5, upgraded, 1)], minor: 0)
        try r.expectOK(22); try r.expectOK(21)
        await server.stop()
    }

    @Test func anotherUsersWriteThroughAStolenStateidNeedsThePermission() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "stolen")
        let (open, fh) = try await c.openConfirmed40("not-yours", client: client, owner: "oo")
        c.credential = .sys(AuthSysParameters(uid: 3912, gid: 2422))
        var r = try await c.rawCompound([.putfh(fh), .write(open, "stolen")], minor: 0)
        try r.expectOK(22)
        let (op, status) = try r.next()
        #expect(op == 38 && [NFSStatus.access.rawValue, NFSStatus.perm.rawValue].contains(status))
        c.credential = .sys(AuthSysParameters(uid: 0, gid: 0))
        r = try await c.rawCompound([.putfh(fh), .write(open, "mine")], minor: 0)
        try r.expectOK(22); try r.expectOK(38)
        await server.stop()
    }

    @Test func theAllOnesStateidWritesWithDataSync() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let client = try await c.establish40(owner: "all-ones")
        let (_, fh) = try await c.openConfirmed40("bypass", client: client, owner: "oo", deny: 0)
        var r = try await c.rawCompound([.putfh(fh), .write(.readBypass, offset: 5, "write data", stable: 1)], minor: 0)
        try r.expectOK(22); try r.expectOK(38)
        #expect(try r.d.u32() == 10)
        r = try await c.rawCompound([.putfh(fh), .read(.readBypass, offset: 5, count: 10)], minor: 0)
        try r.expectOK(22); try r.expectOK(25)
        _ = try r.d.bool()
        #expect(try r.d.opaque(max: 100) == Array("write data".utf8))
        await server.stop()
    }

    @Test func aClientIDInUseByAnotherPrincipalIsClidInuse() async throws {
        let server = try await TestServer.start()
        let c1 = NFSTestClient(try await server.connection())
        try await c1.establish40(owner: "taken-id")
        let c2 = NFSTestClient(try await server.connection(), credential: .sys(AuthSysParameters(uid: 3912, gid: 2422)))
        var r = try await c2.rawCompound([.raw(35) { b in
            b.xdrFixedOpaque([1, 1, 1, 1, 1, 1, 1, 1]); b.xdrString("taken-id")
            b.xdrU32(0x4000_0000); b.xdrString("tcp"); b.xdrString("127.0.0.1.3.4"); b.xdrU32(1)
        }], minor: 0)
        #expect(try r.next() == (35, NFSStatus.clidInuse.rawValue))
        // Its own principal may still re-establish (a callback update with the same verifier).
        try await c1.establish40(owner: "taken-id")
        await server.stop()
    }

    @Test func aRebootedClientsConfirmEndsItsOldStateAsExpired() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        let before = try await c.establish40(owner: "reboots", verifier: [1, 1, 1, 1, 1, 1, 1, 1])
        let (open, fh) = try await c.openConfirmed40("before-reboot", client: before, owner: "oo", deny: 3)
        let after = try await c.establish40(owner: "reboots", verifier: [2, 2, 2, 2, 2, 2, 2, 2])
        #expect(after != before)
        var r = try await c.rawCompound([.putfh(fh), .write(open, "old")], minor: 0)
        try r.expectOK(22)
        #expect(try r.next() == (38, NFSStatus.expired.rawValue))
        r = try await c.rawCompound([.raw(30) { $0.xdrU64(before) }], minor: 0)
        #expect(try r.next() == (30, NFSStatus.expired.rawValue))
        // The old open's deny-all reservation went with it.
        _ = try await c.openConfirmed40("before-reboot", client: after, owner: "oo")
        await server.stop()
    }
}
