import NIOCore
import XDR

extension Operations {
    static func savefh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        ctx.saved = try ctx.currentHandle()
        ctx.savedStateID = ctx.currentStateID
    }

    static func restorefh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        guard let saved = ctx.saved else { throw NFSStatus.restorefh }
        ctx.current = saved
        ctx.currentStateID = ctx.savedStateID
    }
}
