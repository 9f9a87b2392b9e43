import JSONValue

public struct Tag: Codable, Sendable, Hashable {
    public var Key: String
    public var Value: String
}

/// A file system as the API knows it; `storageID` is the storage engine's file system.
public struct FileSystemState: Codable, Sendable {
    public var id: String
    public var storageID: Int64
    public var creationToken: String
    public var creationTime: Double
    public var lifeCycleState: String
    public var performanceMode: String
    public var throughputMode: String
    public var provisionedThroughputInMibps: Double?
    public var encrypted: Bool
    public var kmsKeyId: String?
    public var availabilityZoneName: String?
    public var tags: [Tag]
    public var lifecyclePolicies: [JSON] = []
    public var policy: String?
    public var backupStatus: String
    public var replicationOverwriteProtection: String = "ENABLED"
    /// Fixed by the first mount target: a file system lives in one VPC.
    public var vpc: String?

    var name: String? { tags.first { $0.Key == "Name" }?.Value }
}

public struct MountTargetState: Codable, Sendable {
    public var id: String
    public var fileSystemID: String
    public var subnetID: String
    public var ipAddress: String
    public var securityGroups: [String]
    public var lifeCycleState: String
    public var networkInterfaceID: String
    public var availabilityZone: String
    public var vpc: String
}

public struct AccessPointState: Codable, Sendable {
    public var id: String
    public var fileSystemID: String
    public var clientToken: String
    public var tags: [Tag]
    public var posixUser: JSON?
    public var rootDirectory: JSON?
    public var lifeCycleState: String

    var name: String? { tags.first { $0.Key == "Name" }?.Value }
}

