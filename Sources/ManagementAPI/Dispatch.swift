import ControlPlane
import JSONValue

/// Operation name → the control plane call that implements it.
enum Dispatch {
    static func run(_ operation: String, _ input: JSON, on cp: ControlPlane) async throws -> JSON {
        switch operation {
        case "CreateFileSystem": try await cp.createFileSystem(input)
        case "DescribeFileSystems": try await cp.describeFileSystems(input)
        case "UpdateFileSystem": try await cp.updateFileSystem(input)
        case "UpdateFileSystemProtection": try await cp.updateFileSystemProtection(input)
        case "DeleteFileSystem": try await cp.deleteFileSystem(input)
        case "CreateMountTarget": try await cp.createMountTarget(input)
        case "DescribeMountTargets": try await cp.describeMountTargets(input)
        case "DeleteMountTarget": try await cp.deleteMountTarget(input)
        case "DescribeMountTargetSecurityGroups": try await cp.describeMountTargetSecurityGroups(input)
        case "ModifyMountTargetSecurityGroups": try await cp.modifyMountTargetSecurityGroups(input)
        case "CreateAccessPoint": try await cp.createAccessPoint(input)
        case "DescribeAccessPoints": try await cp.describeAccessPoints(input)
        case "DeleteAccessPoint": try await cp.deleteAccessPoint(input)
        case "TagResource": try await cp.tagResource(input)
        case "UntagResource": try await cp.untagResource(input)
        case "ListTagsForResource": try await cp.listTagsForResource(input)
        case "CreateTags": try await cp.createTags(input)
        case "DeleteTags": try await cp.deleteTags(input)
        case "DescribeTags": try await cp.describeTags(input)
        case "PutLifecycleConfiguration": try await cp.putLifecycleConfiguration(input)
        case "DescribeLifecycleConfiguration": try await cp.describeLifecycleConfiguration(input)
        case "PutFileSystemPolicy": try await cp.putFileSystemPolicy(input)
        case "DescribeFileSystemPolicy": try await cp.describeFileSystemPolicy(input)
        case "DeleteFileSystemPolicy": try await cp.deleteFileSystemPolicy(input)
        case "PutBackupPolicy": try await cp.putBackupPolicy(input)
        case "DescribeBackupPolicy": try await cp.describeBackupPolicy(input)
        case "PutAccountPreferences": try await cp.putAccountPreferences(input)
        case "DescribeAccountPreferences": await cp.describeAccountPreferences(input)
        case "CreateReplicationConfiguration", "DeleteReplicationConfiguration", "DescribeReplicationConfigurations":
            try await cp.replicationNotOffered(input, operation: operation)
        default:
            throw APIError("BadRequest", "Operation \(operation) is not offered.")
        }
    }
}
