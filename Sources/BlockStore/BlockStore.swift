import NIOCore

/// The name of one immutable content block. Keys are never reused: a block is written once,
/// referenced from metadata, and deleted only after no metadata references it any more.
public struct BlockKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts only the shape `BlockKey.random()` produces (32 lowercase hex digits), so a key read
    /// back from metadata can never name a path outside the store.
    public init?(_ rawValue: String) {
        guard rawValue.utf8.count == 32,
              rawValue.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        self.rawValue = rawValue
    }

    public static func random() -> BlockKey {
        var g = SystemRandomNumberGenerator()
        let hex = (0..<2).map { _ in
            let v = g.next() as UInt64
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
        return BlockKey(hex)!
    }

    public var description: String { rawValue }
}

public struct BlockInfo: Sendable, Hashable {
    public var key: BlockKey
    public var size: Int
    public init(key: BlockKey, size: Int) { self.key = key; self.size = size }
}

public enum BlockStoreError: Error, Sendable, Equatable {
    case notFound(BlockKey)
    case alreadyExists(BlockKey)
    case io(operation: String, errno: Int32)
}

/// Who is waiting for a put: a client (foreground), or nobody yet (a background flush, a backup), which
/// yields the CPU to foreground work.
public enum IOPriority: Sendable { case foreground, background }

/// Whether a block is likely read soon after it is written. A block of scattered small writes (slices) is
/// read back piecemeal if at all, so an engine with a cache of its own may write it around that cache.
public enum ReadBack: Sendable { case likely, unlikely }

/// Immutable content blocks by key. Engines: a local directory (embedded), S3 (distributed).
public protocol BlockStore: Sendable {
    /// Stores `parts`, one after another, as one block under a fresh key. Durable on return.
    func put(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority, readBack: ReadBack) async throws
    /// The bytes of `range` (the whole block when nil). A range past the block's end is cut short.
    func get(_ key: BlockKey, range: Range<Int>?) async throws -> ByteBuffer
    /// Stores `parts` as one block that is not durable yet: a crash may lose it until `sync` returns, so
    /// nothing may reference it before that. Lets a writer hand bytes to the disk now and wait for them later.
    func stage(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority) async throws
    /// Makes staged blocks durable.
    func sync(_ keys: [BlockKey]) async throws
    /// Deletes blocks; keys that do not exist are ignored.
    func delete(_ keys: [BlockKey]) async throws
    /// Every block held, with its size: for recovery sweeps and consistency checks.
    func list() async throws -> [BlockInfo]
}

extension BlockStore {
    /// An engine without a cheaper way stages by storing durably at once.
    public func stage(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority) async throws {
        try await put(key, parts: parts, priority: priority, readBack: .likely)
    }

    public func sync(_ keys: [BlockKey]) async throws {}

    /// Stores `parts` as one block that is likely read again soon. Durable on return.
    public func put(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority) async throws {
        try await put(key, parts: parts, priority: priority, readBack: .likely)
    }

    /// Stores `data` under a fresh key, for a client waiting on it. Durable on return.
    public func put(_ key: BlockKey, _ data: ByteBuffer) async throws {
        try await put(key, parts: [data], priority: .foreground)
    }
}
