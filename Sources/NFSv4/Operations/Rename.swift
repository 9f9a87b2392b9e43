import NIOCore
import XDR

extension Operations {
    /// RENAME (RFC 8881 §18.26): from the saved directory to the current one.
    static func rename(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let old = try name(&d)
        let new = try name(&d)
        guard let saved = ctx.saved else { throw NFSStatus.nofilehandle }
        let target = try await ctx.currentDirectory()
        let source = saved
        guard source.fileSystem == target.fileSystem else { throw NFSStatus.xdev }
        let sourceType = try await ctx.gate.type(of: source)
        guard sourceType == .directory else { throw NFSStatus.notdir }
        try await recallDelegations(ctx, of: old, in: source)
        try await recallDelegations(ctx, of: new, in: target)
        let result = try await ctx.gate.rename(source, old, to: target, new)
        changeInfo(result.source, into: &out)
        changeInfo(result.target, into: &out)
    }
}
