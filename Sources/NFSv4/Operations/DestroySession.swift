import NIOCore
import XDR

extension Operations {
    /// DESTROY_SESSION (RFC 8881 §18.37).
    static func destroySession(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let session = SessionID(bytes: try d.fixedOpaque(16))
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.destroySession(session) }
    }
}
