import FileSystem
import MetadataStore

/// What the operations of one COMPOUND share: the caller, the current and saved file handles and
/// stateids, and the session the request arrived on.
struct CompoundContext {
    let server: NFSServer
    /// The identity the RPC credential gave.
    let rpcCaller: Caller
    /// The current handle's access point and the policy's decisions for it (see `refresh`).
    var accessPoint: AccessPointExport?
    var access = ClientAccess.full
    private var refreshedFor: String??
    var current: FileHandle?
    var saved: FileHandle?
    var currentStateID: StateID?
    var savedStateID: StateID?
    /// Set by SEQUENCE (NFSv4.1).
    var client: UInt64?
    var minorVersion: UInt32 = 1
    /// NFSv4.0: the owner and seqid of the running operation, whose reply is kept for a retransmission.
    var sequencedOwner: (StateTables.OwnerKey, UInt32)?
    /// Set while the compound's last operation runs: only that one may leave bytes in `tail`.
    var isLastOperation = false
    /// Bytes that follow the reply as they are (READ data), so they are never copied into it.
    var tail: [ByteBuffer] = []

    init(server: NFSServer, caller: Caller) { self.server = server; rpcCaller = caller }

    var fs: any FileSystem { server.fileSystem }
    var state: NFSState { server.state }

    /// Who operations run as: the access point's PosixUser when there is one, else the client's identity,
    /// with root squashed to nobody when the file system policy does not grant ClientRootAccess.
    var caller: Caller {
        if let user = accessPoint?.posixUser { return user }
        if rpcCaller.uid == 0 && !access.rootAccess { return Caller(uid: 65534, gid: 65534) }
        return rpcCaller
    }

    /// Re-reads the access point and the file system policy for the current handle, when it changed.
    mutating func refresh() async {
        guard let export = server.export else { return }
        let key = current?.accessPoint
        if refreshedFor == .some(key) { return }
        refreshedFor = .some(key)
        accessPoint = nil
        if let id = key { accessPoint = await export.accessPoint(id, fileSystem: fs.id) }
        access = await export.clientAccess(fileSystem: fs.id, accessPointARN: accessPoint?.arn)
    }

    /// elasticfilesystem:ClientMount: needed to use the file system at all.
    func requireMount() throws(NFSStatus) {
        if !access.mount { throw .access }
        if current?.accessPoint != nil && accessPoint == nil { throw .stale }  // the access point is gone
    }

    /// elasticfilesystem:ClientWrite: needed by every operation that changes something.
    func requireWrite() throws(NFSStatus) {
        if !access.write { throw .rofs }
    }
    func currentHandle() throws(NFSStatus) -> FileHandle {
        guard let current else { throw .nofilehandle }
        return current
    }

    /// The current file handle, which must be a directory.
    func currentDirectory() async throws(NFSStatus) -> FileHandle {
        let handle = try currentHandle()
        switch try await type(of: handle) {
        case .directory: return handle
        case .symlink: throw .symlink
        default: throw .notdir
        }
    }

    func attributes(of handle: FileHandle) async throws(NFSStatus) -> Attributes {
        guard handle.fileSystem == fs.id else { throw .stale }
        do { return try await fs.getattr(handle.inode) } catch { throw NFSStatus(error) }
    }

    /// The handle's file type; also how a handle is checked to be live (STALE) without reading attributes.
    func type(of handle: FileHandle) async throws(NFSStatus) -> FileType {
        guard handle.fileSystem == fs.id else { throw .stale }
        do { return try await fs.type(of: handle.inode) } catch { throw NFSStatus(error) }
    }

    /// A handle for `inode` reached from the current one: it keeps the current access point.
    func handle(_ inode: InodeID) -> FileHandle { FileHandle(fileSystem: fs.id, inode: inode, accessPoint: current?.accessPoint) }

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
