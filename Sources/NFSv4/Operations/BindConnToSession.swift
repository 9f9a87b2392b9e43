import NIOCore
import XDR

extension Operations {
    /// BIND_CONN_TO_SESSION (RFC 8881 §18.34): any connection may carry the fore channel; there is no back channel.
    static func bindConnToSession(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let bytes = try d.fixedOpaque(16)
        let direction = try d.u32()
        _ = try d.bool()
        guard [1, 2, 3, 7].contains(direction) else { throw NFSStatus.inval }
        guard ctx.state.with({ $0.sessionExists(SessionID(bytes: bytes)) }) else { throw NFSStatus.badsession }
        if direction == 2 { throw NFSStatus.inval }  // back channel only: not offered
        out.xdrFixedOpaque(bytes)
        out.xdrU32(1)  // CDFS4_FORE
        out.xdrBool(false)
    }
}
