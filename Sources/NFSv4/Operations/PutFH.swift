import NIOCore
import XDR

extension Operations {
    /// PUTFH: the handle must be one of ours (BADHANDLE) and name a live file of this file system (STALE).
    static func putfh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let raw = try d.opaque(max: NFSProtocol.maxFileHandle)
        let handle = try FileHandle(bytes: raw)
        _ = try await ctx.attributes(of: handle)
        ctx.current = handle
        ctx.currentStateID = nil
    }

    /// PUTROOTFH and PUTPUBFH: the exported file system's root.
    static func putrootfh(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) {
        ctx.current = ctx.handle(ctx.fs.root)
        ctx.currentStateID = nil
    }
}
