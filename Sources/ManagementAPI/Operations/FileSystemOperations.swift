import ControlPlane
import JSONValue

/// CreateFileSystem, DescribeFileSystems, UpdateFileSystem, UpdateFileSystemProtection, DeleteFileSystem.
extension Dispatch {
    static func createFileSystem(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let request = CreateFileSystemInput(
            creationToken: input.string("CreationToken") ?? "", performanceMode: try input.value("PerformanceMode", as: PerformanceMode.self),
            throughputMode: try input.value("ThroughputMode", as: ThroughputMode.self),
            provisionedThroughputInMibps: input.double("ProvisionedThroughputInMibps"), encrypted: input.bool("Encrypted"),
            kmsKeyId: input.string("KmsKeyId"), availabilityZoneName: input.string("AvailabilityZoneName"),
            backup: input.bool("Backup"), tags: try input.tags())
        return EFSOutput.fileSystem(try await cp.createFileSystem(request))
    }

    static func describeFileSystems(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let page = try await cp.describeFileSystems(id: input.string("FileSystemId"), creationToken: input.string("CreationToken"),
                                                    page: input.page())
        return EFSOutput.markerPage("FileSystems", page.items.map(EFSOutput.fileSystem), next: page.next, marker: input.string("Marker"))
    }

    static func updateFileSystem(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        EFSOutput.fileSystem(try await cp.updateFileSystem(try input.required("FileSystemId"),
                                                            throughputMode: try input.value("ThroughputMode", as: ThroughputMode.self),
                                                            provisionedThroughputInMibps: input.double("ProvisionedThroughputInMibps")))
    }

    static func updateFileSystemProtection(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let value = try await cp.updateFileSystemProtection(
            try input.required("FileSystemId"),
            replicationOverwriteProtection: try input.value("ReplicationOverwriteProtection", as: ReplicationOverwriteProtection.self))
        return ["ReplicationOverwriteProtection": .string(value.rawValue)]
    }

    static func deleteFileSystem(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.deleteFileSystem(try input.required("FileSystemId"))
        return .null
    }
}
