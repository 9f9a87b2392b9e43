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
        try checkRootPath(root.path)
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

    /// What a root directory path must be beyond the model's pattern: absolute, at most 100 bytes, with no
    /// empty, `.` or `..` component and no control character (the pattern is the first line of defence;
    /// this holds for every caller of the control plane).
    func checkRootPath(_ path: String) throws(APIError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), path.utf8.count <= 100,
              path == "/" || !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
              !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw APIError.badRequest("RootDirectory Path must be absolute, at most 100 bytes, with no empty, . or .. component and no control character.")
        }
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
