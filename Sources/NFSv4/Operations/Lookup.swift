import FileSystem
import NIOCore
import XDR

extension Operations {
    /// LOOKUP: the current handle becomes the named child.
    static func lookup(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        let dir = try await ctx.currentDirectory()
        let found = try await ctx.fs.lookup(dir.inode, name, as: ctx.caller)
        ctx.current = ctx.handle(found.id)
        ctx.currentStateID = nil
    }

    /// LOOKUPP: the parent directory; there is none above the root (NOENT).
    static func lookupp(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let dir = try await ctx.currentDirectory()
        guard dir.inode != ctx.fs.root else { throw NFSStatus.noent }
        let parent = try await ctx.fs.lookupParent(dir.inode, as: ctx.caller)
        ctx.current = ctx.handle(parent.id)
        ctx.currentStateID = nil
    }
}
