import NIOCore
import XDR

extension Operations {
    /// CLOSE (RFC 8881 §18.2). Unstable writes to the file become durable first: close-to-open, and the
    /// promise that data is safe once a file is closed, both rest on it.
    static func close(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let seqid = try d.u32()
        let id = try ctx.resolve(try StateID(decoding: &d))
        let handle = try ctx.currentHandle()
        try renewLease(ctx, for: id)
        try sequenced(&ctx, ctx.state.with { $0.ownerKey(ofOpen: id.other) }, seqid, stateID: id)
        _ = try await ctx.gate.commit(handle)
        let closed = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) -> StateID in
            guard try t.openState(id).file == handle else { throw .badStateid }
            return try t.close(id)
        }
        closed.encode(into: &out)
    }

    /// OPEN_DOWNGRADE (RFC 8881 §18.18).
    static func openDowngrade(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let id = try ctx.resolve(try StateID(decoding: &d))
        let seqid = try d.u32()
        let access = try d.u32() & 0xFF, deny = try d.u32()
        let handle = try ctx.currentHandle()
        try renewLease(ctx, for: id)
        try sequenced(&ctx, ctx.state.with { $0.ownerKey(ofOpen: id.other) }, seqid, stateID: id)
        let lowered = try ctx.state.with { (t: inout StateTables) throws(NFSStatus) -> StateID in
            guard try t.openState(id).file == handle else { throw .badStateid }
            return try t.openDowngrade(id, access: access, deny: deny)
        }
        ctx.currentStateID = lowered
        lowered.encode(into: &out)
    }
}
