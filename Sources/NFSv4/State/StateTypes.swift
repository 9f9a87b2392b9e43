#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import XDR

/// Seconds on a monotonic clock: leases and grace never jump with the wall clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The 12-byte "other" part of a stateid: the server's boot epoch and a counter, so stateids of an
/// earlier boot are recognisably stale.
public struct StateOther: Hashable, Sendable {
    public var epoch: UInt32
    public var counter: UInt64

    public init(epoch: UInt32, counter: UInt64) { self.epoch = epoch; self.counter = counter }

    init(bytes: [UInt8]) {
        var e: UInt32 = 0, c: UInt64 = 0
        for b in bytes[0..<4] { e = e << 8 | UInt32(b) }
        for b in bytes[4..<12] { c = c << 8 | UInt64(b) }
        epoch = e; counter = c
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: epoch.bigEndian) { out += $0 }
        withUnsafeBytes(of: counter.bigEndian) { out += $0 }
        return out
    }
}

/// stateid4 (RFC 8881 §8.2).
public struct StateID: Hashable, Sendable {
    public var seqid: UInt32
    public var other: StateOther

    public init(seqid: UInt32, other: StateOther) { self.seqid = seqid; self.other = other }

    static let anonymous = StateID(seqid: 0, other: StateOther(epoch: 0, counter: 0))
    static let readBypass = StateID(seqid: UInt32.max, other: StateOther(epoch: UInt32.max, counter: UInt64.max))
    /// RFC 8881 §16.2.3.1.2: "the current stateid".
    static let current = StateID(seqid: 1, other: StateOther(epoch: 0, counter: 0))
    static let invalid = StateID(seqid: UInt32.max, other: StateOther(epoch: 0, counter: 0))

    var isSpecial: Bool { self == .anonymous || self == .readBypass }

    init(decoding d: inout XDRDecoder) throws(XDRError) {
        seqid = try d.u32()
        other = StateOther(bytes: try d.fixedOpaque(12))
    }

    func encode(into b: inout ByteBuffer) {
        b.xdrU32(seqid)
        b.xdrFixedOpaque(other.bytes)
    }
}

public struct SessionID: Hashable, Sendable {
    public var bytes: [UInt8]  // 16

    /// Every SEQUENCE looks its session up: the bytes are hashed at once rather than one by one.
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}

/// Channel attributes agreed at CREATE_SESSION (RFC 8881 §18.36).
public struct ChannelAttributes: Sendable, Hashable {
    public var headerPadSize: UInt32 = 0
    public var maxRequestSize: UInt32
    public var maxResponseSize: UInt32
    public var maxResponseSizeCached: UInt32
    public var maxOperations: UInt32
    public var maxRequests: UInt32

    init(decoding d: inout XDRDecoder) throws(XDRError) {
        headerPadSize = try d.u32()
        maxRequestSize = try d.u32()
        maxResponseSize = try d.u32()
        maxResponseSizeCached = try d.u32()
        maxOperations = try d.u32()
        maxRequests = try d.u32()
        _ = try d.array(max: 1) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() }
    }

    init(maxRequestSize: UInt32, maxResponseSize: UInt32, maxResponseSizeCached: UInt32, maxOperations: UInt32, maxRequests: UInt32) {
        self.maxRequestSize = maxRequestSize; self.maxResponseSize = maxResponseSize
        self.maxResponseSizeCached = maxResponseSizeCached; self.maxOperations = maxOperations; self.maxRequests = maxRequests
    }

    func encode(into b: inout ByteBuffer) {
        b.xdrU32(headerPadSize); b.xdrU32(maxRequestSize); b.xdrU32(maxResponseSize)
        b.xdrU32(maxResponseSizeCached); b.xdrU32(maxOperations); b.xdrU32(maxRequests)
        b.xdrU32(0)  // no RDMA
    }
}

/// share_access / share_deny bits (RFC 8881 §18.16).
enum Share {
    static let read: UInt32 = 1
    static let write: UInt32 = 2
    static let both: UInt32 = 3
}

enum LockType: UInt32, Sendable {
    case read = 1, write = 2, readBlocking = 3, writeBlocking = 4
    var isWrite: Bool { self == .write || self == .writeBlocking }
}

/// Who holds a lock: a lock-owner of a client.
struct LockOwner: Hashable, Sendable {
    var client: UInt64
    var owner: [UInt8]
}

struct OpenOwner: Hashable, Sendable {
    var client: UInt64
    var owner: [UInt8]
}
