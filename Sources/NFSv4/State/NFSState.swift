import Locking
import Synchronization

/// The state tables behind one lock. Every transition is short and synchronous, so a mutex serves better
/// than an actor here: no suspension points inside state changes.
public final class NFSState: Sendable {
    private let tables: AdaptiveMutex<StateTables>
    public let leaseSeconds: Double
    let hints: StateHints

    public init(epoch: UInt32, leaseSeconds: Double, graceSeconds: Double) {
        self.leaseSeconds = leaseSeconds
        let initial = StateTables(epoch: max(1, epoch), leaseSeconds: leaseSeconds, graceSeconds: graceSeconds, now: monotonicSeconds())
        hints = initial.hints
        tables = AdaptiveMutex(initial)
    }

    func with<T, E: Error>(_ body: (inout StateTables) throws(E) -> T) throws(E) -> T {
        try tables.withLock { (t: inout StateTables) throws(E) -> T in try body(&t) }
    }

    public var inGrace: Bool { tables.withLock { $0.inGrace(monotonicSeconds()) } }

    /// Releases the state of clients whose lease ran out; call periodically.
    /// Drops expired clients; returns their owners (whose persisted records go too).
    @discardableResult
    public func expireClients() -> [[UInt8]] { tables.withLock { $0.expireClients(now: monotonicSeconds()) } }

    /// Whether any delegation may exist (read without the lock).
    var mayHaveDelegations: Bool { hints.delegations.load(ordering: .relaxed) > 0 }

    /// Takes the open-file events, when the hint says there are any.
    func takeOpenFileEvents() -> [(file: FileHandle, opened: Bool)] {
        // A load first: every compound asks, and an exchange would write the shared line every time.
        guard hints.openFileEvents.load(ordering: .relaxed), hints.openFileEvents.exchange(false, ordering: .acquiring) else { return [] }
        return tables.withLock { $0.takeOpenFileEvents() }
    }
}
