import NIOCore
import XDR

/// bitmap4: attribute numbers as bits of 32-bit words.
public struct AttributeBitmap: Hashable, Sendable {
    public var words: [UInt32]

    public init(words: [UInt32] = []) { self.words = words }
    public init(_ bits: [Int]) { words = []; for b in bits { insert(b) } }

    public func contains(_ bit: Int) -> Bool {
        let w = bit / 32
        return w < words.count && words[w] & (1 << UInt32(bit % 32)) != 0
    }

    public mutating func insert(_ bit: Int) {
        let w = bit / 32
        while words.count <= w { words.append(0) }
        words[w] |= 1 << UInt32(bit % 32)
    }

    /// The attribute numbers set, in order (one allocation: every GETATTR and READDIR asks for them).
    public var bits: [Int] {
        var out: [Int] = []
        out.reserveCapacity(words.reduce(0) { $0 + $1.nonzeroBitCount })
        for (w, word) in words.enumerated() {
            var rest = word
            while rest != 0 {
                out.append(w * 32 + rest.trailingZeroBitCount)
                rest &= rest - 1
            }
        }
        return out
    }

    public func intersection(_ other: AttributeBitmap) -> AttributeBitmap {
        var out = AttributeBitmap(words: zip(words, other.words).map { $0 & $1 })
        while out.words.last == 0 { out.words.removeLast() }
        return out
    }

    public func subtracting(_ other: AttributeBitmap) -> AttributeBitmap {
        var out = self
        for i in 0..<min(words.count, other.words.count) { out.words[i] &= ~other.words[i] }
        while out.words.last == 0 { out.words.removeLast() }
        return out
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    init(decoding d: inout XDRDecoder) throws(XDRError) {
        words = try d.array(max: 8) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() }
    }

    func encode(into b: inout ByteBuffer) { b.xdrArray(words) { $0.xdrU32($1) } }

    func encode(into w: inout XDRRawWriter) {
        w.xdrU32(UInt32(words.count))
        for word in words { w.xdrU32(word) }
    }
}

/// fattr4 attribute numbers (RFC 8881 §5).
enum Attr {
    static let supportedAttrs = 0, type = 1, fhExpireType = 2, change = 3, size = 4, linkSupport = 5
    static let symlinkSupport = 6, namedAttr = 7, fsid = 8, uniqueHandles = 9, leaseTime = 10, rdattrError = 11
    static let acl = 12, aclSupport = 13, cansettime = 15, caseInsensitive = 16, casePreserving = 17
    static let chownRestricted = 18, filehandle = 19, fileid = 20, filesAvail = 21, filesFree = 22, filesTotal = 23
    static let homogeneous = 26, maxfilesize = 27, maxlink = 28, maxname = 29, maxread = 30, maxwrite = 31
    static let mode = 33, noTrunc = 34, numlinks = 35, owner = 36, ownerGroup = 37, rawdev = 41
    static let spaceAvail = 42, spaceFree = 43, spaceTotal = 44, spaceUsed = 45
    static let timeAccess = 47, timeAccessSet = 48, timeCreate = 50, timeDelta = 51, timeMetadata = 52
    static let timeModify = 53, timeModifySet = 54, mountedOnFileid = 55, suppattrExclcreat = 75

    static let supported = AttributeBitmap([
        supportedAttrs, type, fhExpireType, change, size, linkSupport, symlinkSupport, namedAttr, fsid,
        uniqueHandles, leaseTime, rdattrError, aclSupport, cansettime, caseInsensitive, casePreserving,
        chownRestricted, filehandle, fileid, filesAvail, filesFree, filesTotal, homogeneous, maxfilesize,
        maxlink, maxname, maxread, maxwrite, mode, noTrunc, numlinks, owner, ownerGroup, rawdev, spaceAvail,
        spaceFree, spaceTotal, spaceUsed, timeAccess, timeAccessSet, timeCreate, timeDelta, timeMetadata,
        timeModify, timeModifySet, mountedOnFileid, suppattrExclcreat,
    ])

    /// NFSv4.0 knows no attribute past mounted_on_fileid: a 4.0 client is told only of its own.
    static let supported40 = supported.subtracting(AttributeBitmap([suppattrExclcreat]))

    static func supported(minorVersion: UInt32) -> AttributeBitmap { minorVersion == 0 ? supported40 : supported }

    /// What SETATTR (and create attributes) may carry.
    static let settable = AttributeBitmap([size, mode, owner, ownerGroup, timeAccessSet, timeModifySet])
    static let writeOnly = AttributeBitmap([timeAccessSet, timeModifySet])
    /// Attributes that need a statfs.
    static let fileSystemWide = AttributeBitmap([filesAvail, filesFree, filesTotal, spaceAvail, spaceFree, spaceTotal])
}
