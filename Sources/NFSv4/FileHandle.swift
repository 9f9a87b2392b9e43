import Crypto
import FileSystem
import Foundation
import Synchronization
import XDR

/// What an NFS file handle names: the file system, the inode, and the access point it was reached
/// through (whose identity and root directory then apply to every use of the handle).
public struct FileHandle: Hashable, Sendable {
    public var fileSystem: FileSystemID
    public var inode: InodeID
    /// The access point's id ("fsap-..."), or nil for handles reached from the file system's root.
    public var accessPoint: String?

    public init(fileSystem: FileSystemID, inode: InodeID, accessPoint: String? = nil) {
        self.fileSystem = fileSystem; self.inode = inode; self.accessPoint = accessPoint
    }
}

/// Encodes file handles with a truncated HMAC-SHA256 under a key kept in the store: handles stay valid
/// across restarts, and a client can neither guess one for an inode it never reached nor strip the access
/// point from one to escape its root. Inode numbers are never reused, so a deleted file's handle stays stale.
public struct FileHandleCodec: Sendable {
    static let version: UInt8 = 2
    static let macLength = 8
    private let keyed: KeyedMAC
    /// Tells this codec's entries in `VerifiedHandles` from other codecs' (never reused, unlike addresses).
    private let id: UInt64
    private static let nextID = Atomic<UInt64>(1)

    public init(key: [UInt8]) { keyed = KeyedMAC(key: key); id = Self.nextID.add(1, ordering: .relaxed).oldValue }

    public static func newKey() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255) } }

    public func encode(_ handle: FileHandle) -> [UInt8] {
        var out: [UInt8] = [Self.version, handle.accessPoint == nil ? 0 : 1]
        withUnsafeBytes(of: handle.fileSystem.bigEndian) { out += $0 }
        withUnsafeBytes(of: handle.inode.bigEndian) { out += $0 }
        if let ap = handle.accessPoint { out += Array(ap.utf8) }
        out += mac(out)
        return out
    }

    /// A handle this server could not have made (wrong shape or MAC) is NFS4ERR_BADHANDLE.
    public func decode(_ bytes: [UInt8]) throws(NFSStatus) -> FileHandle {
        let verified = VerifiedHandles.current
        if let known = verified.handle(codec: id, bytes) { return known }
        let handle = try verify(bytes)
        verified.remember(codec: id, bytes, handle)
        return handle
    }

    private func verify(_ bytes: [UInt8]) throws(NFSStatus) -> FileHandle {
        guard bytes.count >= 18 + Self.macLength, bytes[0] == Self.version, bytes[1] <= 1 else { throw .badhandle }
        let body = Array(bytes.dropLast(Self.macLength))
        guard constantTimeEqual(mac(body), Array(bytes.suffix(Self.macLength))) else { throw .badhandle }
        var fs: UInt64 = 0, ino: UInt64 = 0
        for b in body[2..<10] { fs = fs << 8 | UInt64(b) }
        for b in body[10..<18] { ino = ino << 8 | UInt64(b) }
        var accessPoint: String?
        if body[1] == 1 {
            guard body.count > 18, body.count <= 18 + 64 else { throw .badhandle }
            accessPoint = String(decoding: body[18...], as: UTF8.self)
        } else if body.count != 18 {
            throw .badhandle
        }
        return FileHandle(fileSystem: FileSystemID(bitPattern: fs), inode: ino, accessPoint: accessPoint)
    }

    private func mac(_ body: [UInt8]) -> [UInt8] {
        var hmac = keyed.initial
        hmac.update(data: body)
        return Array(hmac.finalize().prefix(Self.macLength))
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// An HMAC already keyed: every handle copies it instead of deriving the padded keys again.
private final class KeyedMAC: @unchecked Sendable {
    // Never mutated after init; each use works on its own copy.
    let initial: HMAC<SHA256>
    init(key: [UInt8]) { initial = HMAC<SHA256>(key: SymmetricKey(data: key)) }
}
