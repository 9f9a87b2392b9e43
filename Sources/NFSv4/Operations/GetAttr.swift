import NIOCore
import XDR

extension Operations {
    /// GETATTR (RFC 8881 §18.7): attributes the server does not know are left out of the answer (a newer
    /// client may ask for them); write-only ones (time_access_set, time_modify_set) cannot be read: INVAL.
    static func getattr(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let requested = try AttributeBitmap(decoding: &d)
        if !requested.intersection(Attr.writeOnly).isEmpty { throw NFSStatus.inval }
        let handle = try ctx.currentHandle()
        var attributes = try await ctx.gate.attributes(of: handle)
        if ctx.server.configuration.writeDelegations && (requested.contains(Attr.size) || requested.contains(Attr.change)) {
            await ctx.server.holderAttributes(of: handle, for: ctx.requester, into: &attributes)
        }
        try await encodeAttributes(ctx, handle, attributes, requested, into: &out)
    }
}
