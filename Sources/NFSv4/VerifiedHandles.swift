import Foundation

/// Handles this thread verified lately, per codec: PUTFH checks a handle's MAC once rather than on every
/// call (the HMAC cost more than the rest of a cached GETATTR). One table per thread, so no lock; a handle
/// is found only by its exact bytes under the same codec, so only bytes that verified before are taken.
final class VerifiedHandles {
    /// Looked up by the handle's MAC (its last 8 bytes, as good as random) and the codec, then compared
    /// whole: hashing the full bytes cost about what the HMAC did.
    private struct Key: Hashable {
        var codec: UInt64
        var mac: UInt64
    }

    static let limit = 4096
    private var entries: [Key: (bytes: [UInt8], handle: FileHandle)] = [:]

    private static func key(_ codec: UInt64, _ bytes: [UInt8]) -> Key? {
        guard bytes.count >= 8 else { return nil }
        var mac: UInt64 = 0
        for b in bytes[(bytes.count - 8)...] { mac = mac << 8 | UInt64(b) }
        return Key(codec: codec, mac: mac)
    }

    func handle(codec: UInt64, _ bytes: [UInt8]) -> FileHandle? {
        guard let key = Self.key(codec, bytes), let entry = entries[key], entry.bytes == bytes else { return nil }
        return entry.handle
    }

    func remember(codec: UInt64, _ bytes: [UInt8], _ handle: FileHandle) {
        guard let key = Self.key(codec, bytes) else { return }
        if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = (bytes, handle)
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
