import Foundation
import MetadataStore

/// CreateMountTarget, DescribeMountTargets, DeleteMountTarget and their security groups.
extension ControlPlane {
    static let maxSecurityGroups = 5

    public func createMountTarget(_ input: CreateMountTargetInput) async throws -> MountTargetDescription {
        let fs = try availableFileSystem(input.fileSystemID)
        let subnetID = input.subnetID
        guard let subnet = network.subnet(subnetID) else { throw APIError("SubnetNotFound", "Subnet '\(subnetID)' does not exist.") }
        let existing = mountTargets.values.filter { $0.fileSystemID == fs.id }
        if let vpc = existing.first?.vpc, vpc != subnet.vpc {
            throw APIError("MountTargetConflict", "File system '\(fs.id)' already has mount targets in \(vpc); one VPC per file system.")
        }
        if existing.contains(where: { $0.availabilityZone == subnet.availabilityZone }) {
            throw APIError("MountTargetConflict", "File system '\(fs.id)' already has a mount target in \(subnet.availabilityZone).")
        }
        if let zone = fs.availabilityZoneName, zone != subnet.availabilityZone {
            throw APIError.badRequest("One Zone file system '\(fs.id)' lives in \(zone); subnet '\(subnetID)' is in \(subnet.availabilityZone).")
        }
        let groups = try securityGroups(input.securityGroups ?? [network.securityGroups[0].id])
        let used = Set(mountTargets.values.map(\.ipAddress))
        let address: String
        if let wanted = input.ipAddress {
            guard subnet.cidr.contains(wanted) else { throw APIError.badRequest("IpAddress \(wanted) is not in subnet \(subnet.cidr).") }
            guard !used.contains(wanted) else { throw APIError("IpAddressInUse", "IpAddress \(wanted) is already in use.") }
            address = wanted
        } else {
            guard let free = subnet.cidr.hostAddresses().first(where: { !used.contains($0) }) else {
                throw APIError("NoFreeAddressesInSubnet", "Subnet '\(subnetID)' has no free addresses.")
            }
            address = free
        }
        let mt = MountTargetState(id: newID("fsmt-"), fileSystemID: fs.id, subnetID: subnetID, ipAddress: address,
                                  securityGroups: groups, lifeCycleState: .creating, networkInterfaceID: newID("eni-"),
                                  availabilityZone: subnet.availabilityZone, vpc: subnet.vpc)
        mountTargets[mt.id] = mt
        do { try await persist(mt) } catch { mountTargets[mt.id] = nil; throw error }
        let observer = mountTargetObserver, storageID = fs.storageID
        settle { cp in
            guard var current = cp.mountTargets[mt.id], current.lifeCycleState == .creating else { return }
            // Available once it really serves (the observer starts the NFS listener).
            let serving = await observer?(.created(current, storageID: storageID)) ?? true
            current.lifeCycleState = serving ? .available : .error
            cp.mountTargets[mt.id] = current
            try? await cp.persist(current)
        }
        return describe(mt)
    }

    func securityGroups(_ ids: [String]) throws(APIError) -> [String] {
        guard ids.count <= Self.maxSecurityGroups else {
            throw APIError("SecurityGroupLimitExceeded", "At most \(Self.maxSecurityGroups) security groups per mount target.")
        }
        for id in ids where network.securityGroup(id) == nil {
            throw APIError("SecurityGroupNotFound", "Security group '\(id)' does not exist.")
        }
        return ids
    }

    public func describeMountTargets(_ filter: MountTargetFilter, page request: PageRequest = .init()) throws -> Page<MountTargetDescription> {
        var matches: [MountTargetState]
        switch filter {
        case .mountTarget(let id):
            guard let mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
            matches = [mt]
        case .accessPoint(let apID):
            guard let ap = accessPoints[apID] else { throw APIError.accessPointNotFound(apID) }
            matches = try mountTargets(of: ap.fileSystemID)
        case .fileSystem(let id):
            matches = try mountTargets(of: id)
        }
        let page = try page(matches, id: \.id, request)
        return Page(items: page.items.map(describe), next: page.next)
    }

    private func mountTargets(of fileSystemID: String) throws(APIError) -> [MountTargetState] {
        _ = try fileSystem(fileSystemID)
        return mountTargets.values.filter { $0.fileSystemID == fileSystemID }.sorted { $0.id < $1.id }
    }

    public func deleteMountTarget(_ id: String) async throws {
        guard var mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
        mt.lifeCycleState = .deleting
        mountTargets[id] = mt
        _ = await mountTargetObserver?(.deleted(mt))
        mountTargets[id] = nil
        try await forget(kind: ResourceKind.ControlPlane.mountTarget, id: id)
    }

    public func mountTargetSecurityGroups(_ id: String) throws -> [String] {
        guard let mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
        return mt.securityGroups
    }

    public func modifyMountTargetSecurityGroups(_ id: String, _ groups: [String]) async throws {
        guard var mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
        guard mt.lifeCycleState == .available else {
            throw APIError("IncorrectMountTargetState", "Mount target '\(id)' is \(mt.lifeCycleState.rawValue), not available.")
        }
        mt.securityGroups = try securityGroups(groups)
        mountTargets[id] = mt
        try await persist(mt)
        _ = await mountTargetObserver?(.securityGroupsChanged(mt))
    }

    /// The mount target's security groups, resolved: what the NFS listener checks sources against.
    public func allowedSources(_ mt: MountTargetState) -> [CIDR] {
        mt.securityGroups.compactMap { network.securityGroup($0) }.flatMap(\.allow)
    }

    func describe(_ mt: MountTargetState) -> MountTargetDescription {
        MountTargetDescription(ownerID: accountID, mountTargetID: mt.id, fileSystemID: mt.fileSystemID, subnetID: mt.subnetID,
                               lifeCycleState: mt.lifeCycleState, ipAddress: mt.ipAddress,
                               networkInterfaceID: mt.networkInterfaceID, availabilityZoneName: mt.availabilityZone,
                               vpcID: mt.vpc)
    }
}
