import CStrataLinux
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a lock, for short critical sections that many threads share (the pending writes, the
/// NFS state tables, the inode cache). Swift's `Mutex` is a priority-inheritance futex on Linux: the kernel
/// hands a contended lock to its oldest waiter, which must be scheduled before anyone can go on. With more
/// runnable threads than cores that waiter often is not, and every thread wanting the lock waits for it: a
/// convoy of milliseconds, where the critical section is a microsecond. This lock spins briefly, and a
/// running thread may take it as soon as it is free.
public final class AdaptiveMutex<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        precondition(strata_adaptive_mutex_init(mutex) == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inlinable
    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
