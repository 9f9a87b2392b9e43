import NIOCore
import XDR

extension Operations {
    /// LINK (RFC 8881 §18.9): a new name in the current directory for the saved file.
    static func link(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        guard let saved = ctx.saved else { throw NFSStatus.nofilehandle }
        let dir = try await ctx.currentDirectory()
        guard saved.fileSystem == dir.fileSystem else { throw NFSStatus.xdev }
        let sourceType = try await ctx.gate.type(of: saved)
        if sourceType == .directory { throw NFSStatus.isdir }
        changeInfo(try await ctx.gate.link(saved, into: dir, name), into: &out)
    }
}
