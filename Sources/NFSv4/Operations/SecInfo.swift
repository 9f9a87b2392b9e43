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

    /// SECINFO_NO_NAME (RFC 8881 §18.45): of the current directory, or (SECINFO_STYLE4_PARENT) of its parent,
    /// which the root does not have (NOENT, §18.45.3).
    static func secinfoNoName(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let style = try d.u32()
        guard style <= 1 else { throw NFSStatus.inval }
        if style == 1 { _ = try await ctx.gate.lookupParent(try await ctx.currentDirectory()) } else { _ = try ctx.currentHandle() }
        ctx.current = nil
        encodeFlavors(into: &out)
    }

    private static func encodeFlavors(into out: inout ByteBuffer) {
        out.xdrU32(1)
        out.xdrU32(1)  // AUTH_SYS
    }
}
