import NIOCore
import XDR

extension Operations {
    /// CREATE_SESSION (RFC 8881 §18.36). Only the fore channel is served: no callbacks, so every flag
    /// (persistence, back channel, RDMA) is answered cleared.
    static func createSession(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let client = try d.u64()
        let sequence = try d.u32()
        let flags = try d.u32()
        // CREATE_SESSION4_FLAG_PERSIST, CONN_BACK_CHAN, CONN_RDMA; any other bit is INVAL (RFC 8881 §18.36.3).
        guard flags & ~0x7 == 0 else { throw NFSStatus.inval }
        let fore = try ChannelAttributes(decoding: &d)
        let back = try ChannelAttributes(decoding: &d)
        _ = try d.u32()  // callback program
        _ = try d.array(max: 16) { (d: inout XDRDecoder) throws(XDRError) in
            switch try d.u32() {
            case 0: break
            case 1:
                _ = try d.u32(); _ = try d.opaque(max: 255); _ = try d.u32(); _ = try d.u32()
                _ = try d.array(max: 16) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() }
            case 6:
                _ = try d.u32(); _ = try d.opaque(max: NFSProtocol.maxOpaque); _ = try d.opaque(max: NFSProtocol.maxOpaque)
            default: throw XDRError.invalid("callback security flavor")
            }
        }
        let principal = ctx.principal
        let result = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            try t.createSession(client: client, sequence: sequence, fore: fore, back: back, principal: principal, now: monotonicSeconds())
        }
        if let owner = ctx.state.with({ $0.owner(ofClient: client) }) { await ctx.server.clientConfirmed(owner) }
        out.xdrFixedOpaque(result.sessionID.bytes)
        out.xdrU32(result.sequence)
        out.xdrU32(result.flags)
        result.fore.encode(into: &out)
        result.back.encode(into: &out)
    }
}
