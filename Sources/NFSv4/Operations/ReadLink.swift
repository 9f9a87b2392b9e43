import NIOCore
import XDR

extension Operations {
    static func readlink(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let handle = try ctx.currentHandle()
        guard try await ctx.gate.type(of: handle) == .symlink else { throw NFSStatus.inval }
        out.xdrOpaque(try await ctx.gate.readlink(handle))
    }
}
