import IAM
import JSONValue
import MetadataStore

/// Lifecycle, file system policy, backup policy, account preferences; replication is not offered.
extension ControlPlane {
    public func putLifecycleConfiguration(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try availableFileSystem(id)
        let policies = input["LifecyclePolicies"]?.array ?? []
        var seen: Set<String> = []
        for policy in policies {
            guard let object = policy.object, object.count == 1, let kind = object.keys.first else {
                throw APIError.badRequest("Each lifecycle policy sets exactly one of TransitionToIA, TransitionToPrimaryStorageClass, TransitionToArchive.")
            }
            guard seen.insert(kind).inserted else { throw APIError.badRequest("\(kind) appears more than once.") }
        }
        fs.lifecyclePolicies = policies
        fileSystems[id] = fs
        try await persist(fs)
        return ["LifecyclePolicies": .array(policies)]
    }

    public func describeLifecycleConfiguration(_ input: JSON) throws -> JSON {
        ["LifecyclePolicies": .array(try fileSystem(input["FileSystemId"]!.string!).lifecyclePolicies)]
    }

    public func putFileSystemPolicy(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try availableFileSystem(id)
        let text = input["Policy"]!.string!
        let parsed: PolicyDocument
        do { parsed = try PolicyDocument.parse(text, resourcePolicy: true) } catch {
            throw APIError("InvalidPolicyException", "The file system policy is invalid: \(error.message)")
        }
        fs.policy = text
        fileSystems[id] = fs
        policies[id] = parsed
        try await persist(fs)
        return ["FileSystemId": .string(id), "Policy": .string(text)]
    }

    public func describeFileSystemPolicy(_ input: JSON) throws -> JSON {
        let id = input["FileSystemId"]!.string!
        guard let policy = try fileSystem(id).policy else {
            throw APIError("PolicyNotFound", "File system '\(id)' has no file system policy; the default policy applies.")
        }
        return ["FileSystemId": .string(id), "Policy": .string(policy)]
    }

    public func deleteFileSystemPolicy(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try availableFileSystem(id)
        fs.policy = nil
        fileSystems[id] = fs
        policies[id] = nil
        try await persist(fs)
        return .null
    }

    public func putBackupPolicy(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try availableFileSystem(id)
        let status = input["BackupPolicy"]!["Status"]!.string!
        guard status == "ENABLED" || status == "DISABLED" else {
            throw APIError("ValidationException", "BackupPolicy Status can be set to ENABLED or DISABLED only.")
        }
        fs.backupStatus = status
        fileSystems[id] = fs
        try await persist(fs)
        return ["BackupPolicy": ["Status": .string(status)]]
    }

    public func describeBackupPolicy(_ input: JSON) throws -> JSON {
        ["BackupPolicy": ["Status": .string(try fileSystem(input["FileSystemId"]!.string!).backupStatus)]]
    }

    public func putAccountPreferences(_ input: JSON) async throws -> JSON {
        let type = input["ResourceIdType"]!.string!
        resourceIDType = type
        let body = JSON.object(["ResourceIdType": .string(type)]).serialized()
        try await engine.store.write { try $0.putResource(kind: ResourceKind.ControlPlane.account, id: "preferences", body: body) }
        return ["ResourceIdPreference": preference]
    }

    public func describeAccountPreferences(_ input: JSON) -> JSON {
        ["ResourceIdPreference": preference]
    }

    private var preference: JSON {
        ["ResourceIdType": .string(resourceIDType), "Resources": ["FILE_SYSTEM", "MOUNT_TARGET"]]
    }

    public func replicationNotOffered(_ input: JSON, operation: String) throws -> JSON {
        if operation == "DescribeReplicationConfigurations" {
            guard let id = input["FileSystemId"]?.string else { return ["Replications": []] }
            _ = try fileSystem(id)
            throw APIError("ReplicationNotFound", "File system '\(id)' has no replication configuration.")
        }
        if let id = input["SourceFileSystemId"]?.string { _ = try fileSystem(id) }
        if operation == "DeleteReplicationConfiguration" {
            throw APIError("ReplicationNotFound", "No replication configuration exists; Strata does not offer replication yet.")
        }
        throw APIError("ValidationException", "Replication is not offered by this Strata deployment yet.")
    }
}
