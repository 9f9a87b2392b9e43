import NIOCore
import XDR

extension Operations {
    /// RECLAIM_COMPLETE (RFC 8881 §18.51).
    static func reclaimComplete(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let oneFS = try d.bool()
        guard let client = ctx.client else { throw NFSStatus.opNotInSession }
        if oneFS { return }  // per-file-system completion: the global one is what matters here
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.reclaimComplete(client: client, now: monotonicSeconds()) }
    }
}
