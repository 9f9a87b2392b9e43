import Synchronization

/// Each client's callback path, by client id.
final class CallbackRegistry: Sendable {
    private let channels = Mutex<[UInt64: CallbackChannel]>([:])

    func set(_ channel: CallbackChannel, for client: UInt64) -> CallbackChannel? {
        channels.withLock { $0.updateValue(channel, forKey: client) }
    }

    func channel(for client: UInt64) -> CallbackChannel? { channels.withLock { $0[client] } }

    /// Forgets the paths of clients that are gone; returns them (to close).
    func prune(keeping live: (UInt64) -> Bool) -> [CallbackChannel] {
        channels.withLock { table in
            let gone = table.keys.filter { !live($0) }
            return gone.compactMap { table.removeValue(forKey: $0) }
        }
    }
}
