import Synchronization

/// What the hot paths may skip without taking the state lock: whether any delegation exists, and whether
/// files were opened or closed since the file system was last told. Set under the lock by the state
/// tables; read without it (a stale answer only costs a lock taken for nothing, or a check made a
/// compound later).
final class StateHints: Sendable {
    let delegations = Atomic<Int>(0)
    let openFileEvents = Atomic<Bool>(false)
}
