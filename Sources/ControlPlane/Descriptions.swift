/// What the describe operations answer: resources as EFS reports them.

public struct FileSystemSize: Sendable, Hashable {
    public var value: UInt64
    public var valueInStandard: UInt64
    public var valueInIA: UInt64
    public var valueInArchive: UInt64
    /// When it was metered, seconds since the epoch.
    public var timestamp: Double
}

public struct FileSystemDescription: Sendable {
    public var ownerID: String
    public var creationToken: String
    public var fileSystemID: String
    public var fileSystemARN: String
    public var creationTime: Double
    public var lifeCycleState: LifeCycleState
    public var name: String?
    public var numberOfMountTargets: Int
    public var sizeInBytes: FileSystemSize
    public var performanceMode: PerformanceMode
    public var encrypted: Bool
    public var kmsKeyId: String?
    public var throughputMode: ThroughputMode
    public var provisionedThroughputInMibps: Double?
    public var availabilityZoneName: String?
    public var tags: [Tag]
    public var replicationOverwriteProtection: ReplicationOverwriteProtection
}

public struct MountTargetDescription: Sendable {
    public var ownerID: String
    public var mountTargetID: String
    public var fileSystemID: String
    public var subnetID: String
    public var lifeCycleState: LifeCycleState
    public var ipAddress: String
    public var networkInterfaceID: String
    public var availabilityZoneName: String
    public var vpcID: String
}

public struct AccessPointDescription: Sendable {
    public var clientToken: String
    public var name: String?
    public var tags: [Tag]
    public var accessPointID: String
    public var accessPointARN: String
    public var fileSystemID: String
    public var posixUser: PosixUser?
    public var rootDirectory: RootDirectory
    public var ownerID: String
    public var lifeCycleState: LifeCycleState
}

/// The account's resource id preference (DescribeAccountPreferences).
public struct ResourceIDPreference: Sendable {
    public var type: ResourceIDType
    public var resources: [String]
}
