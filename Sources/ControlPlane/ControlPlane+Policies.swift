import Foundation
import IAM
import MetadataStore

/// Lifecycle, file system policy, backup policy, account preferences; replication is not offered.
extension ControlPlane {
    /// Replaces the lifecycle configuration (an empty list removes it).
    public func putLifecycleConfiguration(_ id: String, _ policies: [LifecyclePolicy]) async throws -> [LifecyclePolicy] {
        var fs = try availableFileSystem(id)
        var seen: Set<String> = []
        for policy in policies {
            guard policy.transitions.count == 1, let kind = policy.transitions.first else {
                throw APIError.badRequest("Each lifecycle policy sets exactly one of TransitionToIA, TransitionToPrimaryStorageClass, TransitionToArchive.")
            }
            guard seen.insert(kind).inserted else { throw APIError.badRequest("\(kind) appears more than once.") }
        }
        fs.lifecyclePolicies = policies
        fileSystems[id] = fs
        try await persist(fs)
        return policies
    }

    public func lifecycleConfiguration(_ id: String) throws -> [LifecyclePolicy] {
        try fileSystem(id).lifecyclePolicies
    }

    /// Sets the file system policy (its JSON text, kept as given) once it parses as a resource policy.
    public func putFileSystemPolicy(_ id: String, policy text: String) async throws -> String {
        var fs = try availableFileSystem(id)
        let parsed: PolicyDocument
        do { parsed = try PolicyDocument.parse(text, resourcePolicy: true) } catch {
            throw APIError("InvalidPolicyException", "The file system policy is invalid: \(error.message)")
        }
        fs.policy = text
        fileSystems[id] = fs
        policies[id] = parsed
        try await persist(fs)
        return text
    }

    public func fileSystemPolicy(_ id: String) throws -> String {
        guard let policy = try fileSystem(id).policy else {
            throw APIError("PolicyNotFound", "File system '\(id)' has no file system policy; the default policy applies.")
        }
        return policy
    }

    public func deleteFileSystemPolicy(_ id: String) async throws {
        var fs = try availableFileSystem(id)
        fs.policy = nil
        fileSystems[id] = fs
        policies[id] = nil
        try await persist(fs)
    }

    public func putBackupPolicy(_ id: String, _ status: BackupStatus) async throws -> BackupStatus {
        var fs = try availableFileSystem(id)
        guard status == .enabled || status == .disabled else {
            throw APIError("ValidationException", "BackupPolicy Status can be set to ENABLED or DISABLED only.")
        }
        fs.backupStatus = status
        fileSystems[id] = fs
        try await persist(fs)
        return status
    }

    public func backupPolicy(_ id: String) throws -> BackupStatus {
        try fileSystem(id).backupStatus
    }

    public func putAccountPreferences(_ type: ResourceIDType) async throws -> ResourceIDPreference {
        resourceIDType = type
        let body = try Array(JSONEncoder().encode(AccountPreferences(resourceIdType: type)))
        try await engine.store.write { try $0.putResource(kind: ResourceKind.ControlPlane.account, id: "preferences", body: body) }
        return accountPreferences()
    }

    public func accountPreferences() -> ResourceIDPreference {
        ResourceIDPreference(type: resourceIDType, resources: ["FILE_SYSTEM", "MOUNT_TARGET"])
    }

    /// Replication is not offered: describing finds nothing for an existing file system, creating is
    /// refused, and deleting finds nothing to delete.
    public func describeReplicationConfigurations(_ id: String?) throws {
        guard let id else { return }
        _ = try fileSystem(id)
        throw APIError("ReplicationNotFound", "File system '\(id)' has no replication configuration.")
    }

    public func createReplicationConfiguration(_ sourceID: String) throws {
        _ = try fileSystem(sourceID)
        throw APIError("ValidationException", "Replication is not offered by this Strata deployment yet.")
    }

    public func deleteReplicationConfiguration(_ sourceID: String) throws {
        _ = try fileSystem(sourceID)
        throw APIError("ReplicationNotFound", "No replication configuration exists; Strata does not offer replication yet.")
    }
}

/// The account's settings as stored (the key is the stored name).
struct AccountPreferences: Codable {
    var resourceIdType: ResourceIDType
    enum CodingKeys: String, CodingKey { case resourceIdType = "ResourceIdType" }
}
