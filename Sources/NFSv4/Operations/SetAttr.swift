import FileSystem
import NIOCore
import XDR

extension Operations {
    /// SETATTR (RFC 8881 §18.30). A size change needs a stateid that may write (or an anonymous one that
    /// no share reservation forbids). The result always carries the bitmap of what was set.
    /// Every failure, however early (no current handle included), carries the empty attrsset the result
    /// always has: a status alone would be a malformed reply.
    static func setattr(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        do {
            let stateID = try ctx.resolve(try StateID(decoding: &d))
            let (attrs, bitmap) = try AttributeDecoder.settable(&d)
            let handle = try ctx.currentHandle()
            if !stateID.isSpecial { try renewLease(ctx, for: stateID) }
            if attrs.size != nil {
                try await checkIO(ctx, stateID, handle, write: true)
            }
            try ctx.server.recallConflicting(handle.inode, client: ctx.requester(of: stateID), write: true)
            try await ctx.gate.setattr(handle, attrs)
            bitmap.encode(into: &out)
        } catch {
            throw failure(error)
        }
    }

    private static func failure(_ error: any Error) -> OperationFailure {
        let status = (error as? NFSStatus) ?? ((error as? FSError).map(NFSStatus.init) ?? .badxdr)
        return OperationFailure(status: status) { AttributeBitmap().encode(into: &$0) }
    }
}
