import MetadataStore
import Locking

/// An async mutual exclusion per key: at most one holder per key, waiters served in arrival order.
/// Used to serialise read-modify-write of one file's chunks.
final class KeyedMutex<Key: Hashable & Sendable>: Sendable {
    private let waiters = AdaptiveMutex<[Key: [CheckedContinuation<Void, Never>]]>([:])

    func withLock<T: Sendable>(_ key: Key, _ body: () async throws(FSError) -> T) async throws(FSError) -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: Key) async {
        // Uncontended (the usual case): no suspension at all.
        if waiters.withLock({ table in table[key] == nil ? { table[key] = []; return true }() : false }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let owned: Bool = waiters.withLock { table in
                if table[key] == nil { table[key] = []; return true }
                table[key]!.append(continuation)
                return false
            }
            if owned { continuation.resume() }
        }
    }

    private func release(_ key: Key) {
        let next: CheckedContinuation<Void, Never>? = waiters.withLock { table in
            guard var queue = table[key], !queue.isEmpty else { table[key] = nil; return nil }
            let first = queue.removeFirst()
            table[key] = queue
            return first
        }
        next?.resume()
    }
}
