import ControlPlane
import JSONValue

/// CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint.
extension Dispatch {
    static func createAccessPoint(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let request = CreateAccessPointInput(
            clientToken: try input.required("ClientToken"), fileSystemID: try input.required("FileSystemId"), tags: try input.tags(),
            posixUser: try input.decoded("PosixUser", as: PosixUser.self),
            rootDirectory: try input.decoded("RootDirectory", as: RootDirectory.self))
        return EFSOutput.accessPoint(try await cp.createAccessPoint(request))
    }

    static func describeAccessPoints(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let filter: AccessPointFilter = input.string("AccessPointId").map { .accessPoint($0) }
            ?? input.string("FileSystemId").map { .fileSystem($0) } ?? .all
        let page = try await cp.describeAccessPoints(filter, page: input.page(marker: "NextToken", max: "MaxResults"))
        return EFSOutput.tokenPage("AccessPoints", page.items.map(EFSOutput.accessPoint), next: page.next)
    }

    static func deleteAccessPoint(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        try await cp.deleteAccessPoint(try input.required("AccessPointId"))
        return .null
    }
}
