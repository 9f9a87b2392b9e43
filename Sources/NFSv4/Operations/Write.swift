import FileSystem
import NIOCore
import XDR

extension Operations {
    /// WRITE (RFC 8881 §18.32). UNSTABLE4 data is kept in memory until COMMIT, CLOSE or a flush (answered
    /// UNSTABLE4 with the verifier that changes on restart); DATA_SYNC4 and FILE_SYNC4 are durable before the
    /// reply and answered FILE_SYNC4.
    static func write(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let id = try ctx.resolve(try StateID(decoding: &d))
        let offset = try d.u64()
        let how = try d.u32()
        guard let stability = Stability(rawValue: Int(how)) else { throw NFSStatus.badxdr }
        let data = try d.opaqueBuffer(max: NFSProtocol.maxIO)
        let handle = try ctx.currentHandle()
        try await requireRegular(ctx, handle)
        try renewLease(ctx, for: id)
        try await checkIO(ctx, id, handle, write: true)
        try ctx.server.recallConflicting(handle.inode, client: ctx.requester(of: id), write: true)
        let result = try await ctx.gate.write(handle, offset: offset, data, stable: stability)
        out.xdrU32(UInt32(result.count))
        out.xdrU32(UInt32(result.committed.rawValue))
        out.xdrU64(result.verifier)
    }

    /// COMMIT (RFC 8881 §18.3).
    static func commit(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        _ = try d.u64(); _ = try d.u32()
        let handle = try ctx.currentHandle()
        try await requireRegular(ctx, handle)
        out.xdrU64(try await ctx.gate.commit(handle))
    }
}
