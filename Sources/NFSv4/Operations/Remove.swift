import NIOCore
import XDR

extension Operations {
    /// REMOVE (RFC 8881 §18.25): files and empty directories alike.
    static func remove(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        let dir = try await ctx.currentDirectory()
        changeInfo(try await ctx.gate.remove(dir, name), into: &out)
    }
}
