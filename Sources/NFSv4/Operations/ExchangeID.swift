import NIOCore
import XDR

extension Operations {
    static let flagUseNonPNFS: UInt32 = 0x0001_0000
    static let flagConfirmed: UInt32 = 0x8000_0000
    static let flagUpdateConfirmed: UInt32 = 0x4000_0000
    /// SUPP_MOVED_REFER, SUPP_MOVED_MIGR, SUPP_FENCE_OPS, BIND_PRINC_STATEID, the pNFS roles, UPD_CONFIRMED_REC_A.
    static let argumentFlags: UInt32 = 0x1 | 0x2 | 0x4 | 0x100 | 0x7_0000 | flagUpdateConfirmed

    /// EXCHANGE_ID (RFC 8881 §18.35).
    static func exchangeID(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let verifier = try d.fixedOpaque(8)
        let owner = try d.opaque(max: NFSProtocol.maxOpaque)
        let flags = try d.u32()
        let protection = try d.u32()
        switch protection {
        case 0: break
        case 1:  // SP4_MACH_CRED: accepted, nothing enforced
            _ = try AttributeBitmap(decoding: &d)
            _ = try AttributeBitmap(decoding: &d)
        case 2: throw NFSStatus.notsupp  // SP4_SSV
        default: throw NFSStatus.inval
        }
        _ = try d.array(max: 1) { (d: inout XDRDecoder) throws(XDRError) in
            _ = try d.opaque(max: NFSProtocol.maxOpaque); _ = try d.opaque(max: NFSProtocol.maxOpaque)
            _ = try d.i64(); _ = try d.u32()
        }
        // Flags a client may set (RFC 8881 §18.35.3); others, CONFIRMED_R (a result flag) included, are INVAL.
        guard flags & ~Self.argumentFlags == 0 else { throw NFSStatus.inval }
        let principal = ctx.principal
        let (client, sequence, confirmed) = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            try t.exchangeID(owner: owner, verifier: verifier, principal: principal, update: flags & Self.flagUpdateConfirmed != 0,
                             source: ctx.source, now: monotonicSeconds())
        }
        out.xdrU64(client)
        out.xdrU32(sequence)
        out.xdrU32(flagUseNonPNFS | (confirmed ? flagConfirmed : 0))
        out.xdrU32(protection)
        if protection == 1 { AttributeBitmap().encode(into: &out); AttributeBitmap().encode(into: &out) }
        out.xdrU64(0)                                           // server_owner: minor id
        out.xdrOpaque(Array(ctx.server.configuration.serverOwner.utf8))  // major id
        out.xdrOpaque(Array(ctx.server.configuration.serverOwner.utf8))  // server scope
        out.xdrU32(0)                                           // no implementation id
    }
}
