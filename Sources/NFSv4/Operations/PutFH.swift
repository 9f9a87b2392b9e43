import NIOCore
import XDR

extension Operations {
    /// PUTFH: the handle must be one of ours (BADHANDLE) and name a live file of this file system (STALE).
    static func putfh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let raw = try d.opaque(max: NFSProtocol.maxFileHandle)
        let handle: FileHandle
        do { handle = try ctx.server.codec.decode(raw) } catch {
            if ctx.server.trace { ctx.server.logger.info("PUTFH of a handle not ours: \(raw.map { String($0, radix: 16) })") }
            throw error
        }
        _ = try await ctx.gate.type(of: handle)
        ctx.current = handle
        ctx.currentStateID = nil
        await ctx.refresh()
        try ctx.gate.requireMount(handle)
    }

    /// PUTROOTFH and PUTPUBFH: the exported file system's root.
    static func putrootfh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let root = ctx.gate.rootHandle
        ctx.current = root
        ctx.currentStateID = nil
        await ctx.refresh()
        try ctx.gate.requireMount(root)
    }
}
