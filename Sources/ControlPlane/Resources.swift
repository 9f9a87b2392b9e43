/// A file system as the API knows it; `storageID` is the storage engine's file system. Stored as its
/// Codable form (the property names are the stored keys: renaming one orphans existing rows).
public struct FileSystemState: Codable, Sendable {
    public var id: String
    public var storageID: Int64
    public var creationToken: String
    public var creationTime: Double
    public var lifeCycleState: LifeCycleState
    public var performanceMode: PerformanceMode
    public var throughputMode: ThroughputMode
    public var provisionedThroughputInMibps: Double?
    public var encrypted: Bool
    public var kmsKeyId: String?
    public var availabilityZoneName: String?
    public var tags: [Tag]
    public var lifecyclePolicies: [LifecyclePolicy] = []
    public var policy: String?
    public var backupStatus: BackupStatus
    public var replicationOverwriteProtection: ReplicationOverwriteProtection = .enabled
    /// Fixed by the first mount target: a file system lives in one VPC.
    public var vpc: String?

    var name: String? { tags.first { $0.key == "Name" }?.value }
}

public struct MountTargetState: Codable, Sendable {
    public var id: String
    public var fileSystemID: String
    public var subnetID: String
    public var ipAddress: String
    public var securityGroups: [String]
    public var lifeCycleState: LifeCycleState
    public var networkInterfaceID: String
    public var availabilityZone: String
    public var vpc: String
}

public struct AccessPointState: Codable, Sendable {
    public var id: String
    public var fileSystemID: String
    public var clientToken: String
    public var tags: [Tag]
    public var posixUser: PosixUser?
    public var rootDirectory: RootDirectory
    public var lifeCycleState: LifeCycleState

    var name: String? { tags.first { $0.key == "Name" }?.value }
}
