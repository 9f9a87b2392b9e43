import FileSystem
import NIOCore
import XDR

/// Decodes the settable part of fattr4 (SETATTR, CREATE and OPEN create attributes).
enum AttributeDecoder {
    /// Returns the attributes to set and the bitmap of what was given. Unsupported attributes are
    /// NFS4ERR_ATTRNOTSUPP; supported but read-only ones are NFS4ERR_INVAL.
    static func settable(_ d: inout XDRDecoder) throws -> (SetAttributes, AttributeBitmap) {
        let bitmap = try AttributeBitmap(decoding: &d)
        var values = XDRDecoder(try d.opaqueBuffer(max: 64 * 1024))
        if !bitmap.subtracting(Attr.supported).isEmpty { throw NFSStatus.attrnotsupp }
        if !bitmap.subtracting(Attr.settable).isEmpty { throw NFSStatus.inval }
        var attrs = SetAttributes()
        for bit in bitmap.bits {
            switch bit {
            case Attr.size: attrs.size = try values.u64()
            case Attr.mode: attrs.mode = try values.u32() & 0o7777
            case Attr.owner: attrs.uid = try identity(try values.opaque(max: NFSProtocol.maxOpaque))
            case Attr.ownerGroup: attrs.gid = try identity(try values.opaque(max: NFSProtocol.maxOpaque))
            case Attr.timeAccessSet: attrs.atime = try timeChange(&values)
            case Attr.timeModifySet: attrs.mtime = try timeChange(&values)
            default: throw NFSStatus.inval
            }
        }
        // The values are exactly what the bitmap names: bytes left over are a malformed fattr4.
        guard values.isAtEnd else { throw NFSStatus.badxdr }
        return (attrs, bitmap)
    }

    /// Owners are numeric strings ("1000"), or `name@domain` where the name is numeric, root or nobody. An
    /// empty one is INVAL (RFC 8881 §5.9: a zero-length owner is not a name at all).
    static func identity(_ raw: [UInt8]) throws(NFSStatus) -> UInt32 {
        guard !raw.isEmpty else { throw .inval }
        let text = String(decoding: raw, as: UTF8.self)
        let name = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if let number = UInt32(name) { return number }
        switch name {
        case "root": return 0
        case "nobody", "nfsnobody": return 65534
        default: throw .badowner
        }
    }

    private static func timeChange(_ d: inout XDRDecoder) throws -> TimeChange {
        switch try d.u32() {
        case 0: return .serverTime
        case 1:
            let seconds = try d.i64()
            let nanos = try d.u32()
            guard nanos < 1_000_000_000 else { throw NFSStatus.inval }
            return .set(Timestamp(seconds: seconds, nanoseconds: nanos))
        default: throw NFSStatus.badxdr
        }
    }
}
