import NIOCore
import XDR

extension Operations {
    /// SECINFO (RFC 8881 §18.29): AUTH_SYS is what is served. Consumes the current file handle.
    static func secinfo(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        let dir = try await ctx.currentDirectory()
        _ = try await ctx.gate.lookup(dir, name)
        ctx.current = nil
        encodeFlavors(into: &out)
    }

    /// SECINFO_NO_NAME (RFC 8881 §18.45).
    static func secinfoNoName(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        guard try d.u32() <= 1 else { throw NFSStatus.inval }
        _ = try ctx.currentHandle()
        ctx.current = nil
        encodeFlavors(into: &out)
    }

    private static func encodeFlavors(into out: inout ByteBuffer) {
        out.xdrU32(1)
        out.xdrU32(1)  // AUTH_SYS
    }
}
