import FileSystem
import NIOCore
import XDR

/// What one object's attributes are encoded from.
struct AttributeSource {
    var attributes: Attributes
    var handle: FileHandle
    var handleBytes: [UInt8]
    var leaseSeconds: UInt32
    var minorVersion: UInt32
    /// Filled only when a file-system-wide attribute was asked for.
    var stats: FileSystemStats?
}

/// Encodes fattr4 (RFC 8881 §3.3.8): the bitmap of what is returned, then the values in bit order.
enum AttributeEncoder {
    /// EFS reports an elastic capacity of 8 EiB; so does Strata.
    static let elasticCapacity: UInt64 = 1 << 63
    static let elasticFiles: UInt64 = 1 << 63

    static func encode(_ requested: AttributeBitmap, _ source: AttributeSource, into out: inout ByteBuffer) {
        let returned = self.returned(requested, minorVersion: source.minorVersion)
        encode(returned, bits: returned.bits, source, into: &out)
    }

    /// What of `requested` is answered (supported and readable).
    static func returned(_ requested: AttributeBitmap, minorVersion: UInt32) -> AttributeBitmap {
        requested.intersection(Attr.supported(minorVersion: minorVersion)).subtracting(Attr.writeOnly)
    }

    /// fattr4 for an already reduced bitmap and its bits (READDIR works them out once per call, not per entry).
    /// The values go straight into `out` behind a length patched at the end: every XDR value is a whole
    /// number of 4-byte units, so the opaque needs no padding.
    static func encode(_ returned: AttributeBitmap, bits: [Int], _ source: AttributeSource, into out: inout ByteBuffer) {
        out.xdrRaw(maximum: maximumBytes(source)) { encode(returned, bits: bits, source, into: &$0) }
    }

    /// The same into space already taken (READDIR writes a whole entry at once).
    static func encode(_ returned: AttributeBitmap, bits: [Int], _ source: AttributeSource, into w: inout XDRRawWriter) {
        returned.encode(into: &w)
        let lengthAt = w.count
        w.xdrU32(0)
        for bit in bits { encodeValue(bit, source, into: &w) }
        w.setU32(UInt32(w.count - lengthAt - 4), at: lengthAt)
    }

    /// The most bytes fattr4 takes: every supported attribute, owners of ten digits, and the handle's bytes
    /// (about 400 bytes, and the handle, were every attribute asked for).
    static func maximumBytes(_ source: AttributeSource) -> Int { 768 + source.handleBytes.count }

    /// Just the values, for VERIFY/NVERIFY comparisons.
    static func values(_ bitmap: AttributeBitmap, _ source: AttributeSource) -> ByteBuffer {
        var values = ByteBuffer()
        values.xdrRaw(maximum: maximumBytes(source)) { w in
            for bit in bitmap.bits { encodeValue(bit, source, into: &w) }
        }
        return values
    }

    static func nfsType(_ type: FileType) -> UInt32 {
        switch type {
        case .regular: 1
        case .directory: 2
        case .blockDevice: 3
        case .characterDevice: 4
        case .symlink: 5
        case .socket: 6
        case .fifo: 7
        }
    }

    static func time(_ t: Timestamp, into b: inout XDRRawWriter) {
        b.xdrI64(t.seconds)
        b.xdrU32(t.subsecondNanoseconds)
    }

    private static func encodeValue(_ bit: Int, _ s: AttributeSource, into b: inout XDRRawWriter) {
        let a = s.attributes
        switch bit {
        case Attr.supportedAttrs: Attr.supported(minorVersion: s.minorVersion).encode(into: &b)
        case Attr.type: b.xdrU32(nfsType(a.type))
        case Attr.fhExpireType: b.xdrU32(0)  // FH4_PERSISTENT
        case Attr.change: b.xdrU64(a.change)
        case Attr.size: b.xdrU64(a.size)
        case Attr.linkSupport, Attr.symlinkSupport, Attr.uniqueHandles, Attr.cansettime, Attr.casePreserving,
             Attr.chownRestricted, Attr.homogeneous, Attr.noTrunc:
            b.xdrBool(true)
        case Attr.namedAttr, Attr.caseInsensitive: b.xdrBool(false)
        case Attr.fsid: b.xdrU64(UInt64(bitPattern: s.handle.fileSystem)); b.xdrU64(0)
        case Attr.leaseTime: b.xdrU32(s.leaseSeconds)
        case Attr.rdattrError: b.xdrU32(0)
        case Attr.aclSupport: b.xdrU32(0)
        case Attr.filehandle: b.xdrOpaque(s.handleBytes)
        case Attr.fileid, Attr.mountedOnFileid: b.xdrU64(a.id)
        case Attr.filesAvail, Attr.filesFree: b.xdrU64(elasticFiles - (s.stats?.files ?? 0))
        case Attr.filesTotal: b.xdrU64(elasticFiles)
        case Attr.maxfilesize: b.xdrU64(Limits.maxFileSize)
        case Attr.maxlink: b.xdrU32(Limits.maxLinks)
        case Attr.maxname: b.xdrU32(UInt32(NFSProtocol.maxName))
        case Attr.maxread, Attr.maxwrite: b.xdrU64(UInt64(NFSProtocol.maxIO))
        case Attr.mode: b.xdrU32(a.mode & 0o7777)
        case Attr.numlinks: b.xdrU32(a.nlink)
        case Attr.owner: b.xdrDecimalString(a.uid)
        case Attr.ownerGroup: b.xdrDecimalString(a.gid)
        case Attr.rawdev: b.xdrU32(a.rdevMajor); b.xdrU32(a.rdevMinor)
        case Attr.spaceAvail, Attr.spaceFree:
            b.xdrU64(elasticCapacity - (s.stats.map { $0.bytes.values.reduce(0, +) } ?? 0))
        case Attr.spaceTotal: b.xdrU64(elasticCapacity)
        case Attr.spaceUsed: b.xdrU64(a.spaceUsed)
        case Attr.timeAccess: time(a.atime, into: &b)
        case Attr.timeCreate: time(a.birthtime, into: &b)
        case Attr.timeDelta: b.xdrI64(0); b.xdrU32(1)
        case Attr.timeMetadata: time(a.ctime, into: &b)
        case Attr.timeModify: time(a.mtime, into: &b)
        case Attr.suppattrExclcreat: Attr.settable.encode(into: &b)
        default: break
        }
    }
}
