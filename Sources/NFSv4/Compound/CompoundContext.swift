import FileSystem
import ONCRPC

/// What the operations of one COMPOUND share: the caller, the current and saved file handles and
/// stateids, and the session the request arrived on.
struct CompoundContext {
    let server: NFSServer
    /// The file system as the export's rules allow it: operations reach storage through nothing else.
    var gate: ExportGate
    var current: FileHandle?
    var saved: FileHandle?
    var currentStateID: StateID?
    var savedStateID: StateID?
    /// The client's address (without its port), which bounds how many unconfirmed records it may hold.
    var source: String?
    /// Set by SEQUENCE (NFSv4.1).
    var client: UInt64?
    var session: SessionID?
    /// The connection the request came on (a session's back channel can be bound to it).
    var connection: RPCConnection?
    var minorVersion: UInt32 = 1
    /// NFSv4.0: the owner and seqid of the running operation, whose reply is kept for a retransmission.
    var sequencedOwner: (StateTables.OwnerKey, UInt32)?
    /// NFSv4.0: a LOCK that made a lock-owner, whose own seqid starts with the one it gave.
    var newLockOwner: (StateTables.OwnerKey, UInt32)?
    /// Set while the compound's last operation runs: only that one may leave bytes in `tail`.
    var isLastOperation = false
    /// Bytes that follow the reply as they are (READ data), so they are never copied into it.
    var tail: [ByteBuffer] = []

    init(server: NFSServer, caller: Caller, source: String?) {
        self.server = server; self.source = source; gate = server.gate(for: caller)
    }

    var state: NFSState { server.state }

    /// Who the RPC credential says the caller is, as client ids are bound to it.
    var principal: String { "unix:\(gate.rpcCaller.uid)" }

    /// Re-reads the export's rules for the current handle, when its access point changed.
    mutating func refresh() async { await gate.refresh(for: current) }

    func currentHandle() throws(NFSStatus) -> FileHandle {
        guard let current else { throw .nofilehandle }
        return current
    }

    /// The current file handle, which must be a directory.
    func currentDirectory() async throws(NFSStatus) -> FileHandle {
        let handle = try currentHandle()
        switch try await gate.type(of: handle) {
        case .directory: return handle
        case .symlink: throw .symlink
        default: throw .notdir
        }
    }

    /// The client making the request, as far as it is known: the session's in NFSv4.1; in NFSv4.0 only
    /// a stateid tells (nil: unknown, which conflicts with every delegation).
    var requester: UInt64? { client }

    func requester(of id: StateID) -> UInt64? {
        client ?? (id.isSpecial ? nil : state.with { $0.client(of: id) })
    }

    /// Resolves the special "current stateid" (RFC 8881 §16.2.3.1.2).
    func resolve(_ id: StateID) throws(NFSStatus) -> StateID {
        guard id == .current else { return id }
        guard let currentStateID else { throw .badStateid }
        return currentStateID
    }
}

/// NFSv4.0: a retransmitted owner request; `reply` (status and result) is what it got the first time.
struct OwnerReplay: Error {
    var status: NFSStatus
    var reply: [UInt8]
}

/// An operation failed with a status whose result still carries a body (LOCK's conflicting lock,
/// SETATTR's attrsset).
struct OperationFailure: Error {
    var status: NFSStatus
    var body: @Sendable (inout ByteBuffer) -> Void
}

import NIOCore
