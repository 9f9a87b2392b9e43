/// Byte-range locks (RFC 8881 §18.10–18.12): POSIX semantics per lock-owner; ranges of one owner are
/// replaced, split and merged, and a conflicting range of another owner is reported with its holder.
struct LockDenied: Error, Sendable, Equatable {
    var owner: LockOwner
    var write: Bool
    var start: UInt64
    var end: UInt64
    var length: UInt64 { end == .max ? .max : end - start }
}

enum LockRequester {
    case newOwner(open: StateID, owner: [UInt8])
    case existing(StateID)
}

extension StateTables {
    static func range(offset: UInt64, length: UInt64) throws(NFSStatus) -> (UInt64, UInt64) {
        guard length > 0 else { throw .inval }
        if length == .max { return (offset, .max) }
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow else { throw .inval }
        return (offset, end)
    }

    func conflict(file: FileHandle, owner: LockOwner, write: Bool, start: UInt64, end: UInt64) -> LockDenied? {
        guard let held = locks[file]?.first(where: { $0.owner != owner && $0.overlaps(start, end) && ($0.write || write) }) else {
            return nil
        }
        return LockDenied(owner: held.owner, write: held.write, start: held.start, end: held.end)
    }

    /// LOCK: returns the lock stateid, or throws LockDenied / NFSStatus.
    mutating func lock(_ requester: LockRequester, file: FileHandle, type: LockType, offset: UInt64, length: UInt64) throws -> StateID {
        let (start, end) = try Self.range(offset: offset, length: length)
        var state: LockState
        switch requester {
        case .newOwner(let openID, let ownerBytes):
            let open = try openState(openID)
            guard open.file == file else { throw NFSStatus.badStateid }
            let owner = LockOwner(client: open.owner.client, owner: ownerBytes)
            if let other = lockStateByOwnerAndFile[owner]?[file], let existing = lockStates[other] {
                state = existing
            } else {
                state = LockState(stateID: StateID(seqid: 0, other: newOther()), owner: owner, file: file, open: open.stateID.other)
            }
        case .existing(let id):
            try checkEpoch(id)
            guard let existing = lockStates[id.other] else { throw unknown(id) }
            try checkSeqid(id, existing.stateID)
            guard existing.file == file else { throw NFSStatus.badStateid }
            state = existing
        }
        if let denied = conflict(file: file, owner: state.owner, write: type.isWrite, start: start, end: end) { throw denied }
        var ranges = Self.subtract(locks[file] ?? [], owner: state.owner, start: start, end: end)
        ranges.append(LockRange(owner: state.owner, write: type.isWrite, start: start, end: end))
        locks[file] = Self.merged(ranges, owner: state.owner)
        state.stateID.seqid &+= 1
        lockStates[state.stateID.other] = state
        lockStateByOwnerAndFile[state.owner, default: [:]][file] = state.stateID.other
        opens[state.open]?.lockStates.insert(state.stateID.other)
        return state.stateID
    }

    mutating func unlock(_ id: StateID, file: FileHandle, offset: UInt64, length: UInt64) throws(NFSStatus) -> StateID {
        let (start, end) = try Self.range(offset: offset, length: length)
        try checkEpoch(id)
        guard var state = lockStates[id.other] else { throw unknown(id) }
        try checkSeqid(id, state.stateID)
        guard state.file == file else { throw .badStateid }
        locks[file] = Self.subtract(locks[file] ?? [], owner: state.owner, start: start, end: end)
        if locks[file]?.isEmpty == true { locks[file] = nil }
        state.stateID.seqid &+= 1
        lockStates[id.other] = state
        return state.stateID
    }

    func testLock(file: FileHandle, owner: LockOwner, type: LockType, offset: UInt64, length: UInt64) throws(NFSStatus) -> LockDenied? {
        let (start, end) = try Self.range(offset: offset, length: length)
        return conflict(file: file, owner: owner, write: type.isWrite, start: start, end: end)
    }

    /// Removes [start, end) from `owner`'s ranges, splitting ranges that straddle it.
    static func subtract(_ ranges: [LockRange], owner: LockOwner, start: UInt64, end: UInt64) -> [LockRange] {
        var out: [LockRange] = []
        for r in ranges {
            guard r.owner == owner, r.overlaps(start, end) else { out.append(r); continue }
            if r.start < start { out.append(LockRange(owner: owner, write: r.write, start: r.start, end: start)) }
            if r.end > end { out.append(LockRange(owner: owner, write: r.write, start: end, end: r.end)) }
        }
        return out
    }

    /// Joins `owner`'s adjacent or overlapping ranges of the same type.
    static func merged(_ ranges: [LockRange], owner: LockOwner) -> [LockRange] {
        let others = ranges.filter { $0.owner != owner }
        var mine = ranges.filter { $0.owner == owner }.sorted { $0.start < $1.start }
        var out: [LockRange] = []
        while !mine.isEmpty {
            var current = mine.removeFirst()
            while let next = mine.first, next.write == current.write, next.start <= current.end {
                current.end = max(current.end, next.end)
                mine.removeFirst()
            }
            out.append(current)
        }
        return others + out
    }
}
