import ControlPlane
import JSONValue

/// Lifecycle configuration, file system policy, backup policy, account preferences, replication.
extension Dispatch {
    static func putLifecycleConfiguration(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let policies = try input.decoded("LifecyclePolicies", as: [LifecyclePolicy].self) ?? []
        let set = try await cp.putLifecycleConfiguration(try input.required("FileSystemId"), policies)
        return ["LifecyclePolicies": EFSOutput.encoded(set)]
    }

    static func describeLifecycleConfiguration(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        ["LifecyclePolicies": EFSOutput.encoded(try await cp.lifecycleConfiguration(try input.required("FileSystemId")))]
    }

    static func putFileSystemPolicy(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let id = try input.required("FileSystemId")
        let policy = try await cp.putFileSystemPolicy(id, policy: try input.required("Policy"))
        return ["FileSystemId": .string(id), "Policy": .string(policy)]
    }

    static func describeFileSystemPolicy(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let id = try input.required("FileSystemId")
        return ["FileSystemId": .string(id), "Policy": .string(try await cp.fileSystemPolicy(id))]
    }

    static func deleteFileSystemPolicy(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.deleteFileSystemPolicy(try input.required("FileSystemId"))
        return .null
    }

    static func putBackupPolicy(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        guard let text = input.json["BackupPolicy"]?["Status"]?.string, let status = BackupStatus(rawValue: text) else {
            throw APIError("BadRequest", "BackupPolicy Status is required.")
        }
        let set = try await cp.putBackupPolicy(try input.required("FileSystemId"), status)
        return ["BackupPolicy": ["Status": .string(set.rawValue)]]
    }

    static func describeBackupPolicy(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        ["BackupPolicy": ["Status": .string(try await cp.backupPolicy(try input.required("FileSystemId")).rawValue)]]
    }

    static func putAccountPreferences(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        guard let type = try input.value("ResourceIdType", as: ResourceIDType.self) else {
            throw APIError("BadRequest", "ResourceIdType is required.")
        }
        return preference(try await cp.putAccountPreferences(type))
    }

    static func describeAccountPreferences(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        preference(await cp.accountPreferences())
    }

    private static func preference(_ p: ResourceIDPreference) -> JSON {
        ["ResourceIdPreference": ["ResourceIdType": .string(p.type.rawValue), "Resources": .array(p.resources.map { .string($0) })]]
    }

    static func describeReplicationConfigurations(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.describeReplicationConfigurations(input.string("FileSystemId"))
        return ["Replications": []]
    }

    static func createReplicationConfiguration(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.createReplicationConfiguration(try input.required("SourceFileSystemId"))
        return .null
    }

    static func deleteReplicationConfiguration(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.deleteReplicationConfiguration(try input.required("SourceFileSystemId"))
        return .null
    }
}
