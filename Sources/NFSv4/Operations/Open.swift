import FileSystem
import NIOCore
import XDR

extension Operations {
    static let resultLockTypePOSIX: UInt32 = 4
    static let resultConfirm: UInt32 = 2

    /// OPEN (RFC 8881 §18.16). Delegations held by other clients that the open conflicts with are recalled
    /// first (DELAY until they are returned); a client with a working callback path may get one itself.
    /// CLAIM_DELEGATE_CUR/DELEG_CUR_FH open under the client's own delegation (as it does when returning
    /// one); the _PREV claims, for delegations of before a client restart, are NOTSUPP.
    static func open(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let args = try OpenArguments(decoding: &d, minorVersion: ctx.minorVersion)
        var name: Name?
        var underDelegation: StateID?
        switch args.claim {
        case .null(let n): name = n
        // Delegations do not survive a restart: the open is reclaimed and answered without one.
        case .previous(let type): guard type <= 2 else { throw NFSStatus.badxdr }
        case .delegateCurrent(let id, let n): name = n; underDelegation = id
        case .delegateCurrentFH(let id): underDelegation = id
        case .delegatePrevious, .delegatePreviousFH: throw NFSStatus.notsupp
        case .fh: break
        }
        let reclaiming: Bool
        if case .previous = args.claim { reclaiming = true } else { reclaiming = false }
        let client: UInt64
        var newOwner = false
        if ctx.minorVersion == 0 {
            client = args.ownerClient
            try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.renew(client, now: monotonicSeconds()) }
            newOwner = try sequenced(&ctx, .open(OpenOwner(client: client, owner: args.owner)), args.seqid)
            if case .fh = args.claim { throw NFSStatus.badxdr }  // CLAIM_FH and later are NFSv4.1's
        } else {
            guard let session = ctx.client else { throw NFSStatus.opNotInSession }
            client = session
        }
        if let underDelegation {
            try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.checkDelegationClaim(underDelegation, client: client, file: nil) }
        } else {
            try ctx.server.checkGrace(client: client, reclaim: reclaiming)
        }
        if args.creation != nil && name == nil { throw NFSStatus.inval }

        var change = DirChange(before: 0, after: 0)
        var attrset = AttributeBitmap()
        var created = false
        let handle: FileHandle
        let file: Attributes
        if let name {
            let dir = try await ctx.currentDirectory()
            if let creation = args.creation {
                do {
                    let (made, result) = try await ctx.gate.create(dir, name, .regular, creation.attributes, mode: creation.mode)
                    (handle, file) = (made, result.attributes)
                    change = result.directory
                    created = result.created
                    attrset = creation.bitmap
                } catch .exist {
                    // An existing directory or other non-file under that name is what OPEN reports below.
                    let existing = try await ctx.gate.lookup(dir, name)
                    if existing.1.type == .regular { throw NFSStatus.exist }
                    (handle, file) = existing
                }
            } else {
                (handle, file) = try await ctx.gate.lookup(dir, name)
                let dirNow = try await ctx.gate.attributes(of: dir)
                change = DirChange(before: dirNow.change, after: dirNow.change)
            }
        } else {
            handle = try ctx.currentHandle()
            file = try await ctx.gate.attributes(of: handle)
        }
        switch file.type {
        case .regular: break
        case .directory: throw NFSStatus.isdir
        case .symlink: throw NFSStatus.symlink
        // RFC 7530 §16.16.5: NFSv4.0 answers SYMLINK for every other non-regular file; RFC 8881 §18.16.4
        // gave NFSv4.1 WRONG_TYPE for them.
        default: throw ctx.minorVersion == 0 ? NFSStatus.symlink : NFSStatus.wrongType
        }
        if !created {
            try await ctx.gate.authorizeOpen(handle, read: args.access & Share.read != 0, write: args.access & Share.write != 0)
        }
        let (access, deny) = (args.access, args.deny)
        let owner = OpenOwner(client: client, owner: args.owner)
        if let underDelegation {
            try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.checkDelegationClaim(underDelegation, client: client, file: handle) }
        }
        try ctx.server.recallConflicting(handle.inode, client: client, write: access & Share.write != 0 || deny != 0)
        await ctx.server.revokeExpiredHolders(of: handle)
        let (opener, minorVersion, configuration) = (ctx.gate.rpcCaller.uid, ctx.minorVersion, ctx.server.configuration)
        // The open, whether it must be confirmed and whether it comes with a delegation: one transition.
        let (stateID, needsConfirm, delegation) = try ctx.state.with {
            (t: inout StateTables) throws(NFSStatus) -> (StateID, Bool, DelegationAnswer) in
            let stateID = try t.open(owner: owner, file: handle, access: access, deny: deny, opener: opener)
            // NFSv4.0: a new open-owner confirms its first open (RFC 7530 §16.16.5) — except a reclaim, which
            // proves the owner existed before the restart (clients do not confirm reclaimed opens).
            let needsConfirm = minorVersion == 0 && t.openNeedsConfirm(owner, newOwner: newOwner, reclaiming: reclaiming)
            var delegation = DelegationAnswer.none
            if configuration.readDelegations && !reclaiming && underDelegation == nil && !needsConfirm {
                delegation = t.delegation(for: client, file: handle, access: access, deny: deny, want: args.want,
                                          writeDelegations: configuration.writeDelegations, change: file.change, now: monotonicSeconds())
            } else if let want = args.want {
                delegation = want == .noPreference ? .none : .declined(want == .none ? .notWanted : .resource)
            }
            return (stateID, needsConfirm, delegation)
        }
        await ctx.server.settleOpenFiles()
        if reclaiming { ctx.server.logger.info("reclaimed an open of inode \(file.id) (NFSv4.\(minorVersion))") }
        ctx.current = handle
        ctx.currentStateID = stateID
        stateID.encode(into: &out)
        changeInfo(change, into: &out)
        out.xdrU32(resultLockTypePOSIX | (needsConfirm ? resultConfirm : 0))
        attrset.encode(into: &out)
        encode(delegation, into: &out)
    }

    /// open_delegation4. A granted delegation carries an empty ACE (the client asks ACCESS itself) and, for
    /// a write one, no space limit.
    static func encode(_ delegation: DelegationAnswer, into out: inout ByteBuffer) {
        func noPermissions() { out.xdrU32(0); out.xdrU32(0); out.xdrU32(0); out.xdrString("") }
        switch delegation {
        case .none: out.xdrU32(0)
        case .read(let id):
            out.xdrU32(1); id.encode(into: &out); out.xdrBool(false); noPermissions()
        case .write(let id):
            out.xdrU32(2); id.encode(into: &out); out.xdrBool(false)
            out.xdrU32(1); out.xdrU64(.max)  // NFS_LIMIT_SIZE: unlimited
            noPermissions()
        case .declined(let why):
            out.xdrU32(3); out.xdrU32(why.rawValue)
            if why == .contention || why == .resource { out.xdrBool(false) }  // will not push or signal
        }
    }

    static func verifier(_ d: inout XDRDecoder) throws -> UInt64 {
        try d.fixedOpaque(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
