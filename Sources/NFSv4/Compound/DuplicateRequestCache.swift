import NIOCore
import Synchronization

/// NFSv4.0 has no sessions, so a retransmitted request that changes the namespace (a CREATE, REMOVE, RENAME,
/// LINK or SETATTR whose reply was lost) would run twice: the second MKDIR answers EXIST. As knfsd's and
/// Ganesha's do, this cache answers a retransmission (same client address, xid and arguments) with the reply
/// the first one got. NFSv4.1's slots do this themselves. Bounded, oldest out first.
final class DuplicateRequestCache: Sendable {
    struct Key: Hashable, Sendable {
        var source: String
        var xid: UInt32
        /// The arguments' length and a hash of their first bytes (enough to tell a reused xid apart).
        var arguments: Int
    }

    private let replies = Mutex(RecentMap<Key, ByteBuffer>(capacity: 1024))

    static func key(source: String?, xid: UInt32, arguments: ByteBuffer) -> Key? {
        guard let source else { return nil }
        var hasher = Hasher()
        hasher.combine(arguments.readableBytes)
        arguments.withUnsafeReadableBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(1024))) }
        return Key(source: source, xid: xid, arguments: hasher.finalize())
    }

    func reply(for key: Key) -> ByteBuffer? { replies.withLock { $0[key] } }

    func remember(_ key: Key, _ reply: ByteBuffer) { replies.withLock { $0.remember(key, reply) } }
}
