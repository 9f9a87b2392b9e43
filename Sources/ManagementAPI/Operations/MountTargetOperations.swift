import ControlPlane
import JSONValue

/// CreateMountTarget, DescribeMountTargets, DeleteMountTarget and their security groups.
extension Dispatch {
    static func createMountTarget(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let request = CreateMountTargetInput(fileSystemID: try input.required("FileSystemId"), subnetID: try input.required("SubnetId"),
                                             ipAddress: input.string("IpAddress"), securityGroups: input.strings("SecurityGroups"))
        return EFSOutput.mountTarget(try await cp.createMountTarget(request))
    }

    static func describeMountTargets(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let filters: [MountTargetFilter] = [input.string("FileSystemId").map { .fileSystem($0) },
                                            input.string("MountTargetId").map { .mountTarget($0) },
                                            input.string("AccessPointId").map { .accessPoint($0) }].compactMap { $0 }
        guard filters.count == 1 else {
            throw APIError("BadRequest", "Specify exactly one of FileSystemId, MountTargetId or AccessPointId.")
        }
        let page = try await cp.describeMountTargets(filters[0], page: input.page())
        return EFSOutput.markerPage("MountTargets", page.items.map(EFSOutput.mountTarget), next: page.next, marker: input.string("Marker"))
    }

    static func deleteMountTarget(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.deleteMountTarget(try input.required("MountTargetId"))
        return .null
    }

    static func describeMountTargetSecurityGroups(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        ["SecurityGroups": .array(try await cp.mountTargetSecurityGroups(try input.required("MountTargetId")).map { .string($0) })]
    }

    static func modifyMountTargetSecurityGroups(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.modifyMountTargetSecurityGroups(try input.required("MountTargetId"), input.strings("SecurityGroups") ?? [])
        return .null
    }
}
