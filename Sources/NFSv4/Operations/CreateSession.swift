import NIOCore
import XDR

extension Operations {
    /// CREATE_SESSION (RFC 8881 §18.36). A client asking for CONN_BACK_CHAN gets the connection it asked on
    /// as the session's back channel (probed with CB_NULL); persistence and RDMA are answered cleared.
    static func createSession(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let client = try d.u64()
        let sequence = try d.u32()
        let flags = try d.u32()
        // CREATE_SESSION4_FLAG_PERSIST, CONN_BACK_CHAN, CONN_RDMA; any other bit is INVAL (RFC 8881 §18.36.3).
        guard flags & ~0x7 == 0 else { throw NFSStatus.inval }
        let fore = try ChannelAttributes(decoding: &d)
        let back = try ChannelAttributes(decoding: &d)
        let callbackProgram = try d.u32()
        try skipCallbackSecurity(&d)
        let principal = ctx.principal
        let backChannel = flags & 0x2 != 0 && ctx.connection != nil
        let result = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in
            try t.createSession(client: client, sequence: sequence, fore: fore, back: back, principal: principal,
                                backChannel: backChannel, callbackProgram: callbackProgram, now: monotonicSeconds())
        }
        if backChannel, let connection = ctx.connection {
            ctx.server.setCallback(client: client, .session(result.sessionID, connection, program: callbackProgram))
        } else if ctx.server.callbacks.channel(for: client) == nil {
            ctx.state.with { $0.setCallback(client: client, .down) }
        }
        if let owner = ctx.state.with({ $0.owner(ofClient: client) }) { await ctx.server.clientConfirmed(owner) }
        out.xdrFixedOpaque(result.sessionID.bytes)
        out.xdrU32(result.sequence)
        out.xdrU32(result.flags)
        result.fore.encode(into: &out)
        result.back.encode(into: &out)
    }
}
