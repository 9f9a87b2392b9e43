import NIOCore
import XDR

extension Operations {
    /// LOCK (RFC 8881 §18.10). A conflict is NFS4ERR_DENIED with the holder's range and owner; blocking
    /// lock types behave the same (the client polls).
    static func lock(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        guard let type = LockType(rawValue: try d.u32()) else { throw NFSStatus.badxdr }
        let reclaim = try d.bool()
        let offset = try d.u64(), length = try d.u64()
        let requester: LockRequester
        let ownerKey: StateTables.OwnerKey?
        let seqid: UInt32
        let stateForClient: StateID
        var newLockOwner: (LockOwner, seqid: UInt32)?
        if try d.bool() {
            let openSeqid = try d.u32()
            let open = try ctx.resolve(try StateID(decoding: &d))
            let lockSeqid = try d.u32()
            let ownerClient = try d.u64()
            let ownerBytes = try d.opaque(max: NFSProtocol.maxOpaque)
            requester = .newOwner(open: open, owner: ownerBytes)
            // NFSv4.0: a new lock-owner's first LOCK is sequenced by its open-owner (RFC 7530 §16.10.5); the
            // lock-owner's own seqid starts where this one says, and its client must be one we know.
            if ctx.minorVersion == 0 {
                try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.renew(ownerClient, now: monotonicSeconds()) }
                newLockOwner = (LockOwner(client: ownerClient, owner: ownerBytes), lockSeqid)
            }
            ownerKey = ctx.state.with { $0.ownerKey(ofOpen: open.other) }
            seqid = openSeqid
            stateForClient = open
        } else {
            let existing = try ctx.resolve(try StateID(decoding: &d))
            seqid = try d.u32()
            requester = .existing(existing)
            ownerKey = ctx.state.with { $0.ownerKey(ofLock: existing.other) }
            stateForClient = existing
        }
        try renewLease(ctx, for: stateForClient)
        try sequenced(&ctx, ownerKey, seqid, stateID: stateForClient)
        let lockClient = ctx.client ?? ctx.state.with { $0.client(of: stateForClient) } ?? 0
        try ctx.server.checkGrace(client: lockClient, reclaim: reclaim)
        let handle = try ctx.currentHandle()
        try await requireRegular(ctx, handle)
        await ctx.server.revokeExpiredHolders(of: handle)
        let id = try ctx.state.with { (t: inout StateTables) throws -> StateID in
            try t.lock(requester, file: handle, type: type, offset: offset, length: length)
        }
        if reclaim { ctx.server.logger.info("reclaimed a lock on inode \(handle.inode) [\(offset), +\(length))") }
        if let (owner, lockSeqid) = newLockOwner { ctx.newLockOwner = (.lock(owner), lockSeqid) }
        ctx.currentStateID = id
        id.encode(into: &out)
    }

    /// LOCKT (RFC 8881 §18.11).
    static func lockt(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        guard let type = LockType(rawValue: try d.u32()) else { throw NFSStatus.badxdr }
        let offset = try d.u64(), length = try d.u64()
        let ownerClient = try d.u64()
        let ownerBytes = try d.opaque(max: NFSProtocol.maxOpaque)
        let client: UInt64
        if ctx.minorVersion == 0 {
            client = ownerClient
            try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.renew(client, now: monotonicSeconds()) }
        } else {
            guard let session = ctx.client else { throw NFSStatus.opNotInSession }
            client = session
        }
        if ctx.state.inGrace { throw NFSStatus.grace }
        let handle = try ctx.currentHandle()
        try await requireRegular(ctx, handle)
        let owner = LockOwner(client: client, owner: ownerBytes)
        await ctx.server.revokeExpiredHolders(of: handle)
        if let denied = try ctx.state.with({ (t: inout StateTables) throws(NFSStatus) in
            try t.testLock(file: handle, owner: owner, type: type, offset: offset, length: length)
        }) { throw denied }
    }

    /// LOCKU (RFC 8881 §18.12).
    static func locku(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        guard LockType(rawValue: try d.u32()) != nil else { throw NFSStatus.badxdr }
        let seqid = try d.u32()
        let id = try ctx.resolve(try StateID(decoding: &d))
        let offset = try d.u64(), length = try d.u64()
        let handle = try ctx.currentHandle()
        try renewLease(ctx, for: id)
        try sequenced(&ctx, ctx.state.with { $0.ownerKey(ofLock: id.other) }, seqid, stateID: id)
        let unlocked = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            try t.unlock(id, file: handle, offset: offset, length: length)
        }
        ctx.currentStateID = unlocked
        unlocked.encode(into: &out)
    }
}
