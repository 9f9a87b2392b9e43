import FileSystem
import Foundation
import IAM
import Locking
import MetadataStore

/// The EFS resource model. State lives in memory for fast answers and is written through to the metadata
/// store (kind/id/JSON) before any change is acknowledged, so it survives restarts and could be shared.
/// An actor: changes are made to memory before the first suspension point, so no two requests can both
/// pass the same uniqueness check.
public actor ControlPlane {
    public let engine: StorageEngine
    public nonisolated let network: NetworkConfig
    public nonisolated let accountID: String
    // The NFS data path and request authorization read a published snapshot of these, never these: a
    // change reaches it when it is persisted (`persist` and `forget` publish).
    var fileSystems: [String: FileSystemState] = [:]
    var mountTargets: [String: MountTargetState] = [:]
    var accessPoints: [String: AccessPointState] = [:]
    /// File system policies, parsed once when put (the NFS data path asks on every compound).
    var policies: [String: PolicyDocument] = [:]
    nonisolated let publishedDataPath = AdaptiveMutex(DataPathView())
    var resourceIDType = ResourceIDType.long
    /// How long a new resource reports "creating" (a deleted one "deleting") before it settles.
    let settleDelay: Duration
    /// Called when a mount target appears or goes (mount targets are NFS listeners in `strata serve`).
    var mountTargetObserver: (@Sendable (MountTargetEvent) async -> Bool)?

    public enum MountTargetEvent: Sendable {
        case created(MountTargetState, storageID: Int64)
        case deleted(MountTargetState)
        case securityGroupsChanged(MountTargetState)
    }

    public init(engine: StorageEngine, network: NetworkConfig, accountID: String, settleDelay: Duration = .milliseconds(200)) async throws {
        self.engine = engine; self.network = network; self.accountID = accountID; self.settleDelay = settleDelay
        let decoder = JSONDecoder()
        let store = engine.store
        for (_, body) in try await store.read({ try $0.resources(kind: ResourceKind.ControlPlane.fileSystem) }) {
            let fs = try decoder.decode(FileSystemState.self, from: Data(body))
            fileSystems[fs.id] = fs
        }
        for fs in fileSystems.values {
            if let text = fs.policy { policies[fs.id] = try? PolicyDocument.parse(text, resourcePolicy: true) }
        }
        for (_, body) in try await store.read({ try $0.resources(kind: ResourceKind.ControlPlane.mountTarget) }) {
            let mt = try decoder.decode(MountTargetState.self, from: Data(body))
            mountTargets[mt.id] = mt
        }
        for (_, body) in try await store.read({ try $0.resources(kind: ResourceKind.ControlPlane.accessPoint) }) {
            let ap = try decoder.decode(AccessPointState.self, from: Data(body))
            accessPoints[ap.id] = ap
        }
        if let body = try await store.read({ try $0.resource(kind: ResourceKind.ControlPlane.account, id: "preferences") }),
           let preferences = try? decoder.decode(AccountPreferences.self, from: Data(body)) {
            resourceIDType = preferences.resourceIdType
        }
        // Anything caught mid-transition by a stop settles now.
        for (id, fs) in fileSystems where fs.lifeCycleState == .creating || fs.lifeCycleState == .updating {
            fileSystems[id]!.lifeCycleState = .available
        }
        for (id, mt) in mountTargets where mt.lifeCycleState == .creating { mountTargets[id]!.lifeCycleState = .available }
        for (id, fs) in fileSystems where fs.lifeCycleState == .deleting { try await finishDeleting(id) }
        for (id, ap) in accessPoints where ap.lifeCycleState == .creating { accessPoints[id]!.lifeCycleState = .available }
        publishDataPath()
    }

    /// `observer` returns whether it could act (a mount target whose listener cannot start is in "error").
    public func observeMountTargets(_ observer: @escaping @Sendable (MountTargetEvent) async -> Bool) {
        mountTargetObserver = observer
    }

    /// Mount targets with the storage file system each serves (for starting listeners).
    public func liveMountTargets() -> [(MountTargetState, Int64)] {
        mountTargets.values.compactMap { mt in fileSystems[mt.fileSystemID].map { (mt, $0.storageID) } }
    }

    /// Makes sure the embedded default file system is visible in the API.
    public func adoptDefault(storageID: Int64) async throws -> String {
        if let existing = fileSystems.values.first(where: { $0.storageID == storageID }) { return existing.id }
        let fs = FileSystemState(id: newID("fs-"), storageID: storageID, creationToken: "strata-default",
                                 creationTime: Date().timeIntervalSince1970, lifeCycleState: .available,
                                 performanceMode: .generalPurpose, throughputMode: .elastic, encrypted: false,
                                 tags: [Tag(key: "Name", value: "strata-default")], backupStatus: .disabled)
        fileSystems[fs.id] = fs
        try await persist(fs)
        return fs.id
    }

    // MARK: - Identifiers

    func newID(_ prefix: String) -> String {
        let digits = resourceIDType == .short && prefix != "fsap-" ? 8 : 17
        var g = SystemRandomNumberGenerator()
        return prefix + (0..<digits).map { _ in String(g.next() % 16, radix: 16) }.joined()
    }

    public nonisolated func fileSystemARN(_ id: String) -> String { "arn:aws:elasticfilesystem:\(network.region):\(accountID):file-system/\(id)" }
    public nonisolated func accessPointARN(_ id: String) -> String { "arn:aws:elasticfilesystem:\(network.region):\(accountID):access-point/\(id)" }

    // MARK: - Lookups (also used for authorization)

    func fileSystem(_ id: String) throws(APIError) -> FileSystemState {
        guard let fs = fileSystems[id] else { throw .fileSystemNotFound(id) }
        return fs
    }

    func availableFileSystem(_ id: String) throws(APIError) -> FileSystemState {
        let fs = try fileSystem(id)
        guard fs.lifeCycleState == .available else {
            throw APIError("IncorrectFileSystemLifeCycleState", "File system '\(id)' is \(fs.lifeCycleState.rawValue), not available.")
        }
        return fs
    }

    // MARK: - Persistence

    func persist(_ fs: FileSystemState) async throws {
        publishDataPath()
        let body = try Array(JSONEncoder().encode(fs))
        try await engine.store.write { try $0.putResource(kind: ResourceKind.ControlPlane.fileSystem, id: fs.id, body: body) }
    }

    func persist(_ mt: MountTargetState) async throws {
        publishDataPath()
        let body = try Array(JSONEncoder().encode(mt))
        try await engine.store.write { try $0.putResource(kind: ResourceKind.ControlPlane.mountTarget, id: mt.id, body: body) }
    }

    func persist(_ ap: AccessPointState) async throws {
        publishDataPath()
        let body = try Array(JSONEncoder().encode(ap))
        try await engine.store.write { try $0.putResource(kind: ResourceKind.ControlPlane.accessPoint, id: ap.id, body: body) }
    }

    func forget(kind: ResourceKind, id: String) async throws {
        publishDataPath()
        try await engine.store.write { try $0.deleteResource(kind: kind, id: id) }
    }

    /// After `settleDelay`, runs `change` (for creating → available transitions).
    func settle(_ change: @escaping @Sendable (isolated ControlPlane) async -> Void) {
        let delay = settleDelay
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard let self else { return }
            await change(self)
        }
    }

    // MARK: - Pagination

    /// The page of `items` that `request` asks for; a marker is the id of a page's first item.
    func page<T>(_ items: [T], id: (T) -> String, _ request: PageRequest) throws(APIError) -> Page<T> {
        var start = 0
        if let marker = request.marker {
            guard let index = items.firstIndex(where: { id($0) == marker }) else { throw .badRequest("Marker '\(marker)' is not valid.") }
            start = index
        }
        let limit = request.maxItems ?? 100
        let slice = Array(items[start..<min(items.count, start + limit)])
        return Page(items: slice, next: start + limit < items.count ? id(items[start + limit]) : nil)
    }
}
