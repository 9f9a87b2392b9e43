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
        try renewLease(ctx, for: id)
        try await checkIO(ctx, id, handle, write: false)
        // Only a write delegation conflicts with a read.
        if ctx.server.configuration.writeDelegations {
            try ctx.server.recallConflicting(handle.inode, client: ctx.requester(of: id), write: false)
        }
        let (data, eof) = try await ctx.gate.read(handle, offset: offset, count: count)
        out.xdrBool(eof)
        guard ctx.isLastOperation, data.readableBytes > 4096 else { out.xdrOpaque(data); return }
        // The data ends the reply: it goes out as it came from the block store, after the results. Sending it
        // from the block's file instead (a FileRegion, sendfile: no pread copy) was tried and lost 3 of 4
        // alternated 1 GiB reads (2.2-2.8 GB/s against 2.4-3.8): over loopback the client's copy bounds it.
        out.xdrU32(UInt32(data.readableBytes))
        ctx.tail = [data]
        let padding = (4 - data.readableBytes % 4) % 4
        if padding > 0 { ctx.tail.append(ByteBuffer(repeating: 0, count: padding)) }
    }

    /// May `id` read (or write) `handle`? A share reservation that refuses it but belongs to a client whose
    /// lease ran out is revoked first (courtesy ends at a conflict), and the check made again. Another
    /// principal than the one who opened the file (a stolen stateid) needs the mode bits' permission too.
    static func checkIO(_ ctx: CompoundContext, _ id: StateID, _ handle: FileHandle, write: Bool) async throws {
        let check = { (t: inout StateTables) throws(NFSStatus) -> UInt32? in try t.checkIO(id, file: handle, write: write) }
        let opener: UInt32?
        do {
            opener = try ctx.state.with(check)
        } catch .locked {
            await ctx.server.revokeExpiredHolders(of: handle)
            opener = try ctx.state.with(check)
        }
        guard let opener, opener != ctx.gate.rpcCaller.uid else { return }
        if !(try await ctx.gate.rights(handle)).contains(write ? .write : .read) { throw NFSStatus.access }
    }

    /// The current object must be a regular file (ISDIR / SYMLINK / INVAL otherwise).
    static func requireRegular(_ ctx: CompoundContext, _ handle: FileHandle) async throws {
        switch try await ctx.gate.type(of: handle) {
        case .regular: return
        case .directory: throw NFSStatus.isdir
        case .symlink: throw NFSStatus.symlink
        default: throw NFSStatus.inval
        }
    }
}
