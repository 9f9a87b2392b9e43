import NIOCore

/// NFSv4.0 client ids (SETCLIENTID, SETCLIENTID_CONFIRM, RENEW) and owner seqids (RFC 7530 §9.1.7,
/// §16.33, §16.34): a request with the next seqid runs; the last one again gets the reply it got; any
/// other is NFS4ERR_BAD_SEQID.
extension StateTables {
    /// SETCLIENTID: a new unconfirmed record (or a new confirm verifier for a confirmed one with the same
    /// verifier, as a callback update is). Another principal may not take over a client id whose lease is
    /// live (CLID_INUSE, RFC 7530 §16.33.5).
    mutating func setClientID(owner: [UInt8], verifier: [UInt8], principal: String = "", source: String? = nil,
                              now: Double) throws(NFSStatus) -> (client: UInt64, confirm: [UInt8]) {
        let confirm = (0..<8).map { _ in UInt8.random(in: 0...255) }
        if let id = clientsByOwner[owner], var client = clients[id] {
            if client.confirmed && client.principal != principal && now - client.lastRenewal <= leaseSeconds {
                throw .clidInuse
            }
            if client.confirmed && client.verifier == verifier {
                client.confirmVerifier = confirm
                client.lastRenewal = now
                clients[id] = client
                return (id, confirm)
            }
            if !client.confirmed { removeClient(id) }
            let fresh = newClient(owner: owner, verifier: verifier, source: source, now: now,
                                  replaces: client.confirmed ? id : nil, confirm: confirm)
            clients[fresh]!.principal = principal
            return (fresh, confirm)
        }
        let fresh = newClient(owner: owner, verifier: verifier, source: source, now: now, replaces: nil, confirm: confirm)
        clients[fresh]!.principal = principal
        return (fresh, confirm)
    }

    /// SETCLIENTID_CONFIRM: returns the confirmed client's owner.
    mutating func confirmClientID(_ id: UInt64, verifier: [UInt8], now: Double) throws(NFSStatus) -> [UInt8] {
        guard let client = clients[id], client.confirmVerifier == verifier else { throw .staleClientid }
        confirm(id, now: now)
        return client.owner
    }

    /// A confirmed client, its lease renewed (RENEW, and every NFSv4.0 operation naming it). A client whose
    /// lease already ran out loses its state here, and hears EXPIRED (RFC 7530 §9.6.3): an NFSv4.0 client
    /// has no session to tell it otherwise that its opens and locks are gone.
    mutating func renew(_ id: UInt64, now: Double) throws(NFSStatus) {
        guard let client = clients[id], client.confirmed else { throw missingClient(id) }
        if now - client.lastRenewal > leaseSeconds {
            expire(id)
            throw .expired
        }
        clients[id]!.lastRenewal = now
    }

    /// A client id we hold no confirmed record for: one this boot gave out is EXPIRED (its lease ran out,
    /// or it never confirmed); any other, of an earlier boot or never issued, STALE_CLIENTID.
    func missingClient(_ id: UInt64) -> NFSStatus {
        let issuedNow = UInt32(truncatingIfNeeded: id >> 32) == epoch && id & 0xFFFF_FFFF < nextCounter & 0xFFFF_FFFF
        return issuedNow ? .expired : .staleClientid
    }

    /// NFSv4.0: an operation with a stateid renews the lease of the client it belongs to (see `renew`).
    mutating func renewLease(of id: StateID, now: Double) throws(NFSStatus) {
        guard let client = client(of: id), clients[client]?.confirmed == true else { return }
        try renew(client, now: now)
    }

    /// Drops a client whose lease ran out; its persisted record goes at the next maintenance pass.
    mutating func expire(_ id: UInt64) {
        guard let client = clients[id] else { return }
        removeClient(id)
        if client.confirmed { expiredOwners.append(client.owner) }
    }

    /// The owners of clients dropped by `expire` since the last call.
    mutating func takeExpiredOwners() -> [[UInt8]] {
        defer { expiredOwners = [] }
        return expiredOwners
    }

    enum SequenceCheck: Equatable { case run(newOwner: Bool), replay(NFSStatus, [UInt8]) }

    /// Checks an owner's seqid. A new owner accepts any first seqid.
    func checkOwnerSeqid(_ key: OwnerKey, _ seqid: UInt32) throws(NFSStatus) -> SequenceCheck {
        guard let last = ownerSequences[key] else { return .run(newOwner: true) }
        if seqid == last.seqid &+ 1 { return .run(newOwner: false) }
        if seqid == last.seqid { return .replay(last.status, last.reply) }
        throw .badSeqid
    }

    /// Records an owner's request and its reply (status and result). Errors that say the request was
    /// never understood do not move the seqid (RFC 7530 §9.1.7).
    mutating func recordOwnerReply(_ key: OwnerKey, _ seqid: UInt32, status: NFSStatus, reply: [UInt8]) {
        let keepsSeqid: Set<NFSStatus> = [.staleClientid, .staleStateid, .badStateid, .badSeqid, .badxdr, .resource,
                                          .nofilehandle, .expired]
        guard !keepsSeqid.contains(status) else { return }
        ownerSequences[key] = OwnerSequence(seqid: seqid, status: status, reply: reply)
    }

    /// RELEASE_LOCKOWNER: forgets a lock-owner that holds no locks.
    mutating func releaseLockOwner(_ owner: LockOwner) throws(NFSStatus) {
        for (file, other) in lockStateByOwnerAndFile[owner] ?? [:] {
            if locks[file]?.contains(where: { $0.owner == owner }) == true { throw .locksHeld }
            if let state = lockStates[other] { removeLockState(other, state) }
        }
        ownerSequences[.lock(owner)] = nil
    }

    /// The open-owner of an open stateid, and the lock-owner of a lock stateid (nil: no such stateid).
    /// A closed open still names its owner, so that a retransmitted CLOSE finds the reply it got.
    func ownerKey(ofOpen other: StateOther) -> OwnerKey? { opens[other].map { .open($0.owner) } ?? closedOpenOwners[other] }
    func ownerKey(ofLock other: StateOther) -> OwnerKey? { lockStates[other].map { .lock($0.owner) } }

    /// After an OPEN by `owner`: whether the open must still be confirmed (RFC 7530 §16.16.5). A new owner's
    /// first open must be; a reclaim need not (it proves the owner existed before the restart).
    mutating func openNeedsConfirm(_ owner: OpenOwner, newOwner: Bool, reclaiming: Bool) -> Bool {
        if reclaiming { unconfirmedOwners.remove(owner) } else if newOwner { unconfirmedOwners.insert(owner) }
        return unconfirmedOwners.contains(owner)
    }

    /// OPEN_CONFIRM: the open-owner's first open becomes usable.
    mutating func confirmOpen(_ id: StateID) throws(NFSStatus) -> StateID {
        var open = try openState(id)
        guard unconfirmedOwners.contains(open.owner) else { throw .badStateid }
        unconfirmedOwners.remove(open.owner)
        open.stateID.seqid &+= 1
        opens[id.other] = open
        return open.stateID
    }

    /// Which client a stateid belongs to (for implicit lease renewal in NFSv4.0).
    func client(of id: StateID) -> UInt64? {
        opens[id.other]?.owner.client ?? lockStates[id.other]?.owner.client ?? delegations[id.other]?.client
    }
}
