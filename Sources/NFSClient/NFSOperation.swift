import NIOCore
import XDR

/// An NFSv4 stateid (RFC 8881 §3.3.12), opaque to the client.
public struct NFSStateID: Sendable, Hashable {
    public var seqid: UInt32
    public var other: [UInt8]

    init(decoding d: inout XDRDecoder) throws(XDRError) { seqid = try d.u32(); other = try d.fixedOpaque(12) }
    func encode(into b: inout ByteBuffer) { b.xdrU32(seqid); b.xdrFixedOpaque(other) }
}

/// Attribute numbers the load generator asks for (RFC 8881 §5.6, §5.7).
public enum NFSAttribute {
    public static let type = 1, change = 3, size = 4, fileid = 20, mode = 33, numlinks = 35, owner = 36,
                      ownerGroup = 37, spaceUsed = 45, timeAccess = 47, timeMetadata = 52, timeModify = 53

    /// What `stat` needs, as the Linux client asks for it.
    public static let stat = [type, change, size, fileid, mode, numlinks, owner, ownerGroup, spaceUsed,
                              timeAccess, timeMetadata, timeModify]

    static func encodeBitmap(_ attributes: [Int], into b: inout ByteBuffer) {
        var words = [UInt32](repeating: 0, count: ((attributes.max() ?? 0) / 32) + 1)
        for a in attributes { words[a / 32] |= 1 << UInt32(a % 32) }
        b.xdrU32(UInt32(words.count))
        for w in words { b.xdrU32(w) }
    }
}

/// One operation of a COMPOUND (RFC 8881 §16.2), encoded as a client sends it.
public struct NFSOperation: Sendable {
    public let code: UInt32
    let encodeArguments: @Sendable (inout ByteBuffer) -> Void

    public static let putrootfh = NFSOperation(code: 24) { _ in }
    public static let getfh = NFSOperation(code: 10) { _ in }

    public static func sequence(session: [UInt8], sequenceID: UInt32, slot: UInt32, highestSlot: UInt32) -> NFSOperation {
        NFSOperation(code: 53) { b in
            b.xdrFixedOpaque(session); b.xdrU32(sequenceID); b.xdrU32(slot); b.xdrU32(highestSlot); b.xdrBool(false)
        }
    }
    public static func reclaimComplete() -> NFSOperation { NFSOperation(code: 58) { $0.xdrBool(false) } }
    public static func putfh(_ handle: [UInt8]) -> NFSOperation { NFSOperation(code: 22) { $0.xdrOpaque(handle) } }
    public static func lookup(_ name: String) -> NFSOperation { NFSOperation(code: 15) { $0.xdrString(name) } }
    public static func remove(_ name: String) -> NFSOperation { NFSOperation(code: 28) { $0.xdrString(name) } }
    public static func getattr(_ attributes: [Int]) -> NFSOperation {
        NFSOperation(code: 9) { NFSAttribute.encodeBitmap(attributes, into: &$0) }
    }
    public static func mkdir(_ name: String, mode: UInt32 = 0o755) -> NFSOperation {
        NFSOperation(code: 6) { b in b.xdrU32(2); b.xdrString(name); encodeMode(mode, into: &b) }
    }

    /// OPEN by name in the current directory (CLAIM_NULL), creating it (UNCHECKED4) when `create`.
    /// It asks for no delegation, as a load generator never answers a recall.
    public static func open(_ name: String, clientID: UInt64, owner: [UInt8], write: Bool, create: Bool,
                            mode: UInt32 = 0o644) -> NFSOperation {
        NFSOperation(code: 18) { b in
            let wantNoDelegation: UInt32 = 0x0400  // OPEN4_SHARE_ACCESS_WANT_NO_DELEG
            b.xdrU32(0); b.xdrU32((write ? 3 : 1) | wantNoDelegation); b.xdrU32(0)
            b.xdrU64(clientID); b.xdrOpaque(owner)
            if create { b.xdrU32(1); b.xdrU32(0); encodeMode(mode, into: &b) } else { b.xdrU32(0) }
            b.xdrU32(0); b.xdrString(name)
        }
    }
    public static func close(_ stateID: NFSStateID) -> NFSOperation {
        NFSOperation(code: 4) { b in b.xdrU32(0); stateID.encode(into: &b) }
    }
    public static func read(_ stateID: NFSStateID, offset: UInt64, count: UInt32) -> NFSOperation {
        NFSOperation(code: 25) { b in stateID.encode(into: &b); b.xdrU64(offset); b.xdrU32(count) }
    }
    /// WRITE; `stable` is UNSTABLE4 (0), DATA_SYNC4 (1) or FILE_SYNC4 (2).
    public static func write(_ stateID: NFSStateID, offset: UInt64, stable: UInt32, data: ByteBuffer) -> NFSOperation {
        NFSOperation(code: 38) { b in stateID.encode(into: &b); b.xdrU64(offset); b.xdrU32(stable); b.xdrOpaque(data) }
    }
    public static func commit(offset: UInt64 = 0, count: UInt32 = 0) -> NFSOperation {
        NFSOperation(code: 5) { b in b.xdrU64(offset); b.xdrU32(count) }
    }
    /// READDIR with dircount equal to maxcount, as the Linux client sends it.
    public static func readdir(cookie: UInt64, verifier: [UInt8], maxCount: UInt32, attributes: [Int]) -> NFSOperation {
        NFSOperation(code: 26) { b in
            b.xdrU64(cookie); b.xdrFixedOpaque(verifier); b.xdrU32(maxCount); b.xdrU32(maxCount)
            NFSAttribute.encodeBitmap(attributes, into: &b)
        }
    }

    private static func encodeMode(_ mode: UInt32, into b: inout ByteBuffer) {
        NFSAttribute.encodeBitmap([NFSAttribute.mode], into: &b)
        b.xdrU32(4); b.xdrU32(mode)
    }
}
