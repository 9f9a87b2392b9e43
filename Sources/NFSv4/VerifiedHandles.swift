import Foundation

/// Handles this thread verified lately, per codec: PUTFH checks a handle's MAC once rather than on every
/// call (the HMAC cost more than the rest of a cached GETATTR). One table per thread, so no lock; a handle
/// is found only by its exact bytes under the same codec, so only bytes that verified before are taken.
final class VerifiedHandles {
    struct Key: Hashable {
        var codec: UInt64
        var bytes: [UInt8]
    }

    static let limit = 4096
    private var entries: [Key: FileHandle] = [:]

    func handle(_ key: Key) -> FileHandle? { entries[key] }

    func remember(_ key: Key, _ handle: FileHandle) {
        if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = handle
    }

    private static let slot: pthread_key_t = {
        var slot = pthread_key_t()
        pthread_key_create(&slot) { table in
            if let table { Unmanaged<VerifiedHandles>.fromOpaque(table).release() }
        }
        return slot
    }()

    /// The calling thread's table.
    static var current: VerifiedHandles {
        if let table = pthread_getspecific(slot) { return Unmanaged<VerifiedHandles>.fromOpaque(table).takeUnretainedValue() }
        let table = VerifiedHandles()
        pthread_setspecific(slot, Unmanaged.passRetained(table).toOpaque())
        return table
    }
}
