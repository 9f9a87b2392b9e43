import NIOCore
import XDR

extension Operations {
    static let flagUseNonPNFS: UInt32 = 0x0001_0000
    static let flagConfirmed: UInt32 = 0x8000_0000

    /// EXCHANGE_ID (RFC 8881 §18.35).
    static func exchangeID(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let verifier = try d.fixedOpaque(8)
        let owner = try d.opaque(max: NFSProtocol.maxOpaque)
        _ = try d.u32()  // flags
        let protection = try d.u32()
        switch protection {
        case 0: break
        case 1:  // SP4_MACH_CRED: accepted, nothing enforced
            _ = try AttributeBitmap(decoding: &d)
            _ = try AttributeBitmap(decoding: &d)
        default: throw NFSStatus.notsupp
        }
        _ = try d.array(max: 1) { (d: inout XDRDecoder) throws(XDRError) in
            _ = try d.opaque(max: NFSProtocol.maxOpaque); _ = try d.opaque(max: NFSProtocol.maxOpaque)
            _ = try d.i64(); _ = try d.u32()
        }
        let (client, sequence, confirmed) = ctx.state.with {
            $0.exchangeID(owner: owner, verifier: verifier, source: ctx.source, now: monotonicSeconds())
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
