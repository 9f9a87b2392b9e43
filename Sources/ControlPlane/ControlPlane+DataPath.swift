import IAM

/// What the NFS data path asks of the control plane on every COMPOUND (the access point of a handle, the
/// file system's policy), as a snapshot it reads without entering the actor. Asking the actor moved each
/// request to another thread and back: two wake-ups per call, for answers that change only when the API
/// changes a resource.
public struct DataPathView: Sendable {
    public struct FileSystem: Sendable {
        public var id: String
        public var arn: String
        public var policy: PolicyDocument?
    }

    public struct AccessPoint: Sendable {
        public var state: AccessPointState
        public var arn: String
        /// The storage engine's file system the access point belongs to.
        public var storageID: Int64
    }

    /// Every API file system, by its storage engine id.
    public var fileSystems: [Int64: FileSystem] = [:]
    /// Available access points only, by id.
    public var accessPoints: [String: AccessPoint] = [:]
}

extension ControlPlane {
    /// The snapshot as of the latest change to file systems, access points or policies.
    public nonisolated var dataPath: DataPathView { publishedDataPath.withLock { $0 } }

    /// Rebuilds the snapshot; called after every change of what it holds (control-plane rates, not data-path).
    func publishDataPath() {
        var view = DataPathView()
        for fs in fileSystems.values {
            view.fileSystems[fs.storageID] = .init(id: fs.id, arn: fileSystemARN(fs.id), policy: policies[fs.id])
        }
        for ap in accessPoints.values where ap.lifeCycleState == "available" {
            guard let fs = fileSystems[ap.fileSystemID] else { continue }
            view.accessPoints[ap.id] = .init(state: ap, arn: accessPointARN(ap.id), storageID: fs.storageID)
        }
        publishedDataPath.withLock { $0 = view }
    }
}
