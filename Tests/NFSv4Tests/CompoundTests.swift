@testable import NFSv4
import NIOCore
import ONCRPC
import Testing
import XDR

/// COMPOUND, sessions and slots, file handles and stateids, against a real server over TCP.
@Suite struct CompoundTests {
    @Test func minorVersionsAboveOneAreRefused() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        for minor: UInt32 in [2, 99] {
            let r = try await c.rawCompound([.putrootfh], minor: minor)
            #expect(r.status == NFSStatus.minorVersMismatch.rawValue && r.count == 0)
        }
        await server.stop()
    }

    @Test func operationsNeedASessionAndSequenceMustComeFirst() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        var r = try await c.rawCompound([.putrootfh, .getfh])
        #expect(r.status == NFSStatus.opNotInSession.rawValue && r.count == 1)
        r = try await c.call([.putrootfh, .sequence(c.session, 99)])
        try r.expectOK(24)
        #expect(try r.next() == (53, NFSStatus.sequencePos.rawValue))
        await server.stop()
    }

    @Test func unknownOperationsAreIllegalAndStopTheCompound() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        var r = try await c.call([.putrootfh, .raw(9999), .getfh])
        try r.expectOK(24)
        #expect(try r.next() == (OpCode.illegal.rawValue, NFSStatus.opIllegal.rawValue))
        #expect(r.count == 3 && r.status == NFSStatus.opIllegal.rawValue)
        // Operations of NFSv4.0 only, and optional ones not served, are NOTSUPP.
        r = try await c.call([.raw(35) { $0.xdrU64(0) }])
        #expect(try r.next() == (35, NFSStatus.notsupp.rawValue))
        r = try await c.call([.putrootfh, .raw(50) { _ in }])
        try r.expectOK(24)
        #expect(try r.next() == (50, NFSStatus.notsupp.rawValue))
        await server.stop()
    }

    @Test func badAndStaleFileHandlesAreReportedAsSuch() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        var r = try await c.call([.putfh([1, 2, 3])])
        #expect(try r.next() == (22, NFSStatus.badhandle.rawValue))
        let unknown = server.handle(987_654)
        r = try await c.call([.putfh(unknown)])
        #expect(try r.next() == (22, NFSStatus.stale.rawValue))
        let otherFS = server.nfs.codec.encode(FileHandle(fileSystem: server.fs.id + 1, inode: server.fs.root))
        r = try await c.call([.putfh(otherFS)])
        #expect(try r.next() == (22, NFSStatus.stale.rawValue))
        let (open, fh) = try await c.openFile("doomed")
        _ = try await c.call([.putfh(fh), .close(open)])
        _ = try await c.call([.putrootfh, .remove("doomed")])
        r = try await c.call([.putfh(fh), .getattr([Attr.size])])
        #expect(try r.next() == (22, NFSStatus.stale.rawValue))
        r = try await c.call([.getfh])
        #expect(try r.next() == (10, NFSStatus.nofilehandle.rawValue))
        r = try await c.call([.putrootfh, .lookupp])
        try r.expectOK(24)
        #expect(try r.next() == (16, NFSStatus.noent.rawValue))
        await server.stop()
    }

    @Test func namesAreCheckedLikeComponents() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        for (name, status) in [("", NFSStatus.inval), (".", .badname), ("..", .badname), ("a/b", .badchar),
                               (String(repeating: "x", count: 256), .nametoolong), ("missing", .noent)] {
            var r = try await c.call([.putrootfh, .lookup(name)])
            try r.expectOK(24)
            #expect(try r.next() == (15, status.rawValue), "name \(name.prefix(10))")
        }
        await server.stop()
    }

    @Test func slotMisuseGetsTheSlotErrors() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        var r = try await c.rawCompound([.sequence(c.session, 1, slot: 500), .putrootfh])
        #expect(r.status == NFSStatus.badslot.rawValue)
        r = try await c.rawCompound([.sequence(c.session, 5), .putrootfh])
        #expect(r.status == NFSStatus.seqMisordered.rawValue)
        r = try await c.rawCompound([.sequence([UInt8](repeating: 7, count: 16), 1), .putrootfh])
        #expect(r.status == NFSStatus.badsession.rawValue)
        // A retransmission of a cached request gets the very same reply, without running it again.
        let first = try await c.rawCompound([.sequence(c.session, 1), .putrootfh, .mkdir("once")])
        #expect(first.status == 0)
        let replay = try await c.rawCompound([.sequence(c.session, 1), .putrootfh, .mkdir("once")])
        #expect(replay.replyBytes == first.replyBytes)
        // One that asked not to be cached cannot be replayed.
        _ = try await c.rawCompound([.sequence(c.session, 2, cache: false), .putrootfh])
        r = try await c.rawCompound([.sequence(c.session, 2, cache: false), .putrootfh])
        #expect(r.status == NFSStatus.retryUncachedRep.rawValue)
        await server.stop()
    }

    @Test func stateidsAreCheckedForKindAgeAndBoot() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (open, fh) = try await c.openFile("s")
        var r = try await c.call([.putfh(fh), .write(open, "hello")])
        try r.expectOK(22); try r.expectOK(38)
        let made = StateID(seqid: 1, other: StateOther(epoch: open.other.epoch, counter: 999_999))
        r = try await c.call([.putfh(fh), .read(made)])
        try r.expectOK(22)
        #expect(try r.next() == (25, NFSStatus.badStateid.rawValue))
        let earlierBoot = StateID(seqid: 1, other: StateOther(epoch: open.other.epoch + 7, counter: open.other.counter))
        r = try await c.call([.putfh(fh), .read(earlierBoot)])
        try r.expectOK(22)
        #expect(try r.next() == (25, NFSStatus.staleStateid.rawValue))
        // Opening again upgrades the open: the first stateid's seqid is then old.
        let (upgraded, _) = try await c.openFile("s")
        #expect(upgraded.other == open.other && upgraded.seqid == open.seqid + 1)
        r = try await c.call([.putfh(fh), .read(open)])
        try r.expectOK(22)
        #expect(try r.next() == (25, NFSStatus.oldStateid.rawValue))
        r = try await c.call([.testStateIDs([upgraded, open, made])])
        try r.expectOK(55)
        #expect(try r.d.array(max: 3) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() }
                == [0, NFSStatus.oldStateid.rawValue, NFSStatus.badStateid.rawValue])
        r = try await c.call([.putfh(fh), .close(upgraded)])
        try r.expectOK(22); try r.expectOK(4)
        r = try await c.call([.putfh(fh), .read(upgraded)])
        try r.expectOK(22)
        #expect(try r.next() == (25, NFSStatus.badStateid.rawValue))
        await server.stop()
    }

    @Test func readAndWriteGoThroughOpenStateAndReadOnlyOpensCannotWrite() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (rw, fh) = try await c.openFile("data")
        var r = try await c.call([.putfh(fh), .write(rw, offset: 3, "abc"), .read(rw, offset: 0, count: 100)])
        try r.expectOK(22); try r.expectOK(38)
        #expect(try r.d.u32() == 3 && (try r.d.u32()) == 2)
        _ = try r.d.u64()
        try r.expectOK(25)
        #expect(try r.d.bool() == true && (try r.d.opaque(max: 100)) == [0, 0, 0, 97, 98, 99])
        let reader = try await server.client()
        let (readOnly, _) = try await reader.openFile("data", owner: "reader", access: 1)
        r = try await reader.call([.putfh(fh), .write(readOnly, "x")])
        try r.expectOK(22)
        #expect(try r.next() == (38, NFSStatus.openmode.rawValue))
        await server.stop()
    }

    @Test func unstableWritesAreAnsweredUnstableSeenByOthersAndLandOnCommitAndClose() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (rw, fh) = try await c.openFile("unstable")
        let inode = try server.nfs.codec.decode(fh).inode
        var r = try await c.call([.putfh(fh), .write(rw, offset: 10, "hello", stable: 0)])
        try r.expectOK(22); try r.expectOK(38)
        #expect(try r.d.u32() == 5 && (try r.d.u32()) == 0)  // UNSTABLE4
        let verifier = try r.d.u64()
        // Another client already sees the new size; the store does not have it yet.
        let other = try await server.client()
        r = try await other.call([.putfh(fh), .getattr([Attr.size])])
        try r.expectOK(22); try r.expectOK(9)
        _ = try AttributeBitmap(decoding: &r.d); _ = try r.d.u32()
        #expect(try r.d.u64() == 15)
        #expect(try await server.engine.store.inode(inode)?.size == 0)
        r = try await c.call([.putfh(fh), .commit])
        try r.expectOK(22); try r.expectOK(5)
        #expect(try r.d.u64() == verifier)
        #expect(try await server.engine.store.inode(inode)?.size == 15)
        // CLOSE makes what is still pending durable too.
        r = try await c.call([.putfh(fh), .write(rw, offset: 15, "world", stable: 0), .close(rw)])
        try r.expectOK(22); try r.expectOK(38)
        #expect(try await server.engine.store.inode(inode)?.size == 20)
        await server.stop()
    }

    @Test func largeReadsComeBackWholeWhetherTheyEndTheCompoundOrNot() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (rw, fh) = try await c.openFile("large")
        let text = String((0..<10_001).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        var r = try await c.call([.putfh(fh), .write(rw, offset: 0, text)])
        try r.expectOK(22); try r.expectOK(38)
        // READ last: its data follows the results unchanged (and an odd length still gets its padding).
        r = try await c.call([.putfh(fh), .read(rw, offset: 0, count: 20_000)])
        try r.expectOK(22); try r.expectOK(25)
        #expect(try r.d.bool() == true && (try r.d.opaque(max: 20_000)) == Array(text.utf8))
        #expect(r.d.isAtEnd)
        // READ followed by another operation: the data is inside the results.
        r = try await c.call([.putfh(fh), .read(rw, offset: 1, count: 20_000), .getfh])
        try r.expectOK(22); try r.expectOK(25)
        #expect(try r.d.bool() == true && (try r.d.opaque(max: 20_000)) == Array(text.utf8.dropFirst()))
        try r.expectOK(10)
        await server.stop()
    }

    @Test func shareReservationsDenyConflictingOpensAndIO() async throws {
        let server = try await TestServer.start()
        let a = try await server.client(), b = try await server.client()
        let (_, fh) = try await a.openFile("shared", owner: "a", access: 3, deny: 2)  // deny others writing
        var r = try await b.call([.putrootfh, .open("shared", owner: "b", access: 2)])
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.shareDenied.rawValue))
        r = try await b.call([.putfh(fh), .write(.anonymous, "sneaky")])
        try r.expectOK(22)
        #expect(try r.next() == (38, NFSStatus.locked.rawValue))
        r = try await b.call([.putrootfh, .open("shared", owner: "b", access: 1)])
        try r.expectOK(24); try r.expectOK(18)
        await server.stop()
    }

    @Test func byteRangeLocksConflictAcrossClientsAndReportTheHolder() async throws {
        let server = try await TestServer.start()
        let a = try await server.client(), b = try await server.client()
        let (openA, fh) = try await a.openFile("locked", owner: "a")
        let (openB, _) = try await b.openFile("locked", owner: "b")
        var r = try await a.call([.putfh(fh), .lock(write: true, offset: 100, length: 50, open: openA, owner: "la")])
        try r.expectOK(22); try r.expectOK(12)
        let lockA = try r.stateID()
        r = try await b.call([.putfh(fh), .lock(write: false, offset: 120, length: 1, open: openB, owner: "lb")])
        try r.expectOK(22)
        #expect(try r.next() == (12, NFSStatus.denied.rawValue))
        #expect(try r.d.u64() == 100 && (try r.d.u64()) == 50 && (try r.d.u32()) == 2)
        #expect(try r.d.u64() == a.clientID && (try r.d.opaque(max: 100)) == Array("la".utf8))
        r = try await b.call([.putfh(fh), .lockt(write: true, offset: 0, length: 100, owner: "lb")])
        try r.expectOK(22); try r.expectOK(13)  // [0,100) does not touch [100,150)
        // Split a's lock by unlocking its middle: the freed part is lockable by b, the rest is not.
        r = try await a.call([.putfh(fh), .locku(lockA, offset: 110, length: 20)])
        try r.expectOK(22); try r.expectOK(14)
        r = try await b.call([.putfh(fh), .lock(write: true, offset: 115, length: 10, open: openB, owner: "lb")])
        try r.expectOK(22); try r.expectOK(12)
        r = try await b.call([.putfh(fh), .lockt(write: true, offset: 140, length: UInt64.max, owner: "lb")])
        try r.expectOK(22)
        #expect(try r.next() == (13, NFSStatus.denied.rawValue))
        // Closing with locks held is refused.
        r = try await a.call([.putfh(fh), .close(openA)])
        try r.expectOK(22)
        #expect(try r.next() == (4, NFSStatus.locksHeld.rawValue))
        await server.stop()
    }

    @Test func anExpiredClientsLocksAndOpensAreReleased() async throws {
        let server = try await TestServer.start(lease: 1)
        let a = try await server.client(), b = try await server.client()
        let (openA, fh) = try await a.openFile("lease", owner: "a", deny: 3)
        var r = try await a.call([.putfh(fh), .lock(write: true, offset: 0, length: .max, open: openA, owner: "la")])
        try r.expectOK(22); try r.expectOK(12)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(server.nfs.state.expireClients().count == 2)
        // b's lease ran out too: it starts a new session, and the file is free.
        try await b.establish()
        let (openB, _) = try await b.openFile("lease", owner: "b")
        r = try await b.call([.putfh(fh), .lock(write: true, offset: 0, length: 10, open: openB, owner: "lb")])
        try r.expectOK(22); try r.expectOK(12)
        // a's session went with its lease.
        r = try await a.rawCompound([.sequence(a.session, a.slotSequence + 1), .putrootfh])
        #expect(r.status == NFSStatus.badsession.rawValue)
        await server.stop()
    }

    @Test func duringGraceOnlyKnownClientsReclaimAndCompletionEndsGraceEarly() async throws {
        let server = try await TestServer.start(grace: 30)
        let known = NFSTestClient(try await server.connection())
        try await known.establish(owner: "known-before-restart", reclaimComplete: false)
        server.nfs.state.with { $0.restarted(knownOwners: [Array("known-before-restart".utf8)], now: monotonicSeconds() - 1) }
        // A client the server did not know, which has not said RECLAIM_COMPLETE yet either.
        let stranger = NFSTestClient(try await server.connection())
        try await stranger.establish(reclaimComplete: false)
        var r = try await known.call([.putrootfh, .open("new", owner: "o", create: true)])
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.grace.rawValue))
        let made = try await server.fs.create(server.fs.root, try .init("old"), .regular, .init(), mode: .guarded, as: .root)
        let fh = server.handle(made.attributes.id)
        r = try await known.call([.putfh(fh), .open(nil, owner: "o")])
        try r.expectOK(22); try r.expectOK(18)
        r = try await stranger.call([.putfh(fh), .open(nil, owner: "s")])
        try r.expectOK(22)
        #expect(try r.next() == (18, NFSStatus.reclaimBad.rawValue))
        r = try await known.call([.raw(58) { $0.xdrBool(false) }])
        try r.expectOK(58)
        r = try await known.call([.raw(58) { $0.xdrBool(false) }])
        #expect(try r.next() == (58, NFSStatus.completeAlready.rawValue))
        // Every known client has reclaimed: grace is over, new opens proceed, reclaims are refused.
        #expect(!server.nfs.state.inGrace)
        r = try await stranger.call([.raw(58) { $0.xdrBool(false) }])
        try r.expectOK(58)
        r = try await stranger.call([.putrootfh, .open("new", owner: "s", create: true)])
        try r.expectOK(24); try r.expectOK(18)
        r = try await known.call([.putfh(fh), .open(nil, owner: "o2")])
        try r.expectOK(22)
        #expect(try r.next() == (18, NFSStatus.noGrace.rawValue))
        await server.stop()
    }

    @Test func getattrReportsWhatTheLinuxClientAsksFor() async throws {
        let server = try await TestServer.start()
        let c = try await server.client(uid: 1000)
        var r = try await c.call([.putrootfh, .getattr([Attr.type, Attr.change, Attr.size, Attr.fsid, Attr.leaseTime,
                                                        Attr.fileid, Attr.mode, Attr.numlinks, Attr.owner, Attr.ownerGroup,
                                                        Attr.spaceTotal, Attr.maxread, Attr.timeModify, Attr.acl])])
        try r.expectOK(24); try r.expectOK(9)
        let returned = try AttributeBitmap(decoding: &r.d)
        #expect(!returned.contains(Attr.acl) && returned.contains(Attr.owner))
        var v = XDRDecoder(try r.d.opaqueBuffer(max: 4096))
        #expect(try v.u32() == 2)                        // NF4DIR
        _ = try v.u64(); _ = try v.u64()                 // change, size
        #expect(try v.u64() == UInt64(server.fs.id)); _ = try v.u64()
        #expect(try v.u32() == 90)                       // lease
        #expect(try v.u64() == server.fs.root)           // fileid
        #expect(try v.u64() == 1 << 20)                  // maxread (bit 30 comes before mode, 33)
        #expect(try v.u32() == 0o755 && (try v.u32()) == 2)
        #expect(try v.utf8String(max: 64) == "0" && (try v.utf8String(max: 64)) == "0")
        #expect(try v.u64() == 1 << 63)                  // space_total: elastic, 8 EiB
        _ = try v.i64(); _ = try v.u32()                 // time_modify
        #expect(v.isAtEnd)
        await server.stop()
    }
}
