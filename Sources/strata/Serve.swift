#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CStrataLinux
import ControlPlane
import Dispatch
import FileSystem
import Foundation
import IAM
import ManagementAPI
import MetadataStore
import NFSv4
import ONCRPC
import S3Blocks

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the embedded store over NFSv4.1 until SIGINT or SIGTERM.")

    @Option(name: .long, help: "Where metadata and blocks live.")
    var dataDir: String = "./strata-data"
    @Option(name: .long, help: "Address and port of the NFS endpoint.")
    var nfsListen: String = "127.0.0.1:2049"
    @Option(name: .long, help: "NFSv4 lease time, in seconds.")
    var leaseSeconds: UInt32 = 90
    @Option(name: .long, help: "Grace period after a start, in seconds, in which clients reclaim state (default: the lease time).")
    var graceSeconds: Double?
    @Option(name: .long, help: "Address and port of the EFS management API.")
    var apiListen: String = "127.0.0.1:8049"
    @Option(name: .long, help: "TOML file declaring region, subnets and security groups (built-in loopback defaults without it).")
    var config: String?
    @Option(name: .long, help: "The port every mount target listens on, at its own IP address.")
    var mountTargetPort: Int = 2049
    @Option(name: .long, help: ArgumentHelp(
        "Delegations granted to clients with a working callback path: none, read, or read-write.",
        discussion: "Write delegations let a Linux client close a file without a COMMIT, so its last writes are durable at the server's own flush (within seconds) rather than at close; they are off unless asked for."))
    var delegations: DelegationPolicy = .read
    @Option(name: .long, help: ArgumentHelp(
        "Where file data lives: s3://BUCKET?endpoint=URL&region=REGION (default: DATA_DIR/blocks).",
        discussion: "Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS shared credentials file."))
    var blocks: String?

    /// Connections, block reads kept open and block writes all take descriptors: a server takes every one
    /// its hard limit allows (the usual soft limit, 1,024, is what a desktop shell needs).
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Freed memory the server keeps for reuse. Sequential writes allocate and free about a MiB per WRITE
    /// (the record, then its copy among the pending writes). Given back to the kernel, it comes back as fresh
    /// pages: over five alternated runs of 1 GiB, the median run took 32,287 page faults against 4,246 with
    /// the memory kept, and lost 4 of 5 on throughput.
    static let keptFreedMemory: Int32 = 256 << 20

    /// The S3 block engine `--blocks` names (serve and fsck), checked before the store is opened: a missing
    /// bucket, refused credentials or an unreachable endpoint stop the command with one line saying which.
    static func openBlocks(_ url: String?) async throws -> S3BlockStore? {
        guard let url else { return nil }
        do {
            let store = S3BlockStore(location: try S3Location(parsing: url), credentials: try S3Credentials.fromEnvironment())
            try await store.verify()
            return store
        } catch let error as S3Error {
            FileHandle.standardError.write(Data("strata: cannot use the block store: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    func run() async throws {
        strata_keep_freed_memory(Self.keptFreedMemory)
        let (host, port) = try Self.split(nfsListen)
        let (apiHost, apiPort) = try Self.split(apiListen)
        let network = try config.map { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read config \(path)") }
            return try NetworkConfig.parse(toml: text)
        } ?? .default
        // Clients notice a restart at their next lease renewal, so a grace period shorter than the lease
        // would end before some of them could reclaim anything.
        let grace = max(graceSeconds ?? Double(leaseSeconds), Double(leaseSeconds))
        say("strata serve")
        let objectStore = try await Self.openBlocks(blocks)
        say("  data-dir: \(dataDir)  (metadata: SQLite in \(dataDir)/metadata, blocks: "
            + (objectStore.map { "\($0.location)" } ?? "\(dataDir)/blocks") + ")")
        say("  nfs-listen: \(host):\(port)  lease: \(leaseSeconds) s  grace: up to \(grace) s")
        say("  api-listen: \(apiHost):\(apiPort)  config: \(config ?? "built-in defaults")  region: \(network.region)")
        for subnet in network.subnets {
            say("  subnet \(subnet.id): \(subnet.cidr) in \(subnet.availabilityZone), \(subnet.vpc)")
        }
        for group in network.securityGroups {
            say("  security group \(group.id): allows \(group.allow.map(\.description).joined(separator: ", "))")
        }
        Self.raiseDescriptorLimit()
        let engine = try await StorageEngine.openEmbedded(at: dataDir, blocks: objectStore)
        let fs = try await engine.defaultFileSystem()
        say("  store opened \(engine.store.openCount) time(s); recovery done")
        for record in try await engine.fileSystems() {
            let stats = try await engine.fileSystem(record.id)!.statfs()
            say("  file system \(record.id): \(stats.files) inodes, \(stats.bytes[.standard] ?? 0) bytes Standard, "
                  + "\(stats.bytes[.infrequentAccess] ?? 0) bytes Infrequent Access")
        }
        let identities = try IdentityStore(path: dataDir + "/iam.json")
        try Self.createAdminOnFirstStart(identities, dataDir: dataDir)
        let control = try await ControlPlane(engine: engine, network: network, accountID: identities.accountID)
        let defaultID = try await control.adoptDefault(storageID: fs.id)
        let handleKey = try await engine.secret("file-handle-key", orMake: FileHandleCodec.newKey)

        var configuration = NFSServerConfiguration()
        configuration.leaseSeconds = leaseSeconds
        configuration.graceSeconds = grace
        // Clients take two servers with the same owner for one (session trunking): each store has its own.
        let storeID = try await engine.secret("server-owner", orMake: { (0..<8).map { _ in UInt8.random(in: 0...255) } })
        configuration.serverOwner = "strata-" + storeID.map { String(format: "%02x", $0) }.joined()
        configuration.readDelegations = delegations != .none
        configuration.writeDelegations = delegations == .readWrite
        let endpoint = try await NFSEndpoint.start(engine: engine, fileSystem: fs, handleKey: handleKey,
                                                   configuration: configuration, export: ControlPlaneExport(control: control),
                                                   scope: "default", host: host, port: port)
        say("  grace period: \(endpoint.nfs.state.inGrace ? "\(grace) s, for clients known before this start to reclaim" : "none (no clients to reclaim)")")
        say("  serving the default file system \(defaultID) over NFSv4.1 at \(endpoint.address.printable)")
        say("  delegations: \(delegations.rawValue) (to clients whose callback path answers)")

        let mountTargets = MountTargetListeners(engine: engine, control: control, port: mountTargetPort,
                                                handleKey: handleKey, configuration: configuration)
        for (mt, storageID) in await control.liveMountTargets() { _ = await mountTargets.start(mt, storageID: storageID) }
        await control.observeMountTargets { await mountTargets.handle($0) }
        let api = HTTPServer(api: try ManagementAPI(control: control, identities: identities, region: network.region))
        let apiBound = try await api.start(host: apiHost, port: apiPort)
        say("  management API (EFS 2015-02-01) at http://\(apiHost):\(apiBound.port ?? apiPort); default file system is \(defaultID)")
        say("Manage it with:")
        say("  AWS_SHARED_CREDENTIALS_FILE=\(dataDir)/admin-credentials aws efs describe-file-systems "
            + "--endpoint-url http://\(apiHost):\(apiBound.port ?? apiPort) --region \(network.region)")
        say("Mount it with:")
        say("  sudo mount -t nfs -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport "
              + "\(host):/ /mnt" + (port == 2049 ? "" : "  (add port=\(port) to the options)"))
        say("Ready.")
        await waitForTermination()
        say("strata: stopping")
        await api.stop()
        await mountTargets.stopAll()
        await endpoint.stop()
        try await engine.close()
        say("strata: stopped cleanly")
    }

    /// On a new data directory: an admin user with full access, whose key is printed once and saved in the
    /// AWS shared-credentials format.
    static func createAdminOnFirstStart(_ identities: IdentityStore, dataDir: String) throws {
        guard identities.isEmpty else { return }
        try identities.createUser("admin")
        try identities.putUserPolicy(user: "admin", name: "AdministratorAccess",
                                     document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        let key = try identities.createAccessKey(for: "admin")
        let path = dataDir + "/admin-credentials"
        let text = "[default]\naws_access_key_id = \(key.id)\naws_secret_access_key = \(key.secret)\n"
        let saved = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        say("  created the admin access key (shown once; " + (saved ? "also saved to \(path), mode 600):" : "could not be saved to \(path)):"))
        say("    AccessKeyId: \(key.id)")
        say("    SecretAccessKey: \(key.secret)")
    }

    static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ValidationError("expected ADDRESS:PORT, got \(address)")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

/// Suspends until SIGINT or SIGTERM arrives.
func waitForTermination() async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "strata.signals")
        let once = OnceFlag()
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { if once.claim() { continuation.resume() } }
            source.resume()
            SignalSources.keep(source)
        }
    }
}

/// Signal sources must stay alive after the function that created them returns.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}

final class OnceFlag: @unchecked Sendable {
    private var claimed = false
    /// True the first time only; called on one serial queue.
    func claim() -> Bool { defer { claimed = true }; return !claimed }
}

/// Prints a status line and flushes it: logs and scripts read these as they come, also when stdout is a
/// file or a pipe (where it would otherwise be block-buffered).
func say(_ line: String) {
    print(line)
    fflush(nil)
}

enum DelegationPolicy: String, ExpressibleByArgument, CaseIterable {
    case none, read
    case readWrite = "read-write"
}
