import Synchronization

/// The calls (requests) a server has under way, so that stopping takes no new ones and waits for these to be
/// answered before the event loops they answer on shut down.
public final class InFlightCalls: Sendable {
    private struct State {
        var stopping = false
        var underWay = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Counts a call in; false once the server is stopping (the call is then not run: the client sends it
    /// again to whichever server answers next).
    public func begin() -> Bool {
        state.withLock { s in
            guard !s.stopping else { return false }
            s.underWay += 1
            return true
        }
    }

    public func end() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.underWay -= 1
            guard s.underWay == 0 else { return [] }
            defer { s.idleWaiters = [] }
            return s.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    public func stopTaking() { state.withLock { $0.stopping = true } }
    public var underWay: Int { state.withLock { $0.underWay } }

    /// True once no call is under way; false if some still are after `timeout`.
    public func waitUntilIdle(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let idle = self.state.withLock { s in
                        if s.underWay == 0 { return true }
                        s.idleWaiters.append(continuation)
                        return false
                    }
                    if idle { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            if !first {
                // Release the waiter that will never be resumed by an idle server in time.
                let waiters = state.withLock { s in defer { s.idleWaiters = [] }; return s.idleWaiters }
                for waiter in waiters { waiter.resume() }
            }
            group.cancelAll()
            return first
        }
    }
}
