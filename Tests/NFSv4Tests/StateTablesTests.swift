@testable import NFSv4
import Testing

/// The state machine alone: no sockets, no storage.
@Suite struct StateTablesTests {
    let file = FileHandle(fileSystem: 1, inode: 10)

    func tables() -> StateTables { StateTables(epoch: 3, leaseSeconds: 90, graceSeconds: 0, now: 0) }

    @Test func locksOfOneOwnerSplitAndMerge() throws {
        var t = tables()
        let open = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        let id = try t.lock(.newOwner(open: open, owner: [9]), file: file, type: .write, offset: 0, length: 100)
        _ = try t.unlock(id, file: file, offset: 40, length: 20)
        #expect(t.locks[file]?.map { [$0.start, $0.end] }.sorted { $0[0] < $1[0] } == [[0, 40], [60, 100]])
        _ = try t.lock(.existing(StateID(seqid: 0, other: id.other)), file: file, type: .write, offset: 30, length: 40)
        #expect(t.locks[file]?.map { [$0.start, $0.end] } == [[0, 100]])
        // A read lock over part of a write lock downgrades just that part.
        _ = try t.lock(.existing(StateID(seqid: 0, other: id.other)), file: file, type: .read, offset: 50, length: 10)
        #expect(t.locks[file]?.sorted { $0.start < $1.start }.map { $0.write } == [true, false, true])
    }

    @Test func readLocksShareAndWriteLocksExclude() throws {
        var t = tables()
        let a = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        let b = try t.open(owner: OpenOwner(client: 2, owner: [2]), file: file, access: 3, deny: 0)
        _ = try t.lock(.newOwner(open: a, owner: [1]), file: file, type: .read, offset: 0, length: .max)
        _ = try t.lock(.newOwner(open: b, owner: [2]), file: file, type: .read, offset: 10, length: 10)
        #expect(throws: LockDenied.self) { _ = try t.lock(.newOwner(open: b, owner: [2]), file: file, type: .write, offset: 1 << 40, length: 1) }
        #expect(throws: NFSStatus.inval) { _ = try t.lock(.newOwner(open: b, owner: [2]), file: file, type: .read, offset: .max, length: 2) }
    }

    @Test func shareReservationsAndDowngrades() throws {
        var t = tables()
        let a = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 1, deny: 2)
        #expect(throws: NFSStatus.shareDenied) { _ = try t.open(owner: OpenOwner(client: 2, owner: [2]), file: file, access: 2, deny: 0) }
        #expect(throws: NFSStatus.shareDenied) { _ = try t.open(owner: OpenOwner(client: 2, owner: [2]), file: file, access: 1, deny: 1) }
        let upgraded = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 2, deny: 0)
        #expect(upgraded.other == a.other && upgraded.seqid == 2)
        #expect(throws: NFSStatus.inval) { _ = try t.openDowngrade(upgraded, access: 3, deny: 3) }
        let down = try t.openDowngrade(upgraded, access: 1, deny: 0)
        #expect(down.seqid == 3)
        _ = try t.open(owner: OpenOwner(client: 2, owner: [2]), file: file, access: 2, deny: 0)
    }

    @Test func slotsAcceptTheNextSequenceReplayTheLastAndRefuseTheRest() throws {
        var t = tables()
        let (client, seq, _) = t.exchangeID(owner: [7], verifier: [1], now: 0)
        let attrs = ChannelAttributes(maxRequestSize: 1 << 20, maxResponseSize: 1 << 20, maxResponseSizeCached: 4096,
                                      maxOperations: 8, maxRequests: 2)
        let session = try t.createSession(client: client, sequence: seq, fore: attrs, back: attrs, now: 0).sessionID
        guard case .execute = t.sequence(session: session, sequence: 1, slot: 1, now: 0) else { Issue.record("first"); return }
        guard case .failure(.delay) = t.sequence(session: session, sequence: 1, slot: 1, now: 0) else { Issue.record("in progress"); return }
        t.finishSequence(session: session, slot: 1, reply: .init(bytes: [1, 2, 3, 4]))
        guard case .replay(let cached) = t.sequence(session: session, sequence: 1, slot: 1, now: 0), cached.readableBytes == 4 else {
            Issue.record("replay"); return
        }
        guard case .failure(.seqMisordered) = t.sequence(session: session, sequence: 3, slot: 1, now: 0) else { Issue.record("gap"); return }
        guard case .failure(.badslot) = t.sequence(session: session, sequence: 1, slot: 2, now: 0) else { Issue.record("slot"); return }
        // The CREATE_SESSION that made the session can be replayed; an older one is misordered.
        #expect(try t.createSession(client: client, sequence: seq, fore: attrs, back: attrs, now: 0).sessionID == session)
        #expect(throws: NFSStatus.seqMisordered) { _ = try t.createSession(client: client, sequence: seq + 5, fore: attrs, back: attrs, now: 0) }
        #expect(throws: NFSStatus.clientidBusy) { try t.destroyClient(client) }
        try t.destroySession(session)
        try t.destroyClient(client)
    }

    @Test func aRebootedClientReplacesItsOldRecordOnceConfirmed() throws {
        var t = tables()
        let attrs = ChannelAttributes(maxRequestSize: 1 << 20, maxResponseSize: 1 << 20, maxResponseSizeCached: 4096,
                                      maxOperations: 8, maxRequests: 2)
        let (old, seq, _) = t.exchangeID(owner: [7], verifier: [1], now: 0)
        _ = try t.createSession(client: old, sequence: seq, fore: attrs, back: attrs, now: 0)
        _ = try t.open(owner: OpenOwner(client: old, owner: [1]), file: file, access: 3, deny: 3)
        let (new, newSeq, confirmed) = t.exchangeID(owner: [7], verifier: [2], now: 1)
        #expect(new != old && !confirmed)
        _ = try t.createSession(client: new, sequence: newSeq, fore: attrs, back: attrs, now: 1)
        #expect(t.clients[old] == nil && t.opens.isEmpty)
    }

    @Test func leasesExpireWithoutRenewal() throws {
        var t = StateTables(epoch: 3, leaseSeconds: 10, graceSeconds: 0, now: 0)
        let (client, _, _) = t.exchangeID(owner: [7], verifier: [1], now: 0)
        _ = try t.open(owner: OpenOwner(client: client, owner: [1]), file: file, access: 3, deny: 3)
        #expect(t.expireClients(now: 9).isEmpty)
        #expect(t.expireClients(now: 11) == [[7]])
        #expect(t.opens.isEmpty && t.opensByFile.isEmpty)
    }
}
