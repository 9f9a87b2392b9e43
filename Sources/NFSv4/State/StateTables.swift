import FileSystem
import NIOCore

/// Every piece of NFSv4.1 state, as plain values. Methods take an event and return the outcome, with no
/// I/O, so they can be tested without sockets; `NFSState` serialises access to them.
struct StateTables {
    struct Client {
        var id: UInt64
        var owner: [UInt8]
        var verifier: [UInt8]
        var confirmed = false
        /// The sequence the next CREATE_SESSION must carry (RFC 8881 §18.36.4).
        var createSessionSequence: UInt32 = 1
        var lastCreateSession: CreateSessionResult?
        var lastRenewal: Double
        var reclaimComplete = false
        /// The confirmed record of the same owner this one replaces once confirmed (the client rebooted).
        var replaces: UInt64?
        /// NFSv4.0: the verifier SETCLIENTID_CONFIRM must present.
        var confirmVerifier: [UInt8]?
        var sessions: Set<SessionID> = []
        /// Where its EXCHANGE_ID or SETCLIENTID came from (the address, without the port).
        var source: String?
        /// Who created it (the RPC credential's identity): another may not take its client id over.
        var principal = ""
        /// NFSv4.1: it must send RECLAIM_COMPLETE before its first non-reclaim lock (RFC 8881 §18.51.3).
        var sessions41 = false
        /// Whether its callback path (back channel or callback address) answered CB_NULL: only then may it
        /// hold delegations; SEQUENCE tells it when the path is down.
        var callback = CallbackState.unknown
        /// NFSv4.0: the callback address SETCLIENTID gave, used once the client id is confirmed.
        var callbackAddress: CallbackAddress?
        /// Delegations taken from it that it has not yet freed (FREE_STATEID).
        var revokedDelegations: Set<StateOther> = []
    }

    struct Slot {
        var sequence: UInt32 = 0
        var inProgress = false
        /// The whole COMPOUND reply of the last request, when the client asked for it to be cached.
        var cachedReply: ByteBuffer?
        var cachedUncached = false
    }

    struct Session {
        var id: SessionID
        var client: UInt64
        var fore: ChannelAttributes
        var slots: [Slot]
        /// The program number callbacks over its back channel carry.
        var callbackProgram: UInt32 = 0
    }

    enum CallbackState { case unknown, up, down }

    struct CallbackAddress: Equatable {
        var host: String
        var port: Int
        var program: UInt32
        var ident: UInt32
    }

    struct Open {
        var stateID: StateID
        var owner: OpenOwner
        var file: FileHandle
        var access: UInt32
        var deny: UInt32
        var lockStates: Set<StateOther> = []
        /// Every share_access and share_deny value this open was opened with (bit n: value n), as
        /// OPEN_DOWNGRADE may only return to one of them (RFC 7530 §16.19.4).
        var accessModes: UInt8 = 0
        var denyModes: UInt8 = 0
        /// The uid whose OPEN made it: another using its stateid is checked against the mode bits.
        var opener: UInt32?

        init(stateID: StateID, owner: OpenOwner, file: FileHandle, access: UInt32, deny: UInt32) {
            self.stateID = stateID; self.owner = owner; self.file = file; self.access = access; self.deny = deny
            opened(access: access, deny: deny)
        }

        mutating func opened(access: UInt32, deny: UInt32) {
            accessModes |= 1 << access
            denyModes |= 1 << deny
        }

        /// After a downgrade, the modes left are those within the new ones.
        mutating func downgraded(access: UInt32, deny: UInt32) {
            self.access = access; self.deny = deny
            accessModes &= (0..<4).reduce(0) { bits, mode in mode & ~access == 0 ? bits | 1 << mode : bits }
            denyModes &= (0..<4).reduce(0) { bits, mode in mode & ~deny == 0 ? bits | 1 << mode : bits }
        }
    }

    struct LockState {
        var stateID: StateID
        var owner: LockOwner
        var file: FileHandle
        var open: StateOther
    }

    struct LockRange: Equatable {
        var owner: LockOwner
        var write: Bool
        var start: UInt64
        /// Exclusive; UInt64.max means "to the end of the file, however long it grows".
        var end: UInt64
        func overlaps(_ start: UInt64, _ end: UInt64) -> Bool { self.start < end && start < self.end }
    }

    let epoch: UInt32
    /// Shared with NFSState, which reads them without the lock.
    let hints = StateHints()
    var leaseSeconds: Double
    var graceEnds: Double
    var clients: [UInt64: Client] = [:]
    var clientsByOwner: [[UInt8]: UInt64] = [:]
    var sessions: [SessionID: Session] = [:]
    var opens: [StateOther: Open] = [:]
    var openByOwnerAndFile: [OpenOwner: [FileHandle: StateOther]] = [:]
    var opensByFile: [FileHandle: Set<StateOther>] = [:]
    var lockStates: [StateOther: LockState] = [:]
    var lockStateByOwnerAndFile: [LockOwner: [FileHandle: StateOther]] = [:]
    var locks: [FileHandle: [LockRange]] = [:]
    var nextCounter: UInt64 = 1
    /// NFSv4.0 owner sequencing: the last seqid of each open- and lock-owner and the reply it got.
    var ownerSequences: [OwnerKey: OwnerSequence] = [:]
    /// NFSv4.0: the open-owners of the latest closed opens, for replays.
    var closedOpenOwners = RecentMap<StateOther, OwnerKey>(capacity: 4096)
    /// Opens and locks of the latest clients whose state was dropped (lease expired, revoked, replaced by a
    /// rebooted client): using them is NFS4ERR_EXPIRED, not BAD_STATEID, so the client knows to recover.
    var revokedStates = RecentMap<StateOther, Bool>(capacity: 16384)
    var delegations: [StateOther: Delegation] = [:]
    var delegationsByInode: [InodeID: Set<StateOther>] = [:]
    /// Files whose delegation was recalled lately, and when: none is granted on them again for a lease, so a
    /// file two clients share does not go back and forth.
    var recentlyRecalled = RecentMap<InodeID, Double>(capacity: 4096)
    /// Owners of clients expired outside the periodic sweep, whose persisted records are still to go.
    var expiredOwners: [[UInt8]] = []
    /// Files whose first open began (true) or last open ended (false), in order: the file system keeps an
    /// open file that loses its last name until its last open ends.
    var openFileEvents: [(file: FileHandle, opened: Bool)] = []
    /// NFSv4.0 open-owners whose first OPEN still awaits OPEN_CONFIRM.
    var unconfirmedOwners: Set<OpenOwner> = []
    /// Owners of clients known before a restart: they, and only they, may reclaim during grace.
    var restartedOwners: Set<[UInt8]> = []
    /// Those of them that have not yet said RECLAIM_COMPLETE; grace ends early when none are left.
    var reclaimable: Set<[UInt8]> = []
    /// Unconfirmed client records, oldest first, in all and per source: each holds memory until its lease
    /// runs out, and anyone can ask for one, so they are bounded (the oldest unconfirmed goes first, as knfsd
    /// does). The global queue is trimmed lazily: entries of clients confirmed or gone since are skipped.
    var unconfirmedQueue: [UInt64] = []
    var unconfirmedQueueStart = 0
    var unconfirmedCount = 0
    var unconfirmedBySource: [String: [UInt64]] = [:]
    static let maxUnconfirmed = 4096
    static let maxUnconfirmedPerSource = 64

    enum OwnerKey: Hashable { case open(OpenOwner), lock(LockOwner) }
    struct OwnerSequence { var seqid: UInt32; var status: NFSStatus; var reply: [UInt8] }

    init(epoch: UInt32, leaseSeconds: Double, graceSeconds: Double, now: Double) {
        self.epoch = epoch
        self.leaseSeconds = leaseSeconds
        graceEnds = now + graceSeconds
    }

    mutating func newOther() -> StateOther {
        defer { nextCounter += 1 }
        return StateOther(epoch: epoch, counter: nextCounter)
    }

    func inGrace(_ now: Double) -> Bool { now < graceEnds }

    /// After a restart: the owners of the clients known before it may reclaim in the grace period; with
    /// none, there is no grace.
    mutating func restarted(knownOwners: Set<[UInt8]>, now: Double) {
        restartedOwners = knownOwners
        reclaimable = knownOwners
        if knownOwners.isEmpty { graceEnds = now }
    }

    /// Once grace is over: the owners known before the restart that never came back (their records go).
    mutating func ownersThatDidNotReturn(now: Double) -> [[UInt8]] {
        guard !inGrace(now), !reclaimable.isEmpty else { return [] }
        let missing = reclaimable.filter { owner in !clients.values.contains { $0.owner == owner } }
        reclaimable = []
        return Array(missing)
    }

    func owner(ofClient id: UInt64) -> [UInt8]? { clients[id]?.owner }
    func hasClient(_ id: UInt64) -> Bool { clients[id] != nil }
    /// The byte-range locks held on `file`.
    func locks(on file: FileHandle) -> [LockRange] { locks[file] ?? [] }
    /// No open and no index entry of one is left (what a client's removal must leave behind).
    var holdsNoOpens: Bool { opens.isEmpty && opensByFile.isEmpty && openByOwnerAndFile.isEmpty }

    /// A client whose lease ran out keeps its state until someone needs it (a courteous server, RFC 8881
    /// §8.4.3) or the periodic sweep drops it: before a request is checked against the opens and locks on
    /// `file`, expired clients holding any of them are dropped, so the request wins. Returns their owners.
    mutating func revokeExpiredHolders(of file: FileHandle, now: Double) -> [[UInt8]] {
        func expired(_ id: UInt64) -> Bool { clients[id].map { now - $0.lastRenewal > leaseSeconds } ?? false }
        var holders: Set<UInt64> = []
        for other in opensByFile[file] ?? [] { if let client = opens[other]?.owner.client, expired(client) { holders.insert(client) } }
        for range in locks[file] ?? [] where expired(range.owner.client) { holders.insert(range.owner.client) }
        return holders.compactMap { id in
            defer { removeClient(id) }
            return clients[id]?.owner
        }
    }

    mutating func takeOpenFileEvents() -> [(file: FileHandle, opened: Bool)] {
        defer { openFileEvents = [] }
        return openFileEvents
    }

    /// Drops clients whose lease ran out, with their sessions, opens and locks. Returns their owners.
    mutating func expireClients(now: Double) -> [[UInt8]] {
        let expired = clients.values.filter { now - $0.lastRenewal > leaseSeconds }
        for client in expired { removeClient(client.id) }
        return expired.map(\.owner)
    }

    mutating func removeClient(_ id: UInt64) {
        guard let client = clients.removeValue(forKey: id) else { return }
        if !client.confirmed { forgetUnconfirmed(client) }
        if clientsByOwner[client.owner] == id { clientsByOwner[client.owner] = nil }
        for session in client.sessions { sessions[session] = nil }
        for (other, open) in opens where open.owner.client == id {
            removeOpen(other, open)
            revokedStates.remember(other, true)
        }
        for (other, lock) in lockStates where lock.owner.client == id {
            removeLockState(other, lock)
            revokedStates.remember(other, true)
        }
        // A dropped client's delegation stateids become unknown (BAD_STATEID), as knfsd answers: a Linux
        // client then forgets the delegation and carries on, where EXPIRED sends it into recovery again.
        for (other, delegation) in delegations where delegation.client == id { removeDelegation(other) }
        openByOwnerAndFile = openByOwnerAndFile.filter { $0.key.client != id }
        lockStateByOwnerAndFile = lockStateByOwnerAndFile.filter { $0.key.client != id }
        ownerSequences = ownerSequences.filter { key, _ in
            switch key { case .open(let o): o.client != id; case .lock(let l): l.client != id }
        }
        unconfirmedOwners = unconfirmedOwners.filter { $0.client != id }
    }

    mutating func removeOpen(_ other: StateOther, _ open: Open) {
        opens[other] = nil
        opensByFile[open.file]?.remove(other)
        if opensByFile[open.file]?.isEmpty == true {
            opensByFile[open.file] = nil
            openFileEvents.append((open.file, false))
            hints.openFileEvents.store(true, ordering: .releasing)
        }
        openByOwnerAndFile[open.owner]?[open.file] = nil
        if openByOwnerAndFile[open.owner]?.isEmpty == true { openByOwnerAndFile[open.owner] = nil }
    }

    mutating func removeLockState(_ other: StateOther, _ state: LockState) {
        lockStates[other] = nil
        lockStateByOwnerAndFile[state.owner]?[state.file] = nil
        if lockStateByOwnerAndFile[state.owner]?.isEmpty == true { lockStateByOwnerAndFile[state.owner] = nil }
        locks[state.file]?.removeAll { $0.owner == state.owner }
        if locks[state.file]?.isEmpty == true { locks[state.file] = nil }
        opens[state.open]?.lockStates.remove(other)
    }
}
