import FileSystem
import MetadataStore

/// What the operations of one COMPOUND share: the caller, the current and saved file handles and
/// stateids, and the session the request arrived on.
struct CompoundContext {
    let server: NFSServer
    var caller: Caller
    var current: FileHandle?
    var saved: FileHandle?
    var currentStateID: StateID?
    var savedStateID: StateID?
    /// Set by SEQUENCE.
    var client: UInt64?

    var fs: any FileSystem { server.fileSystem }
    var state: NFSState { server.state }

    func currentHandle() throws(NFSStatus) -> FileHandle {
        guard let current else { throw .nofilehandle }
        return current
    }

    /// The current file handle, which must be a directory.
    func currentDirectory() async throws(NFSStatus) -> FileHandle {
        let handle = try currentHandle()
        let attributes = try await attributes(of: handle)
        switch attributes.type {
        case .directory: return handle
        case .symlink: throw .symlink
        default: throw .notdir
        }
    }

    func attributes(of handle: FileHandle) async throws(NFSStatus) -> Attributes {
        guard handle.fileSystem == fs.id else { throw .stale }
        do { return try await fs.getattr(handle.inode) } catch { throw NFSStatus(error) }
    }

    func handle(_ inode: InodeID) -> FileHandle { FileHandle(fileSystem: fs.id, inode: inode) }

    /// Resolves the special "current stateid" (RFC 8881 §16.2.3.1.2).
    func resolve(_ id: StateID) throws(NFSStatus) -> StateID {
        guard id == .current else { return id }
        guard let currentStateID else { throw .badStateid }
        return currentStateID
    }
}

/// An operation failed with a status whose result still carries a body (LOCK's conflicting lock,
/// SETATTR's attrsset).
struct OperationFailure: Error {
    var status: NFSStatus
    var body: (inout ByteBuffer) -> Void
}

import NIOCore
