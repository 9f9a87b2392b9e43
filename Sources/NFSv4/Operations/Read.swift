import FileSystem
import NIOCore
import XDR

extension Operations {
    /// READ (RFC 8881 §18.22); counts above the 1 MiB maximum are cut to it.
    static func read(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let id = try ctx.resolve(try StateID(decoding: &d))
        let offset = try d.u64()
        let count = min(Int(try d.u32()), NFSProtocol.maxIO)
        let handle = try ctx.currentHandle()
        try await requireRegular(ctx, handle)
        renewLease(ctx, for: id)
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.checkIO(id, file: handle, write: false) }
        let (data, eof) = try await ctx.fs.read(handle.inode, offset: offset, count: count)
        out.xdrBool(eof)
        out.xdrOpaque(data)
    }

    /// The current object must be a regular file (ISDIR / SYMLINK / INVAL otherwise).
    static func requireRegular(_ ctx: CompoundContext, _ handle: FileHandle) async throws {
        switch try await ctx.attributes(of: handle).type {
        case .regular: return
        case .directory: throw NFSStatus.isdir
        case .symlink: throw NFSStatus.symlink
        default: throw NFSStatus.inval
        }
    }
}
