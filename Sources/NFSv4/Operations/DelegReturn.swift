import NIOCore
import XDR

extension Operations {
    /// DELEGRETURN (RFC 8881 §18.6): the client gives a delegation back (after a recall, or on its own).
    static func delegReturn(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let id = try ctx.resolve(try StateID(decoding: &d))
        _ = try ctx.currentHandle()
        try renewLease(ctx, for: id)
        let client = ctx.client
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.returnDelegation(id, client: client) }
    }
}
