import ControlPlane
import FileSystem
import Logging
import NFSv4
import NIOCore
import ONCRPC
import Synchronization

/// Mount targets as live NFS endpoints: one listener on each mount target's IP address, serving that
/// mount target's file system, admitting only sources its security groups allow.
final class MountTargetListeners: Sendable {
    private struct Listener: Sendable {
        let endpoint: NFSEndpoint
        let allowed: AllowList
    }

    /// The sources a listener admits; replaced when the security groups change, read per new connection.
    final class AllowList: Sendable {
        private let cidrs: Mutex<[CIDR]>
        init(_ cidrs: [CIDR]) { self.cidrs = Mutex(cidrs) }
        func set(_ new: [CIDR]) { cidrs.withLock { $0 = new } }
        func admits(_ address: SocketAddress?) -> Bool {
            guard let ip = address?.ipAddress else { return false }
            let plain = ip.hasPrefix("::ffff:") ? String(ip.dropFirst(7)) : ip
            return cidrs.withLock { $0.contains { $0.contains(plain) } }
        }
    }

    private let engine: StorageEngine
    private let control: ControlPlane
    private let port: Int
    private let handleKey: [UInt8]
    private let configuration: NFSServerConfiguration
    private let listeners = Mutex<[String: Listener]>([:])
    private let logger = Logger(label: "strata.mount-targets")

    init(engine: StorageEngine, control: ControlPlane, port: Int, handleKey: [UInt8], configuration: NFSServerConfiguration) {
        self.engine = engine; self.control = control; self.port = port; self.handleKey = handleKey
        self.configuration = configuration
    }

    func handle(_ event: ControlPlane.MountTargetEvent) async -> Bool {
        switch event {
        case .created(let mt, let storageID): return await start(mt, storageID: storageID)
        case .deleted(let mt): await stop(mt.id); return true
        case .securityGroupsChanged(let mt):
            let sources = await control.allowedSources(mt)
            listeners.withLock { $0[mt.id]?.allowed.set(sources) }
            return true
        }
    }

    func start(_ mt: MountTargetState, storageID: Int64) async -> Bool {
        guard let fs = try? await engine.fileSystem(storageID) else { return false }
        let allowed = AllowList(await control.allowedSources(mt))
        var configuration = self.configuration
        configuration.serverOwner += "-" + mt.id
        let endpoint: NFSEndpoint
        do {
            endpoint = try await NFSEndpoint.start(engine: engine, fileSystem: fs, handleKey: handleKey, configuration: configuration,
                                                   export: ControlPlaneExport(control: control), scope: mt.id,
                                                   host: mt.ipAddress, port: port, filter: { remote, _ in allowed.admits(remote) })
        } catch {
            logger.error("mount target \(mt.id): cannot listen on \(mt.ipAddress):\(port): \(error)")
            return false
        }
        listeners.withLock { $0[mt.id] = Listener(endpoint: endpoint, allowed: allowed) }
        say("  mount target \(mt.id) serves \(mt.fileSystemID) at \(mt.ipAddress):\(port)")
        return true
    }

    func stop(_ id: String) async {
        guard let listener = listeners.withLock({ $0.removeValue(forKey: id) }) else { return }
        await listener.endpoint.stop()
        say("  mount target \(id) stopped")
    }

    func stopAll() async {
        for id in listeners.withLock({ Array($0.keys) }) { await stop(id) }
    }
}
