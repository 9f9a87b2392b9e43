import Foundation
import JSONValue
import MetadataStore

/// CreateAccessPoint (ClientToken idempotent), DescribeAccessPoints, DeleteAccessPoint.
extension ControlPlane {
    static let accessPointLimit = 10_000

    public func createAccessPoint(_ input: JSON) async throws -> JSON {
        let token = input["ClientToken"]!.string!
        let fsID = input["FileSystemId"]!.string!
        if let existing = accessPoints.values.first(where: { $0.clientToken == token }) {
            guard existing.fileSystemID == fsID, existing.posixUser == input["PosixUser"],
                  existing.rootDirectory == normalizedRoot(input["RootDirectory"]) else {
                throw APIError("AccessPointAlreadyExists", "ClientToken '\(token)' was used for another access point.",
                               fields: ["AccessPointId": .string(existing.id)])
            }
            return describe(existing)
        }
        _ = try availableFileSystem(fsID)
        guard accessPoints.values.filter({ $0.fileSystemID == fsID }).count < Self.accessPointLimit else {
            throw APIError("AccessPointLimitExceeded", "File system '\(fsID)' has \(Self.accessPointLimit) access points.")
        }
        if let path = input["RootDirectory"]?["Path"]?.string {
            guard path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else {
                throw APIError.badRequest("RootDirectory Path must be absolute, without . or .. components.")
            }
        }
        let ap = AccessPointState(id: newID("fsap-"), fileSystemID: fsID, clientToken: token, tags: try tagList(input["Tags"]),
                                  posixUser: input["PosixUser"], rootDirectory: normalizedRoot(input["RootDirectory"]),
                                  lifeCycleState: "creating")
        accessPoints[ap.id] = ap
        do { try await persist(ap) } catch { accessPoints[ap.id] = nil; throw error }
        settle { cp in
            guard cp.accessPoints[ap.id]?.lifeCycleState == "creating" else { return }
            cp.accessPoints[ap.id]!.lifeCycleState = "available"
            try? await cp.persist(cp.accessPoints[ap.id]!)
        }
        return describe(ap)
    }

    /// RootDirectory as EFS reports it: Path defaults to "/".
    func normalizedRoot(_ root: JSON?) -> JSON {
        var object = root?.object ?? [:]
        if object["Path"] == nil { object["Path"] = "/" }
        return .object(object)
    }

    public func describeAccessPoints(_ input: JSON) throws -> JSON {
        var matches = accessPoints.values.sorted { $0.id < $1.id }
        if let id = input["AccessPointId"]?.string {
            guard accessPoints[id] != nil else { throw APIError.accessPointNotFound(id) }
            matches = matches.filter { $0.id == id }
        } else if let fsID = input["FileSystemId"]?.string {
            _ = try fileSystem(fsID)
            matches = matches.filter { $0.fileSystemID == fsID }
        }
        let (page, next) = try page(matches, id: \.id, marker: input["NextToken"]?.string, max: input["MaxResults"]?.int.map(Int.init))
        var out: [String: JSON] = ["AccessPoints": .array(page.map(describe))]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    public func deleteAccessPoint(_ input: JSON) async throws -> JSON {
        let id = input["AccessPointId"]!.string!
        guard accessPoints[id] != nil else { throw APIError.accessPointNotFound(id) }
        accessPoints[id] = nil
        try await forget(kind: ResourceKind.ControlPlane.accessPoint, id: id)
        return .null
    }

    func describe(_ ap: AccessPointState) -> JSON {
        var out: [String: JSON] = [
            "ClientToken": .string(ap.clientToken), "Tags": tagsJSON(ap.tags), "AccessPointId": .string(ap.id),
            "AccessPointArn": .string(accessPointARN(ap.id)), "FileSystemId": .string(ap.fileSystemID),
            "OwnerId": .string(accountID), "LifeCycleState": .string(ap.lifeCycleState),
        ]
        if let name = ap.name { out["Name"] = .string(name) }
        if let user = ap.posixUser { out["PosixUser"] = user }
        if let root = ap.rootDirectory { out["RootDirectory"] = root }
        return .object(out)
    }
}
