import FileSystem
import NIOCore
import XDR

extension Operations {
    /// SETATTR (RFC 8881 §18.30). A size change needs a stateid that may write (or an anonymous one that
    /// no share reservation forbids). The result always carries the bitmap of what was set.
    static func setattr(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let stateID = try ctx.resolve(try StateID(decoding: &d))
        let handle = try ctx.currentHandle()
        let (attrs, bitmap): (SetAttributes, AttributeBitmap)
        do { (attrs, bitmap) = try AttributeDecoder.settable(&d) } catch { throw failure(error) }
        if attrs.size != nil {
            do { try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.checkIO(stateID, file: handle, write: true) } }
            catch { throw failure(error) }
        }
        do { try await ctx.gate.setattr(handle, attrs) } catch { throw failure(error) }
        bitmap.encode(into: &out)
    }

    private static func failure(_ error: any Error) -> OperationFailure {
        let status = (error as? NFSStatus) ?? ((error as? FSError).map(NFSStatus.init) ?? .badxdr)
        return OperationFailure(status: status) { AttributeBitmap().encode(into: &$0) }
    }
}
