import FileSystem

/// Delegations (RFC 8881 §10.2, §18.16.3): a client with a working callback path may be given a file to
/// cache, read-only or read-write, until another client's request conflicts; the server then recalls it
/// (CB_RECALL), answers the conflicting request NFS4ERR_DELAY until DELEGRETURN, and revokes a delegation
/// not returned within a lease.
struct Delegation: Sendable {
    var stateID: StateID
    var client: UInt64
    var file: FileHandle
    var write: Bool
    /// When the recall was sent (nil: not recalled).
    var recalledAt: Double?
    /// The file's change attribute when it was granted: a holder reporting another one (CB_GETATTR) has
    /// written under its write delegation.
    var changeAtGrant: UInt64 = 0
}

/// OPEN's delegation answer (open_delegation4).
enum DelegationAnswer: Equatable {
    case none
    case read(StateID)
    case write(StateID)
    /// OPEN_DELEGATE_NONE_EXT with its why_no_delegation4.
    case declined(WhyNoDelegation)
}

enum WhyNoDelegation: UInt32 {
    case notWanted = 0, contention = 1, resource = 2, notSupportedFileType = 3, writeNotSupportedFileType = 4
    case notSupportedUpgrade = 5, notSupportedDowngrade = 6, cancelled = 7, isDirectory = 8
}

/// OPEN4_SHARE_ACCESS_WANT_* (RFC 8881 §18.16.3), the bits above share_access's own.
enum DelegationWant: UInt32 {
    case noPreference = 0, read = 0x100, write = 0x200, any = 0x300, none = 0x400, cancel = 0x500
    static let mask: UInt32 = 0xFF00
}

extension StateTables {
    /// Whether OPEN by `client` of `file` with `access` may come with a delegation. Only a client whose
    /// callback path answered gets one; never while another client has the file open for writing (a read
    /// delegation) or at all (a write one), nor soon after one of its delegations was recalled.
    mutating func delegation(for client: UInt64, file: FileHandle, access: UInt32, deny: UInt32, want: DelegationWant?,
                             writeDelegations: Bool, change: UInt64 = 0, now: Double) -> DelegationAnswer {
        let wanted: DelegationWant = want ?? .noPreference
        switch wanted {
        case .none: return .declined(.notWanted)
        case .cancel: return .declined(.cancelled)
        default: break
        }
        let extended = want != nil && wanted != .noPreference
        func decline(_ why: WhyNoDelegation) -> DelegationAnswer { extended ? .declined(why) : .none }
        guard clients[client]?.callback == .up else { return decline(.resource) }
        if let recalled = recentlyRecalled[file.inode], now - recalled < leaseSeconds { return decline(.contention) }
        let others = (opensByFile[file] ?? []).compactMap { opens[$0] }.filter { $0.owner.client != client }
        if delegations(on: file.inode).contains(where: { $0.client != client }) { return decline(.contention) }
        if let mine = delegations(on: file.inode).first(where: { $0.client == client }) {
            // One delegation per client and file: the one it holds already serves this open too.
            if mine.write || access & Share.write == 0 { return mine.write ? .write(mine.stateID) : .read(mine.stateID) }
            return decline(.notSupportedUpgrade)
        }
        let wantsWrite = access & Share.write != 0
        if wanted == .write && !writeDelegations { return decline(.resource) }
        if wantsWrite || wanted == .write {
            guard writeDelegations, others.isEmpty else { return decline(.contention) }
            return .write(grant(client: client, file: file, write: true, change: change))
        }
        if wanted == .read || wanted == .any || wanted == .noPreference {
            guard !others.contains(where: { $0.access & Share.write != 0 }), deny & Share.read == 0 else { return decline(.contention) }
            return .read(grant(client: client, file: file, write: false, change: change))
        }
        return decline(.contention)
    }

    private mutating func grant(client: UInt64, file: FileHandle, write: Bool, change: UInt64) -> StateID {
        let id = StateID(seqid: 1, other: newOther())
        delegations[id.other] = Delegation(stateID: id, client: client, file: file, write: write, changeAtGrant: change)
        delegationsByInode[file.inode, default: []].insert(id.other)
        hints.delegations.add(1, ordering: .relaxed)
        return id
    }

    func delegations(on inode: InodeID) -> [Delegation] {
        (delegationsByInode[inode] ?? []).compactMap { delegations[$0] }
    }

    /// Another client's write delegation of `inode`, whose holder may have written what the server has not seen.
    func writeDelegation(on inode: InodeID, notHeldBy client: UInt64?) -> Delegation? {
        delegations(on: inode).first { $0.write && $0.client != client }
    }

    /// The delegations of other clients than `client` that an access to `inode` conflicts with: a write
    /// (or a change to the name or size) with every one, a read only with write delegations. Those not yet
    /// recalled are marked recalled now and returned in `toRecall`.
    mutating func conflictingDelegations(_ inode: InodeID, client: UInt64?, write: Bool, now: Double)
        -> (any: Bool, toRecall: [Delegation]) {
        let conflicting = delegations(on: inode).filter { $0.client != client && (write || $0.write) }
        var toRecall: [Delegation] = []
        for var delegation in conflicting where delegation.recalledAt == nil {
            delegation.recalledAt = now
            delegations[delegation.stateID.other] = delegation
            recentlyRecalled.remember(inode, now)
            toRecall.append(delegation)
        }
        return (!conflicting.isEmpty, toRecall)
    }

    /// DELEGRETURN.
    mutating func returnDelegation(_ id: StateID, client: UInt64?) throws(NFSStatus) {
        try checkEpoch(id)
        guard let delegation = delegations[id.other] else {
            if let client, clients[client]?.revokedDelegations.contains(id.other) == true { throw .delegRevoked }
            throw unknown(id)
        }
        if let client, delegation.client != client { throw .badStateid }
        removeDelegation(id.other)
    }

    /// Takes a delegation away from its holder (unreturned after a recall, or its callback path failed):
    /// the holder learns of it from SEQUENCE's RECALLABLE_STATE_REVOKED and TEST_STATEID, and frees it.
    mutating func revokeDelegation(_ other: StateOther) {
        guard let delegation = delegations[other] else { return }
        removeDelegation(other)
        clients[delegation.client]?.revokedDelegations.insert(other)
    }

    /// Recalled delegations whose holder has not returned them within a lease.
    func overdueDelegations(now: Double) -> [StateOther] {
        delegations.values.filter { $0.recalledAt.map { now - $0 > leaseSeconds } ?? false }.map(\.stateID.other)
    }

    mutating func removeDelegation(_ other: StateOther) {
        guard let delegation = delegations.removeValue(forKey: other) else { return }
        hints.delegations.subtract(1, ordering: .relaxed)
        delegationsByInode[delegation.file.inode]?.remove(other)
        if delegationsByInode[delegation.file.inode]?.isEmpty == true { delegationsByInode[delegation.file.inode] = nil }
    }

    /// CLAIM_DELEGATE_CUR / CLAIM_DELEG_CUR_FH: the delegation the client opens under must be its own, on
    /// that file.
    func checkDelegationClaim(_ id: StateID, client: UInt64, file: FileHandle?) throws(NFSStatus) {
        try checkEpoch(id)
        guard let delegation = delegations[id.other] else { throw unknown(id) }
        guard delegation.client == client, file.map({ $0.inode == delegation.file.inode }) ?? true else { throw .badStateid }
    }

    /// A client's callback path answered, or stopped answering, or is being probed.
    mutating func setCallback(client: UInt64, _ state: CallbackState) { clients[client]?.callback = state }

    /// SEQUENCE's status flags for a client (RFC 8881 §18.46.3): no working callback path, and delegations
    /// revoked that it has not freed yet.
    func sequenceFlags(client: UInt64) -> UInt32 {
        guard let record = clients[client] else { return 0 }
        var flags: UInt32 = 0
        if record.callback == .down { flags |= 0x1 }               // SEQ4_STATUS_CB_PATH_DOWN
        if !record.revokedDelegations.isEmpty { flags |= 0x40 }   // SEQ4_STATUS_RECALLABLE_STATE_REVOKED
        return flags
    }
}
