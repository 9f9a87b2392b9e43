/// What the operations that create or change resources take, already decoded from the request.

public struct CreateFileSystemInput: Sendable {
    public var creationToken: String
    public var performanceMode: PerformanceMode?
    public var throughputMode: ThroughputMode?
    public var provisionedThroughputInMibps: Double?
    public var encrypted: Bool?
    public var kmsKeyId: String?
    public var availabilityZoneName: String?
    public var backup: Bool?
    public var tags: [Tag]
    public init(creationToken: String, performanceMode: PerformanceMode? = nil, throughputMode: ThroughputMode? = nil,
                provisionedThroughputInMibps: Double? = nil, encrypted: Bool? = nil, kmsKeyId: String? = nil,
                availabilityZoneName: String? = nil, backup: Bool? = nil, tags: [Tag] = []) {
        self.creationToken = creationToken; self.performanceMode = performanceMode; self.throughputMode = throughputMode
        self.provisionedThroughputInMibps = provisionedThroughputInMibps; self.encrypted = encrypted; self.kmsKeyId = kmsKeyId
        self.availabilityZoneName = availabilityZoneName; self.backup = backup; self.tags = tags
    }
}

public struct CreateMountTargetInput: Sendable {
    public var fileSystemID: String
    public var subnetID: String
    public var ipAddress: String?
    /// nil: the network's default security group.
    public var securityGroups: [String]?
    public init(fileSystemID: String, subnetID: String, ipAddress: String? = nil, securityGroups: [String]? = nil) {
        self.fileSystemID = fileSystemID; self.subnetID = subnetID; self.ipAddress = ipAddress; self.securityGroups = securityGroups
    }
}

public struct CreateAccessPointInput: Sendable {
    public var clientToken: String
    public var fileSystemID: String
    public var tags: [Tag]
    public var posixUser: PosixUser?
    public var rootDirectory: RootDirectory?
    public init(clientToken: String, fileSystemID: String, tags: [Tag] = [], posixUser: PosixUser? = nil,
                rootDirectory: RootDirectory? = nil) {
        self.clientToken = clientToken; self.fileSystemID = fileSystemID; self.tags = tags; self.posixUser = posixUser
        self.rootDirectory = rootDirectory
    }
}

/// Which mount targets DescribeMountTargets lists.
public enum MountTargetFilter: Sendable {
    case fileSystem(String)
    case mountTarget(String)
    case accessPoint(String)
}

/// Which access points DescribeAccessPoints lists.
public enum AccessPointFilter: Sendable {
    case all
    case fileSystem(String)
    case accessPoint(String)
}
