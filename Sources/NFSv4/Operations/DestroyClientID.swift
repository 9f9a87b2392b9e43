import NIOCore
import XDR

extension Operations {
    /// DESTROY_CLIENTID (RFC 8881 §18.50): refused while the client still has sessions.
    static func destroyClientID(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let client = try d.u64()
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.destroyClient(client) }
    }
}
