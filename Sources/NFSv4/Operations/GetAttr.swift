import NIOCore
import XDR

extension Operations {
    static func getattr(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let requested = try AttributeBitmap(decoding: &d)
        let handle = try ctx.currentHandle()
        let attributes = try await ctx.gate.attributes(of: handle)
        try await encodeAttributes(ctx, handle, attributes, requested, into: &out)
    }
}
