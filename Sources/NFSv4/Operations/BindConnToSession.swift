import NIOCore
import XDR

extension Operations {
    /// BIND_CONN_TO_SESSION (RFC 8881 §18.34): the connection carries the fore channel, and the back channel
    /// too when the client asks for it (a client restores its callback path this way).
    static func bindConnToSession(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let bytes = try d.fixedOpaque(16)
        let direction = try d.u32()
        _ = try d.bool()
        // CDFC4_FORE, CDFC4_BACK, CDFC4_FORE_OR_BOTH, CDFC4_BACK_OR_BOTH.
        guard [1, 2, 3, 7].contains(direction) else { throw NFSStatus.inval }
        let session = SessionID(bytes: bytes)
        guard let target = ctx.state.with({ $0.callbackTarget(of: session) }) else { throw NFSStatus.badsession }
        var answered: UInt32 = 1  // CDFS4_FORE
        if direction != 1, let connection = ctx.connection {
            ctx.server.setCallback(client: target.client, .session(session, connection, program: target.program))
            answered = direction == 2 ? 2 : 3  // CDFS4_BACK, CDFS4_BOTH
        }
        out.xdrFixedOpaque(bytes)
        out.xdrU32(answered)
        out.xdrBool(false)
    }

    /// BACKCHANNEL_CTL (RFC 8881 §18.33): a new program number (and security, of which AUTH_SYS and
    /// AUTH_NONE are used as they are) for the session's callbacks.
    static func backchannelCtl(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let program = try d.u32()
        try skipCallbackSecurity(&d)
        guard let session = ctx.session else { throw NFSStatus.opNotInSession }
        ctx.state.with { $0.setCallbackProgram(program, session: session) }
        if let client = ctx.client, let connection = ctx.connection {
            ctx.server.setCallback(client: client, .session(session, connection, program: program))
        }
    }

    /// callback_sec_parms4<>: AUTH_NONE, AUTH_SYS or RPCSEC_GSS entries, read past.
    static func skipCallbackSecurity(_ d: inout XDRDecoder) throws {
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
    }
}
