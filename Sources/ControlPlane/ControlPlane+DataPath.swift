import IAM

/// What is read of the control plane on every request (the NFS data path on each COMPOUND, the API when it
/// authorizes a call), as a snapshot read without entering the actor. Asking the actor moved each request
/// to another thread and back: two wake-ups per call, for answers that change only when a resource does.
public struct DataPathView: Sendable {
    public struct FileSystem: Sendable {
        public var id: String
        public var arn: String
        public var storageID: Int64
        public var tags: [Tag]
        public var policy: PolicyDocument?
    }

    public struct AccessPoint: Sendable {
        public var id: String
        public var arn: String
        public var fileSystemID: String
        /// The storage engine's file system the access point belongs to.
        public var storageID: Int64
        public var tags: [Tag]
        public var posixUser: PosixUser?
        public var rootDirectory: RootDirectory
        public var available: Bool
    }

    /// Every API file system, by its id.
    public var fileSystems: [String: FileSystem] = [:]
    /// The API file system id of each storage engine file system.
    public var fileSystemIDs: [Int64: String] = [:]
    /// Every access point, by id (the data path uses the available ones only).
    public var accessPoints: [String: AccessPoint] = [:]
    /// The file system of each mount target.
    public var mountTargetFileSystems: [String: String] = [:]

    public func fileSystem(storageID: Int64) -> FileSystem? { fileSystemIDs[storageID].flatMap { fileSystems[$0] } }

    /// The access point `id` as the NFS data path may use it: available, and of the storage file system `storageID`.
    public func accessPoint(_ id: String, storageID: Int64) -> AccessPoint? {
        guard let ap = accessPoints[id], ap.available, ap.storageID == storageID else { return nil }
        return ap
    }

    /// What the file system policy grants an NFS client, anonymous over plain TCP (aws:SecureTransport
    /// false), reaching the file system through `accessPointARN` (nil: no access point). No policy: all.
    public func clientAccess(storageID: Int64, accessPointARN: String?) -> (mount: Bool, write: Bool, rootAccess: Bool) {
        guard let fs = fileSystem(storageID: storageID), let policy = fs.policy else { return (true, true, true) }
        var values: [String: [String]] = ["aws:SecureTransport": ["false"]]
        if let accessPointARN { values["elasticfilesystem:AccessPointArn"] = [accessPointARN] }
        func allows(_ action: String) -> Bool {
            PolicyEvaluator.evaluate([policy], RequestContext(action: "elasticfilesystem:" + action, resource: fs.arn,
                                                              principal: "anonymous", values: values)) == .allow
        }
        return (allows("ClientMount"), allows("ClientWrite"), allows("ClientRootAccess"))
    }
}

extension ControlPlane {
    /// The snapshot as of the latest persisted change.
    public nonisolated var dataPath: DataPathView { publishedDataPath.withLock { $0 } }

    /// Rebuilds the snapshot (control-plane rates, not data-path ones); `persist` and `forget` call it.
    func publishDataPath() {
        var view = DataPathView()
        for fs in fileSystems.values {
            view.fileSystems[fs.id] = .init(id: fs.id, arn: fileSystemARN(fs.id), storageID: fs.storageID, tags: fs.tags,
                                            policy: policies[fs.id])
            if fs.storageID != 0 { view.fileSystemIDs[fs.storageID] = fs.id }  // 0: its storage is still being made
        }
        for ap in accessPoints.values {
            guard let fs = fileSystems[ap.fileSystemID] else { continue }
            view.accessPoints[ap.id] = .init(id: ap.id, arn: accessPointARN(ap.id), fileSystemID: ap.fileSystemID,
                                             storageID: fs.storageID, tags: ap.tags, posixUser: ap.posixUser,
                                             rootDirectory: ap.rootDirectory, available: ap.lifeCycleState == .available)
        }
        for mt in mountTargets.values { view.mountTargetFileSystems[mt.id] = mt.fileSystemID }
        publishedDataPath.withLock { $0 = view }
    }
}
