import MetadataStore

/// CreateAccessPoint (ClientToken idempotent), DescribeAccessPoints, DeleteAccessPoint.
extension ControlPlane {
    static let accessPointLimit = 10_000

    public func createAccessPoint(_ input: CreateAccessPointInput) async throws -> AccessPointDescription {
        let root = input.rootDirectory ?? RootDirectory()
        if let existing = accessPoints.values.first(where: { $0.clientToken == input.clientToken }) {
            guard existing.fileSystemID == input.fileSystemID, existing.posixUser == input.posixUser,
                  existing.rootDirectory == root else {
                throw APIError("AccessPointAlreadyExists", "ClientToken '\(input.clientToken)' was used for another access point.",
                               fields: ["AccessPointId": existing.id])
            }
            return describe(existing)
        }
        _ = try availableFileSystem(input.fileSystemID)
        guard accessPoints.values.filter({ $0.fileSystemID == input.fileSystemID }).count < Self.accessPointLimit else {
            throw APIError("AccessPointLimitExceeded", "File system '\(input.fileSystemID)' has \(Self.accessPointLimit) access points.")
        }
        guard root.path.hasPrefix("/"), !root.components.contains(where: { $0 == "." || $0 == ".." }) else {
            throw APIError.badRequest("RootDirectory Path must be absolute, without . or .. components.")
        }
        let ap = AccessPointState(id: newID("fsap-"), fileSystemID: input.fileSystemID, clientToken: input.clientToken,
                                  tags: try checkedTags(input.tags), posixUser: input.posixUser, rootDirectory: root,
                                  lifeCycleState: .creating)
        accessPoints[ap.id] = ap
        do { try await persist(ap) } catch { accessPoints[ap.id] = nil; publishDataPath(); throw error }
        settle { cp in
            guard cp.accessPoints[ap.id]?.lifeCycleState == .creating else { return }
            cp.accessPoints[ap.id]!.lifeCycleState = .available
            try? await cp.persist(cp.accessPoints[ap.id]!)
        }
        return describe(ap)
    }

    public func describeAccessPoints(_ filter: AccessPointFilter, page request: PageRequest = .init()) throws -> Page<AccessPointDescription> {
        var matches = accessPoints.values.sorted { $0.id < $1.id }
        switch filter {
        case .all: break
        case .accessPoint(let id):
            guard accessPoints[id] != nil else { throw APIError.accessPointNotFound(id) }
            matches = matches.filter { $0.id == id }
        case .fileSystem(let fsID):
            _ = try fileSystem(fsID)
            matches = matches.filter { $0.fileSystemID == fsID }
        }
        let page = try page(matches, id: \.id, request)
        return Page(items: page.items.map(describe), next: page.next)
    }

    public func deleteAccessPoint(_ id: String) async throws {
        guard accessPoints[id] != nil else { throw APIError.accessPointNotFound(id) }
        accessPoints[id] = nil
        try await forget(kind: ResourceKind.ControlPlane.accessPoint, id: id)
    }

    func describe(_ ap: AccessPointState) -> AccessPointDescription {
        AccessPointDescription(clientToken: ap.clientToken, name: ap.name, tags: ap.tags, accessPointID: ap.id,
                               accessPointARN: accessPointARN(ap.id), fileSystemID: ap.fileSystemID, posixUser: ap.posixUser,
                               rootDirectory: ap.rootDirectory, ownerID: accountID, lifeCycleState: ap.lifeCycleState)
    }
}
