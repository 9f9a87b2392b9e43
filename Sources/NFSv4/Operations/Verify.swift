import FileSystem
import NIOCore
import XDR

extension Operations {
    /// VERIFY (wantSame) and NVERIFY: compare the client's attribute values with ours, byte for byte.
    static func verify(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer, wantSame: Bool) async throws {
        let bitmap = try AttributeBitmap(decoding: &d)
        let theirs = try d.opaqueBuffer(max: 64 * 1024)
        if !bitmap.subtracting(Attr.supported).isEmpty { throw NFSStatus.attrnotsupp }
        if bitmap.contains(Attr.rdattrError) || !bitmap.intersection(Attr.writeOnly).isEmpty { throw NFSStatus.inval }
        let handle = try ctx.currentHandle()
        let attributes = try await ctx.gate.attributes(of: handle)
        let ours = AttributeEncoder.values(bitmap, try await attributeSource(ctx, handle, attributes, bitmap))
        let same = ours == theirs
        if wantSame && !same { throw NFSStatus.notSame }
        if !wantSame && same { throw NFSStatus.same }
    }
}
