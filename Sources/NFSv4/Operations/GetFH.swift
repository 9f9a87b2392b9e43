import NIOCore
import XDR

extension Operations {
    static func getfh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        out.xdrOpaque(ctx.server.codec.encode(try ctx.currentHandle()))
    }
}
