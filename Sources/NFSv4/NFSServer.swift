import FileSystem
import Foundation
import Logging
import NIOCore
import ONCRPC
import Synchronization

public struct NFSServerConfiguration: Sendable {
    public var leaseSeconds: UInt32 = 90
    public var graceSeconds: Double = 90
    /// Identifies this server to clients (EXCHANGE_ID server_owner and scope).
    public var serverOwner = "strata"
    /// Read delegations are granted to clients with a working callback path. Write delegations are off
    /// by default: a Linux client holding one closes files without a COMMIT, so data would be durable
    /// only at the server's own flush rather than at close.
    public var readDelegations = true
    public var writeDelegations = false
    public init() {}
}

/// The NFS program (100003, version 4): NULL and COMPOUND over one exported file system.
public final class NFSServer: RPCProgram {
    public let program = NFSProtocol.program
    public let versions: ClosedRange<UInt32> = 4...4
    /// Reached only through an `ExportGate`, which applies the export's rules to every call.
    private let fileSystem: any FileSystem
    public let state: NFSState
    public let configuration: NFSServerConfiguration
    public let codec: FileHandleCodec
    let export: (any NFSExportPolicy)?
    let clientRecords: (any ClientRecordStore)?
    private let accessPointRoots = AccessPointRoots()
    private let duplicateRequests = DuplicateRequestCache()
    let callbacks = CallbackRegistry()
    let logger = Logger(label: "strata.nfs")
    /// STRATA_NFS_TRACE=1 logs every operation and its status (for diagnosing a client's behaviour).
    let trace = ProcessInfo.processInfo.environment["STRATA_NFS_TRACE"] == "1"

    /// `epoch` must change on every restart (the store's open count does): it makes stateids and client ids
    /// of an earlier boot recognisably stale.
    public init(fileSystem: any FileSystem, epoch: UInt32, handleKey: [UInt8], configuration: NFSServerConfiguration = .init(),
                export: (any NFSExportPolicy)? = nil, clientRecords: (any ClientRecordStore)? = nil) {
        self.fileSystem = fileSystem
        self.configuration = configuration
        codec = FileHandleCodec(key: handleKey)
        self.export = export
        self.clientRecords = clientRecords
        state = NFSState(epoch: epoch, leaseSeconds: Double(configuration.leaseSeconds),
                         graceSeconds: configuration.graceSeconds)
    }

    /// The file system as `caller` may use it through this export.
    func gate(for caller: Caller) -> ExportGate {
        ExportGate(fileSystem: fileSystem, export: export, roots: accessPointRoots, caller: caller)
    }

    public func call(procedure: UInt32, version: UInt32, arguments: ByteBuffer, context: RPCCallContext) async -> RPCReply {
        switch procedure {
        case 0: return .success(ByteBuffer())
        case 1:
            let source = context.remoteAddress?.ipAddress
            // NFSv4.0 retransmissions of requests that must not run twice get their first reply.
            let key = CompoundProcessor.minorVersion(arguments) == 0
                ? DuplicateRequestCache.key(source: source, xid: context.xid, arguments: arguments) : nil
            if let key, let first = duplicateRequests.reply(for: key) { return .success(first) }
            let outcome = await CompoundProcessor.run(arguments, server: self, caller: Self.caller(context.credential), source: source,
                                                      connection: context.connection)
            if let key, outcome.changedNamespace, outcome.tail.isEmpty { duplicateRequests.remember(key, outcome.results) }
            return outcome.tail.isEmpty ? .success(outcome.results) : .successWithTail(outcome.results, outcome.tail)
        default: return .procedureUnavailable
        }
    }

    /// AUTH_SYS identities as they are; AUTH_NONE is nobody.
    static func caller(_ credential: RPCCredential) -> Caller {
        switch credential {
        case .sys(let p): Caller(uid: p.uid, gid: p.gid, groups: p.gids)
        case .none: Caller(uid: 65534, gid: 65534)
        }
    }

    /// Tells the file system which files are held open now (see `StateTables.openFileEvents`).
    func settleOpenFiles() async {
        let events = state.takeOpenFileEvents()
        for event in events {
            if event.opened { fileSystem.retainOpen(event.file.inode) } else { await fileSystem.releaseOpen(event.file.inode) }
        }
    }
}
