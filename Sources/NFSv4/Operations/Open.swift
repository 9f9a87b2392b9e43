import FileSystem
import MetadataStore
import NIOCore
import XDR

extension Operations {
    static let resultLockTypePOSIX: UInt32 = 4
    static let resultConfirm: UInt32 = 2

    /// OPEN (RFC 8881 §18.16). Delegations are never granted, so claims that present one are refused as
    /// a server without delegations must: CLAIM_DELEGATE_CUR/DELEG_CUR_FH name a stateid that cannot
    /// exist (BAD_STATEID), and the _PREV claims are NOTSUPP.
    static func open(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let seqid = try d.u32()  // NFSv4.0 only; the session's slot sequences NFSv4.1
        let access = try d.u32() & 0xFF  // the upper bits are delegation wants
        let deny = try d.u32()
        let ownerClient = try d.u64()  // NFSv4.0 only; the session's client is authoritative in NFSv4.1
        let ownerBytes = try d.opaque(max: NFSProtocol.maxOpaque)
        var create: (mode: CreateMode, attrs: SetAttributes, bitmap: AttributeBitmap)?
        switch try d.u32() {
        case 0: break
        case 1:
            switch try d.u32() {
            case 0: let (a, b) = try AttributeDecoder.settable(&d); create = (.unchecked, a, b)
            case 1: let (a, b) = try AttributeDecoder.settable(&d); create = (.guarded, a, b)
            case 2: create = (.exclusive(verifier: try verifier(&d)), SetAttributes(), AttributeBitmap())
            case 3:
                guard ctx.minorVersion == 1 else { throw NFSStatus.inval }  // EXCLUSIVE4_1 is NFSv4.1's
                let v = try verifier(&d)
                let (a, b) = try AttributeDecoder.settable(&d)
                create = (.exclusive(verifier: v), a, b)
            default: throw NFSStatus.badxdr
            }
        default: throw NFSStatus.badxdr
        }
        let claim = try d.u32()
        var name: Name?
        switch claim {
        case 0: name = try Operations.name(&d)
        case 1: guard try d.u32() == 0 else { throw NFSStatus.reclaimBad }  // we never gave a delegation
        case 2: _ = try StateID(decoding: &d); _ = try Operations.name(&d); throw NFSStatus.badStateid
        case 3: _ = try Operations.name(&d); throw NFSStatus.notsupp
        case 4: break
        case 5: throw NFSStatus.notsupp
        case 6: _ = try StateID(decoding: &d); throw NFSStatus.badStateid
        default: throw NFSStatus.badxdr
        }
        let client: UInt64
        var newOwner = false
        if ctx.minorVersion == 0 {
            client = ownerClient
            try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.renew(client, now: monotonicSeconds()) }
            newOwner = try sequenced(&ctx, .open(OpenOwner(client: client, owner: ownerBytes)), seqid)
            if claim >= 4 { throw NFSStatus.badxdr }  // CLAIM_FH and later are NFSv4.1's
        } else {
            guard let session = ctx.client else { throw NFSStatus.opNotInSession }
            client = session
        }
        if create != nil || access & Share.write != 0 { try ctx.requireWrite() }
        let reclaiming = claim == 1
        try ctx.server.checkGrace(client: client, reclaim: reclaiming)
        if create != nil && name == nil { throw NFSStatus.inval }

        var change = DirChange(before: 0, after: 0)
        var attrset = AttributeBitmap()
        var created = false
        let file: Attributes
        if let name {
            let dir = try await ctx.currentDirectory()
            if let create {
                do {
                    let result = try await ctx.fs.create(dir.inode, name, .regular, create.attrs, mode: create.mode, as: ctx.caller)
                    file = result.attributes
                    change = result.directory
                    created = result.created
                    attrset = create.bitmap
                } catch .exists {
                    // An existing directory or other non-file under that name is what OPEN reports below.
                    let existing = try await ctx.fs.lookup(dir.inode, name, as: ctx.caller)
                    if existing.type == .regular { throw NFSStatus.exist }
                    file = existing
                }
            } else {
                file = try await ctx.fs.lookup(dir.inode, name, as: ctx.caller)
                let dirNow = try await ctx.attributes(of: dir)
                change = DirChange(before: dirNow.change, after: dirNow.change)
            }
        } else {
            file = try await ctx.attributes(of: try ctx.currentHandle())
        }
        switch file.type {
        case .regular: break
        case .directory: throw NFSStatus.isdir
        case .symlink: throw NFSStatus.symlink
        default: throw NFSStatus.wrongType
        }
        if !created {
            let rights = try await ctx.fs.access(file.id, as: ctx.caller)
            if access & Share.read != 0 && !rights.contains(.read) { throw NFSStatus.access }
            if access & Share.write != 0 && !rights.contains(.write) { throw NFSStatus.access }
        }
        let handle = ctx.handle(file.id)
        let owner = OpenOwner(client: client, owner: ownerBytes)
        let stateID = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            try t.open(owner: owner, file: handle, access: access, deny: deny)
        }
        // NFSv4.0: a new open-owner confirms its first open (RFC 7530 §16.16.5) — except a reclaim, which
        // proves the owner existed before the restart (clients do not confirm reclaimed opens).
        let needsConfirm = ctx.minorVersion == 0 && ctx.state.with { t -> Bool in
            if reclaiming { t.unconfirmedOwners.remove(owner) } else if newOwner { t.unconfirmedOwners.insert(owner) }
            return t.unconfirmedOwners.contains(owner)
        }
        if reclaiming { ctx.server.logger.info("reclaimed an open of inode \(file.id) (NFSv4.\(ctx.minorVersion))") }
        ctx.current = handle
        ctx.currentStateID = stateID
        stateID.encode(into: &out)
        changeInfo(change, into: &out)
        out.xdrU32(resultLockTypePOSIX | (needsConfirm ? resultConfirm : 0))
        attrset.encode(into: &out)
        out.xdrU32(0)  // OPEN_DELEGATE_NONE
    }

    static func verifier(_ d: inout XDRDecoder) throws -> UInt64 {
        try d.fixedOpaque(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
