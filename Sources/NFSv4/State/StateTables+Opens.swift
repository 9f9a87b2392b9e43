/// OPEN, OPEN_DOWNGRADE, CLOSE and stateid checks (RFC 8881 §8.2, §9, §18.16–18.18).
extension StateTables {
    /// Opens (or upgrades the owner's open of) a file, enforcing share reservations.
    mutating func open(owner: OpenOwner, file: FileHandle, access: UInt32, deny: UInt32, opener: UInt32? = nil) throws(NFSStatus) -> StateID {
        guard access & Share.both != 0, access & ~Share.both == 0, deny & ~Share.both == 0 else { throw .inval }
        for other in opensByFile[file] ?? [] {
            guard let existing = opens[other], existing.owner != owner else { continue }
            if access & existing.deny != 0 || deny & existing.access != 0 { throw .shareDenied }
        }
        if let other = openByOwnerAndFile[owner]?[file], var existing = opens[other] {
            existing.access |= access
            existing.deny |= deny
            existing.opened(access: access, deny: deny)
            existing.stateID.seqid &+= 1
            opens[other] = existing
            return existing.stateID
        }
        if opensByFile[file] == nil {
            openFileEvents.append((file, true))
            hints.openFileEvents.store(true, ordering: .releasing)
        }
        let id = StateID(seqid: 1, other: newOther())
        opens[id.other] = Open(stateID: id, owner: owner, file: file, access: access, deny: deny)
        opens[id.other]!.opener = opener
        openByOwnerAndFile[owner, default: [:]][file] = id.other
        opensByFile[file, default: []].insert(id.other)
        return id
    }

    mutating func openDowngrade(_ id: StateID, access: UInt32, deny: UInt32) throws(NFSStatus) -> StateID {
        var open = try openState(id)
        guard access & Share.both != 0, access & ~open.access == 0, deny & ~open.deny == 0,
              open.accessModes & 1 << access != 0, open.denyModes & 1 << deny != 0 else { throw .inval }
        open.downgraded(access: access, deny: deny)
        open.stateID.seqid &+= 1
        opens[id.other] = open
        return open.stateID
    }

    mutating func close(_ id: StateID) throws(NFSStatus) -> StateID {
        let open = try openState(id)
        for other in open.lockStates {
            if let state = lockStates[other], locks[state.file]?.contains(where: { $0.owner == state.owner }) == true {
                throw .locksHeld
            }
        }
        for other in open.lockStates { if let state = lockStates[other] { removeLockState(other, state) } }
        removeOpen(id.other, open)
        closedOpenOwners.remember(id.other, .open(open.owner))
        var closed = open.stateID
        closed.seqid &+= 1
        return closed
    }

    /// The open a stateid names, with its seqid checked (0 means "the current one" in NFSv4.1).
    func openState(_ id: StateID) throws(NFSStatus) -> Open {
        try checkEpoch(id)
        guard let open = opens[id.other] else { throw unknown(id) }
        try checkSeqid(id, open.stateID)
        return open
    }

    /// Why a stateid of this boot names no open or lock: it belonged to a client whose state was dropped
    /// (EXPIRED), or it never existed or was closed (BAD_STATEID).
    func unknown(_ id: StateID) -> NFSStatus { revokedStates[id.other] != nil ? .expired : .badStateid }

    func checkEpoch(_ id: StateID) throws(NFSStatus) {
        if id.other.epoch != epoch { throw id.isSpecial || id.other.epoch == 0 ? .badStateid : .staleStateid }
    }

    func checkSeqid(_ given: StateID, _ current: StateID) throws(NFSStatus) {
        if given.seqid == 0 { return }
        if given.seqid > current.seqid { throw .badStateid }
        if given.seqid < current.seqid { throw .oldStateid }
    }

    /// May this stateid read (or write) this file? Special stateids are checked against share reservations.
    /// Returns the uid that opened the file (nil for a special or delegation stateid).
    @discardableResult
    func checkIO(_ id: StateID, file: FileHandle, write: Bool) throws(NFSStatus) -> UInt32? {
        if id.isSpecial {
            // All ones bypasses locks for READ; for WRITE it is as the anonymous stateid (as knfsd takes it).
            for other in opensByFile[file] ?? [] {
                guard let open = opens[other] else { continue }
                if open.deny & (write ? Share.write : Share.read) != 0 { throw .locked }
            }
            return nil
        }
        try checkEpoch(id)
        if let delegation = delegations[id.other] {
            guard delegation.file.inode == file.inode else { throw .badStateid }
            if write && !delegation.write { throw .openmode }
            return nil
        }
        let open: Open
        if let direct = opens[id.other] {
            try checkSeqid(id, direct.stateID)
            open = direct
        } else if let lock = lockStates[id.other] {
            try checkSeqid(id, lock.stateID)
            guard let parent = opens[lock.open] else { throw .badStateid }
            open = parent
        } else {
            throw unknown(id)
        }
        guard open.file == file, !unconfirmedOwners.contains(open.owner) else { throw .badStateid }
        if write && open.access & Share.write == 0 { throw .openmode }
        return open.opener
    }

    /// TEST_STATEID's answer for one stateid.
    func test(_ id: StateID) -> NFSStatus {
        do throws(NFSStatus) {
            try checkEpoch(id)
            if let open = opens[id.other] { try checkSeqid(id, open.stateID); return .ok }
            if let lock = lockStates[id.other] { try checkSeqid(id, lock.stateID); return .ok }
            if delegations[id.other] != nil { return .ok }
            if clients.values.contains(where: { $0.revokedDelegations.contains(id.other) }) { return .delegRevoked }
            return unknown(id)
        } catch { return error }
    }

    mutating func free(_ id: StateID) throws(NFSStatus) {
        try checkEpoch(id)
        if opens[id.other] != nil || delegations[id.other] != nil { throw .locksHeld }
        if let holder = clients.first(where: { $0.value.revokedDelegations.contains(id.other) })?.key {
            clients[holder]!.revokedDelegations.remove(id.other)
            return
        }
        guard let lock = lockStates[id.other] else { throw unknown(id) }
        if locks[lock.file]?.contains(where: { $0.owner == lock.owner }) == true { throw .locksHeld }
        removeLockState(id.other, lock)
    }
}
