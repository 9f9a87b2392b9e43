import FileSystem
import NFSv4
import NIOCore
import ONCRPC

/// One NFS listener serving one file system: the default export and every mount target are one of these.
/// Starting restores the clients its scope knew (they may reclaim in the grace period) and runs lease
/// expiry until it stops.
struct NFSEndpoint: Sendable {
    let nfs: NFSServer
    let server: RPCServer
    let address: SocketAddress
    private let maintenance: Task<Void, Never>

    /// Clients are recorded under `scope`; `filter` admits connections (nil: everyone).
    static func start(engine: StorageEngine, fileSystem: any FileSystem, handleKey: [UInt8],
                      configuration: NFSServerConfiguration, export: (any NFSExportPolicy)?, scope: String,
                      host: String, port: Int, filter: ConnectionFilter? = nil) async throws -> NFSEndpoint {
        let nfs = NFSServer(fileSystem: fileSystem, epoch: UInt32(truncatingIfNeeded: engine.store.openCount),
                            handleKey: handleKey, configuration: configuration, export: export,
                            clientRecords: engine.clientRecords(scope: scope))
        await nfs.restoreClients()
        let server = RPCServer(programs: [nfs], filter: filter)
        let address: SocketAddress
        do { address = try await server.start(host: host, port: port) } catch {
            await server.stop()
            throw error
        }
        return NFSEndpoint(nfs: nfs, server: server, address: address, maintenance: Task { await nfs.runMaintenance() })
    }

    func stop() async {
        maintenance.cancel()
        await server.stop()
    }
}

extension SocketAddress {
    /// As people write it: `127.0.0.1:2049`, `[::1]:2049`.
    var printable: String {
        guard let ip = ipAddress, let port else { return description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
