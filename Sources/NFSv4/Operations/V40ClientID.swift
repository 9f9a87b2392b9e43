import NIOCore
import XDR

extension Operations {
    /// SETCLIENTID (RFC 7530 §16.33). The callback address (TCP only) is kept for when the client id is
    /// confirmed: the server then probes it, and recalls the client's delegations through it.
    static func setClientID(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let verifier = try d.fixedOpaque(8)
        let owner = try d.opaque(max: NFSProtocol.maxOpaque)
        let program = try d.u32()
        let netid = String(decoding: try d.opaque(max: 64), as: UTF8.self)
        let address = String(decoding: try d.opaque(max: 128), as: UTF8.self)
        let ident = try d.u32()
        let (principal, source) = (ctx.principal, ctx.source)
        let callback = ["tcp", "tcp6"].contains(netid) ? CallbackChannel.universalAddress(address).map {
            StateTables.CallbackAddress(host: $0.host, port: $0.port, program: program, ident: ident)
        } : nil
        let (client, confirm) = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            let made = try t.setClientID(owner: owner, verifier: verifier, principal: principal, source: source, now: monotonicSeconds())
            t.clients[made.client]?.callbackAddress = callback
            return made
        }
        out.xdrU64(client)
        out.xdrFixedOpaque(confirm)
    }

    /// SETCLIENTID_CONFIRM (RFC 7530 §16.34).
    static func setClientIDConfirm(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let client = try d.u64()
        let verifier = try d.fixedOpaque(8)
        let (owner, callback) = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            (try t.confirmClientID(client, verifier: verifier, now: monotonicSeconds()), t.clients[client]?.callbackAddress)
        }
        await ctx.server.clientConfirmed(owner)
        if let callback {
            ctx.server.setCallback(client: client, .address(host: callback.host, port: callback.port,
                                                            program: callback.program, ident: callback.ident))
        } else {
            ctx.state.with { $0.setCallback(client: client, .down) }
        }
    }

    /// RENEW (RFC 7530 §16.29).
    static func renew(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let client = try d.u64()
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.renew(client, now: monotonicSeconds()) }
    }

    /// RELEASE_LOCKOWNER (RFC 7530 §16.37).
    static func releaseLockOwner(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let owner = LockOwner(client: try d.u64(), owner: try d.opaque(max: NFSProtocol.maxOpaque))
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            try t.renew(owner.client, now: monotonicSeconds())
            try t.releaseLockOwner(owner)
        }
    }

    /// OPEN_CONFIRM (RFC 7530 §16.18): an open-owner's first OPEN becomes usable.
    static func openConfirm(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let id = try StateID(decoding: &d)
        let seqid = try d.u32()
        _ = try ctx.currentHandle()
        try renewLease(ctx, for: id)
        try sequenced(&ctx, ctx.state.with { $0.ownerKey(ofOpen: id.other) }, seqid, stateID: id)
        let confirmed = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.confirmOpen(id) }
        ctx.currentStateID = confirmed
        confirmed.encode(into: &out)
    }

    /// NFSv4.0 owner sequencing for the running operation (nothing in NFSv4.1, where the session's slot
    /// does this). Returns true when the owner is new. A stateid naming no owner is STALE_STATEID when it is
    /// from an earlier boot (clients start their recovery on that), EXPIRED when its client's state was
    /// dropped, else BAD_STATEID.
    @discardableResult
    static func sequenced(_ ctx: inout CompoundContext, _ key: StateTables.OwnerKey?, _ seqid: UInt32,
                          stateID: StateID? = nil) throws -> Bool {
        guard ctx.minorVersion == 0 else { return false }
        guard let key else {
            guard let stateID else { throw NFSStatus.badStateid }
            throw ctx.state.with { (t: inout StateTables) -> NFSStatus in
                do throws(NFSStatus) { try t.checkEpoch(stateID) } catch { return error }
                return t.unknown(stateID)
            }
        }
        switch try ctx.state.with({ (t: inout StateTables) throws(NFSStatus) in try t.checkOwnerSeqid(key, seqid) }) {
        case .run(let newOwner):
            ctx.sequencedOwner = (key, seqid)
            return newOwner
        case .replay(let status, let reply): throw OwnerReplay(status: status, reply: reply)
        }
    }

    /// NFSv4.0: any operation with a client's stateid renews its lease (RFC 7530 §9.6: the client counts
    /// each as a renewal and times its next RENEW from it), or finds it ran out (EXPIRED).
    static func renewLease(_ ctx: CompoundContext, for id: StateID) throws(NFSStatus) {
        guard ctx.minorVersion == 0 else { return }
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.renewLease(of: id, now: monotonicSeconds()) }
    }
}
