import FileSystem
import NIOCore
import XDR

extension Operations {
    /// LOOKUP: the current handle becomes the named child. At the root, the name of one of the file
    /// system's access points (`mount HOST:/fsap-... /mnt`) enters that access point's root directory.
    static func lookup(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        let dir = try await ctx.currentDirectory()
        if let accessPoint = await ctx.gate.accessPoint(named: name, at: dir) {
            let root = try await ctx.gate.enter(accessPoint)
            ctx.current = root
            ctx.currentStateID = nil
            await ctx.refresh()
            try ctx.gate.requireMount(root)
            return
        }
        ctx.current = try await ctx.gate.lookup(dir, name).0
        ctx.currentStateID = nil
    }

    /// LOOKUPP: the parent directory; there is none above the root, nor above an access point's root.
    static func lookupp(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let dir = try await ctx.currentDirectory()
        ctx.current = try await ctx.gate.lookupParent(dir)
        ctx.currentStateID = nil
    }
}
