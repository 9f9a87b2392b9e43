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
        #expect(t.locks(on: file).map { [$0.start, $0.end] }.sorted { $0[0] < $1[0] } == [[0, 40], [60, 100]])
        _ = try t.lock(.existing(StateID(seqid: 0, other: id.other)), file: file, type: .write, offset: 30, length: 40)
        #expect(t.locks(on: file).map { [$0.start, $0.end] } == [[0, 100]])
        // A read lock over part of a write lock downgrades just that part.
        _ = try t.lock(.existing(StateID(seqid: 0, other: id.other)), file: file, type: .read, offset: 50, length: 10)
        #expect(t.locks(on: file).sorted { $0.start < $1.start }.map { $0.write } == [true, false, true])
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
        let (client, seq, _) = try t.exchangeID(owner: [7], verifier: [1], now: 0)
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
        let (old, seq, _) = try t.exchangeID(owner: [7], verifier: [1], now: 0)
        _ = try t.createSession(client: old, sequence: seq, fore: attrs, back: attrs, now: 0)
        _ = try t.open(owner: OpenOwner(client: old, owner: [1]), file: file, access: 3, deny: 3)
        let (new, newSeq, confirmed) = try t.exchangeID(owner: [7], verifier: [2], now: 1)
        #expect(new != old && !confirmed)
        _ = try t.createSession(client: new, sequence: newSeq, fore: attrs, back: attrs, now: 1)
        #expect(!t.hasClient(old) && t.holdsNoOpens)
    }

    @Test func leasesExpireWithoutRenewal() throws {
        var t = StateTables(epoch: 3, leaseSeconds: 10, graceSeconds: 0, now: 0)
        let (client, _, _) = try t.exchangeID(owner: [7], verifier: [1], now: 0)
        _ = try t.open(owner: OpenOwner(client: client, owner: [1]), file: file, access: 3, deny: 3)
        #expect(t.expireClients(now: 9).isEmpty)
        #expect(t.expireClients(now: 11) == [[7]])
        #expect(t.holdsNoOpens && t.locks(on: file).isEmpty)
    }

    // MARK: Stateids

    @Test func stateidsOfAnotherBootAreStaleAndOldSeqidsAreOld() throws {
        var t = tables()
        let id = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        let earlierBoot = StateID(seqid: id.seqid, other: StateOther(epoch: 2, counter: id.other.counter))
        #expect(throws: NFSStatus.staleStateid) { try t.checkIO(earlierBoot, file: file, write: false) }
        #expect(t.test(earlierBoot) == .staleStateid)
        let upgraded = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        #expect(t.test(id) == .oldStateid && t.test(upgraded) == .ok)
        #expect(t.test(StateID(seqid: upgraded.seqid + 1, other: id.other)) == .badStateid)
        // Seqid 0 means "the current one" (NFSv4.1).
        try t.checkIO(StateID(seqid: 0, other: id.other), file: file, write: true)
        #expect(throws: NFSStatus.badStateid) { try t.checkIO(upgraded, file: FileHandle(fileSystem: 1, inode: 11), write: false) }
    }

    @Test func specialStateidsObeyShareReservations() throws {
        var t = tables()
        try t.checkIO(.anonymous, file: file, write: true)
        _ = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 1, deny: Share.write)
        #expect(throws: NFSStatus.locked) { try t.checkIO(.anonymous, file: file, write: true) }
        try t.checkIO(.anonymous, file: file, write: false)
        try t.checkIO(.readBypass, file: file, write: false)
        // All ones writes as the anonymous stateid does: refused by the deny-write reservation, else allowed.
        #expect(throws: NFSStatus.locked) { try t.checkIO(.readBypass, file: file, write: true) }
        try t.checkIO(.readBypass, file: FileHandle(fileSystem: 1, inode: 11), write: true)
    }

    @Test func writingThroughAReadOpenIsOpenmode() throws {
        var t = tables()
        let id = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: Share.read, deny: 0)
        try t.checkIO(id, file: file, write: false)
        #expect(throws: NFSStatus.openmode) { try t.checkIO(id, file: file, write: true) }
    }

    // MARK: Opens and locks together

    @Test func closingWithLocksHeldIsRefusedAndFreesThemOnceUnlocked() throws {
        var t = tables()
        let open = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        let lock = try t.lock(.newOwner(open: open, owner: [9]), file: file, type: .write, offset: 0, length: 10)
        // A lock stateid reads and writes as its open does.
        try t.checkIO(lock, file: file, write: true)
        #expect(throws: NFSStatus.locksHeld) { _ = try t.close(open) }
        #expect(throws: NFSStatus.locksHeld) { try t.free(lock) }
        let unlocked = try t.unlock(lock, file: file, offset: 0, length: 10)
        #expect(unlocked.seqid == lock.seqid + 1 && t.locks(on: file).isEmpty)
        let closed = try t.close(open)
        #expect(closed.seqid == open.seqid + 1 && t.holdsNoOpens)
        #expect(t.test(lock) == .badStateid)  // its lock state went with the open
    }

    @Test func lockTestReportsTheHolderAndIgnoresTheOwnersOwnLocks() throws {
        var t = tables()
        let open = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        _ = try t.lock(.newOwner(open: open, owner: [9]), file: file, type: .read, offset: 100, length: 50)
        let mine = LockOwner(client: 1, owner: [9]), theirs = LockOwner(client: 2, owner: [8])
        #expect(try t.testLock(file: file, owner: mine, type: .write, offset: 0, length: .max) == nil)
        let denied = try t.testLock(file: file, owner: theirs, type: .write, offset: 120, length: 1)
        #expect(denied == LockDenied(owner: mine, write: false, start: 100, end: 150) && denied?.length == 50)
        #expect(try t.testLock(file: file, owner: theirs, type: .read, offset: 0, length: .max) == nil)
        #expect(throws: NFSStatus.inval) { _ = try t.testLock(file: file, owner: theirs, type: .read, offset: 1, length: 0) }
    }

    @Test func anExpiredClientsLocksNoLongerBlockOthers() throws {
        var t = StateTables(epoch: 3, leaseSeconds: 10, graceSeconds: 0, now: 0)
        let (a, _, _) = try t.exchangeID(owner: [1], verifier: [1], now: 0)
        let (b, _, _) = try t.exchangeID(owner: [2], verifier: [1], now: 0)
        let openA = try t.open(owner: OpenOwner(client: a, owner: [1]), file: file, access: 3, deny: 0)
        _ = try t.lock(.newOwner(open: openA, owner: [1]), file: file, type: .write, offset: 0, length: .max)
        let openB = try t.open(owner: OpenOwner(client: b, owner: [2]), file: file, access: 3, deny: 0)
        #expect(throws: LockDenied.self) { _ = try t.lock(.newOwner(open: openB, owner: [2]), file: file, type: .write, offset: 0, length: 1) }
        // B renews (a SEQUENCE would), A does not.
        try t.renewForTest(b, now: 8)
        #expect(t.expireClients(now: 11) == [[1]])
        _ = try t.lock(.newOwner(open: openB, owner: [2]), file: file, type: .write, offset: 0, length: 1)
        #expect(t.hasClient(b) && !t.hasClient(a))
    }

    @Test func anExpiredClientsStateGoesAtTheFirstConflictWithoutASweep() throws {
        var t = StateTables(epoch: 3, leaseSeconds: 10, graceSeconds: 0, now: 0)
        let (a, _, _) = try t.exchangeID(owner: [1], verifier: [1], now: 0)
        let openA = try t.open(owner: OpenOwner(client: a, owner: [1]), file: file, access: 3, deny: Share.write)
        _ = try t.lock(.newOwner(open: openA, owner: [1]), file: file, type: .write, offset: 0, length: 10)
        #expect(t.revokeExpiredHolders(of: file, now: 9).isEmpty)  // still within its lease
        #expect(throws: NFSStatus.locked) { try t.checkIO(.anonymous, file: file, write: true) }
        #expect(t.revokeExpiredHolders(of: FileHandle(fileSystem: 1, inode: 99), now: 11).isEmpty)  // holds nothing there
        #expect(t.revokeExpiredHolders(of: file, now: 11) == [[1]])
        try t.checkIO(.anonymous, file: file, write: true)
        #expect(t.locks(on: file).isEmpty && t.holdsNoOpens && !t.hasClient(a))
    }

    // MARK: Restart and grace

    @Test func graceLetsOnlyKnownClientsReclaimAndEndsWhenAllHaveSaidComplete() throws {
        var t = StateTables(epoch: 4, leaseSeconds: 90, graceSeconds: 90, now: 0)
        t.restarted(knownOwners: [[1], [2]], now: 0)
        let (known, _, _) = try t.exchangeID(owner: [1], verifier: [1], now: 1)
        let (stranger, _, _) = try t.exchangeID(owner: [3], verifier: [1], now: 1)
        try t.checkGrace(client: known, reclaim: true, now: 1)
        #expect(throws: NFSStatus.reclaimBad) { try t.checkGrace(client: stranger, reclaim: true, now: 1) }
        #expect(throws: NFSStatus.grace) { try t.checkGrace(client: stranger, reclaim: false, now: 1) }
        try t.reclaimComplete(client: known, now: 2)
        #expect(throws: NFSStatus.completeAlready) { try t.reclaimComplete(client: known, now: 2) }
        #expect(throws: NFSStatus.noGrace) { try t.checkGrace(client: known, reclaim: true, now: 2) }
        #expect(t.inGrace(2))  // [2] has not come back yet
        #expect(t.ownersThatDidNotReturn(now: 2).isEmpty)
        #expect(t.ownersThatDidNotReturn(now: 91) == [[2]])
        // After grace, a new NFSv4.1 client still locks nothing before its RECLAIM_COMPLETE.
        #expect(throws: NFSStatus.grace) { try t.checkGrace(client: stranger, reclaim: false, now: 91) }
        try t.reclaimComplete(client: stranger, now: 91)
        try t.checkGrace(client: stranger, reclaim: false, now: 91)
    }

    @Test func aRestartWithNoKnownClientsHasNoGrace() throws {
        var t = StateTables(epoch: 4, leaseSeconds: 90, graceSeconds: 90, now: 0)
        t.restarted(knownOwners: [], now: 5)
        #expect(!t.inGrace(5))
        let (client, _, _) = try t.exchangeID(owner: [3], verifier: [1], now: 5)
        #expect(throws: NFSStatus.noGrace) { try t.checkGrace(client: client, reclaim: true, now: 5) }
    }

    // MARK: NFSv4.0 clients and owners

    @Test func setClientIDIsConfirmedOnlyWithItsVerifierAndRenewsOnlyOnceConfirmed() throws {
        var t = tables()
        let (client, confirm) = try t.setClientID(owner: [5], verifier: [1], now: 0)
        #expect(throws: NFSStatus.expired) { try t.renew(client, now: 1) }
        #expect(throws: NFSStatus.staleClientid) { _ = try t.confirmClientID(client, verifier: confirm.reversed(), now: 1) }
        #expect(try t.confirmClientID(client, verifier: confirm, now: 1) == [5])
        try t.renew(client, now: 2)
        // A client id of an earlier boot is stale, not expired.
        #expect(throws: NFSStatus.staleClientid) { try t.renew(UInt64(2) << 32 | 1, now: 2) }
    }

    @Test func ownerSeqidsRunInOrderReplayTheLastAndRefuseTheRest() throws {
        var t = tables()
        let key = StateTables.OwnerKey.open(OpenOwner(client: 1, owner: [1]))
        #expect(try t.checkOwnerSeqid(key, 7) == .run(newOwner: true))
        t.recordOwnerReply(key, 7, status: .ok, reply: [1, 2])
        #expect(try t.checkOwnerSeqid(key, 8) == .run(newOwner: false))
        #expect(try t.checkOwnerSeqid(key, 7) == .replay(.ok, [1, 2]))
        #expect(throws: NFSStatus.badSeqid) { _ = try t.checkOwnerSeqid(key, 9) }
        // A request that was never understood does not move the seqid.
        t.recordOwnerReply(key, 8, status: .badxdr, reply: [])
        #expect(try t.checkOwnerSeqid(key, 8) == .run(newOwner: false))
    }

    @Test func aNewOpenOwnersFirstOpenNeedsConfirmingButAReclaimDoesNot() throws {
        var t = tables()
        let owner = OpenOwner(client: 1, owner: [1])
        let id = try t.open(owner: owner, file: file, access: 3, deny: 0)
        let needed = t.openNeedsConfirm(owner, newOwner: true, reclaiming: false)
        #expect(needed)
        #expect(throws: NFSStatus.badStateid) { try t.checkIO(id, file: file, write: false) }  // not until confirmed
        let confirmed = try t.confirmOpen(id)
        let stillNeeded = t.openNeedsConfirm(owner, newOwner: false, reclaiming: false)
        #expect(confirmed.seqid == id.seqid + 1 && !stillNeeded)
        try t.checkIO(confirmed, file: file, write: true)
        #expect(throws: NFSStatus.badStateid) { _ = try t.confirmOpen(confirmed) }
        let other = OpenOwner(client: 1, owner: [2])
        let reclaimNeeds = t.openNeedsConfirm(other, newOwner: true, reclaiming: true)
        #expect(!reclaimNeeds)
    }

    @Test func releasingALockOwnerThatHoldsLocksIsRefused() throws {
        var t = tables()
        let open = try t.open(owner: OpenOwner(client: 1, owner: [1]), file: file, access: 3, deny: 0)
        let lock = try t.lock(.newOwner(open: open, owner: [9]), file: file, type: .write, offset: 0, length: 10)
        let owner = LockOwner(client: 1, owner: [9])
        #expect(throws: NFSStatus.locksHeld) { try t.releaseLockOwner(owner) }
        _ = try t.unlock(lock, file: file, offset: 0, length: 10)
        try t.releaseLockOwner(owner)
        #expect(t.test(lock) == .badStateid && t.ownerKey(ofLock: lock.other) == nil)
    }

    @Test func unconfirmedClientsAreBoundedPerSourceAndInAllOldestFirst() throws {
        var t = tables()
        let perSource = StateTables.maxUnconfirmedPerSource
        var ids: [UInt64] = []
        for i in 0..<(perSource + 3) {
            ids.append(try t.exchangeID(owner: Array("flood-\(i)".utf8), verifier: [1], source: "10.0.0.9", now: 0).client)
        }
        #expect(t.unconfirmedClients == perSource)
        #expect(!t.hasClient(ids[0]) && !t.hasClient(ids[2]) && t.hasClient(ids[3]) && t.hasClient(ids.last!))
        // Another source is not crowded out by the first, and confirming takes a record out of the count.
        let (other, seq, _) = try t.exchangeID(owner: [42], verifier: [1], source: "10.0.0.10", now: 0)
        #expect(t.unconfirmedClients == perSource + 1)
        let attrs = ChannelAttributes(maxRequestSize: 1 << 20, maxResponseSize: 1 << 20, maxResponseSizeCached: 4096,
                                      maxOperations: 8, maxRequests: 2)
        _ = try t.createSession(client: other, sequence: seq, fore: attrs, back: attrs, now: 0)
        #expect(t.unconfirmedClients == perSource)
        // In all: the oldest unconfirmed record of anyone goes first; confirmed clients are never evicted.
        for i in 0..<StateTables.maxUnconfirmed {
            _ = try t.exchangeID(owner: Array("many-\(i)".utf8), verifier: [1], source: "10.1.\(i / 250).\(i % 250)", now: 0)
        }
        #expect(t.unconfirmedClients == StateTables.maxUnconfirmed)
        #expect(!t.hasClient(ids.last!) && t.hasClient(other))
        #expect(throws: NFSStatus.staleClientid) { _ = try t.createSession(client: ids.last!, sequence: 1, fore: attrs, back: attrs, now: 0) }
    }

    @Test func sessionsAreBoundedPerClientAndGoWithTheirClient() throws {
        var t = tables()
        let (client, first, _) = try t.exchangeID(owner: [7], verifier: [1], now: 0)
        let attrs = ChannelAttributes(maxRequestSize: 1 << 30, maxResponseSize: 1 << 30, maxResponseSizeCached: 1 << 30,
                                      maxOperations: 1000, maxRequests: 1000)
        var sequence = first
        var made: [SessionID] = []
        for _ in 0..<SessionLimits.maxSessionsPerClient {
            let result = try t.createSession(client: client, sequence: sequence, fore: attrs, back: attrs, now: 0)
            // What the client asked for is cut to the server's limits.
            #expect(result.fore.maxRequests == SessionLimits.maxSlots && result.fore.maxOperations == SessionLimits.maxOperations)
            made.append(result.sessionID)
            sequence += 1
        }
        #expect(throws: NFSStatus.resource) { _ = try t.createSession(client: client, sequence: sequence, fore: attrs, back: attrs, now: 0) }
        #expect(t.expireClients(now: 1000) == [[7]])
        #expect(made.allSatisfy { !t.sessionExists($0) })
        guard case .failure(.badsession) = t.sequence(session: made[0], sequence: 1, slot: 0, now: 1000) else {
            Issue.record("a session of an expired client still answers"); return
        }
    }
}

extension StateTables {
    /// A lease renewal as a SEQUENCE or RENEW makes it, for clients confirmed or not.
    mutating func renewForTest(_ id: UInt64, now: Double) throws {
        guard hasClient(id) else { throw NFSStatus.staleClientid }
        confirm(id, now: now)
    }
}
