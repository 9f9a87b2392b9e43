import ControlPlane
import JSONValue

/// Operation name → its EFS JSON codec, which decodes the input, calls the typed control plane and
/// encodes the answer. EFS's JSON exists in this module only.
enum Dispatch {
    typealias Handler = @Sendable (EFSInput, ControlPlane) async throws -> JSON

    static let handlers: [String: Handler] = [
        "CreateFileSystem": createFileSystem, "DescribeFileSystems": describeFileSystems,
        "UpdateFileSystem": updateFileSystem, "UpdateFileSystemProtection": updateFileSystemProtection,
        "DeleteFileSystem": deleteFileSystem,
        "CreateMountTarget": createMountTarget, "DescribeMountTargets": describeMountTargets,
        "DeleteMountTarget": deleteMountTarget, "DescribeMountTargetSecurityGroups": describeMountTargetSecurityGroups,
        "ModifyMountTargetSecurityGroups": modifyMountTargetSecurityGroups,
        "CreateAccessPoint": createAccessPoint, "DescribeAccessPoints": describeAccessPoints,
        "DeleteAccessPoint": deleteAccessPoint,
        "TagResource": tagResource, "UntagResource": untagResource, "ListTagsForResource": listTagsForResource,
        "CreateTags": createTags, "DeleteTags": deleteTags, "DescribeTags": describeTags,
        "PutLifecycleConfiguration": putLifecycleConfiguration, "DescribeLifecycleConfiguration": describeLifecycleConfiguration,
        "PutFileSystemPolicy": putFileSystemPolicy, "DescribeFileSystemPolicy": describeFileSystemPolicy,
        "DeleteFileSystemPolicy": deleteFileSystemPolicy,
        "PutBackupPolicy": putBackupPolicy, "DescribeBackupPolicy": describeBackupPolicy,
        "PutAccountPreferences": putAccountPreferences, "DescribeAccountPreferences": describeAccountPreferences,
        "CreateReplicationConfiguration": createReplicationConfiguration,
        "DeleteReplicationConfiguration": deleteReplicationConfiguration,
        "DescribeReplicationConfigurations": describeReplicationConfigurations,
    ]

    static func run(_ operation: String, _ input: JSON, on cp: ControlPlane) async throws -> JSON {
        guard let handler = handlers[operation] else { throw APIError("BadRequest", "Operation \(operation) is not offered.") }
        return try await handler(EFSInput(json: input), cp)
    }
}
