import Foundation
import JSONValue
import MetadataStore

/// CreateMountTarget, DescribeMountTargets, DeleteMountTarget and their security groups.
extension ControlPlane {
    static let maxSecurityGroups = 5

    public func createMountTarget(_ input: JSON) async throws -> JSON {
        let fs = try availableFileSystem(input["FileSystemId"]!.string!)
        let subnetID = input["SubnetId"]!.string!
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
        let groups = try securityGroups(input["SecurityGroups"])
        let used = Set(mountTargets.values.map(\.ipAddress))
        let address: String
        if let wanted = input["IpAddress"]?.string {
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
                                  securityGroups: groups, lifeCycleState: "creating", networkInterfaceID: newID("eni-"),
                                  availabilityZone: subnet.availabilityZone, vpc: subnet.vpc)
        mountTargets[mt.id] = mt
        do { try await persist(mt) } catch { mountTargets[mt.id] = nil; throw error }
        let observer = mountTargetObserver, storageID = fs.storageID
        settle { cp in
            guard var current = cp.mountTargets[mt.id], current.lifeCycleState == "creating" else { return }
            // Available once it really serves (the observer starts the NFS listener).
            let serving = await observer?(.created(current, storageID: storageID)) ?? true
            current.lifeCycleState = serving ? "available" : "error"
            cp.mountTargets[mt.id] = current
            try? await cp.persist(current)
        }
        return describe(mt)
    }

    func securityGroups(_ value: JSON?) throws(APIError) -> [String] {
        guard let list = value?.array else { return [network.securityGroups[0].id] }
        let ids = list.compactMap(\.string)
        guard ids.count <= Self.maxSecurityGroups else {
            throw APIError("SecurityGroupLimitExceeded", "At most \(Self.maxSecurityGroups) security groups per mount target.")
        }
        for id in ids where network.securityGroup(id) == nil {
            throw APIError("SecurityGroupNotFound", "Security group '\(id)' does not exist.")
        }
        return ids
    }

    public func describeMountTargets(_ input: JSON) throws -> JSON {
        let byFS = input["FileSystemId"]?.string, byMT = input["MountTargetId"]?.string, byAP = input["AccessPointId"]?.string
        guard [byFS, byMT, byAP].compactMap({ $0 }).count == 1 else {
            throw APIError.badRequest("Specify exactly one of FileSystemId, MountTargetId or AccessPointId.")
        }
        var matches: [MountTargetState]
        if let byMT {
            guard let mt = mountTargets[byMT] else { throw APIError.mountTargetNotFound(byMT) }
            matches = [mt]
        } else {
            var fsID = byFS
            if let byAP {
                guard let ap = accessPoints[byAP] else { throw APIError.accessPointNotFound(byAP) }
                fsID = ap.fileSystemID
            }
            _ = try fileSystem(fsID!)
            matches = mountTargets.values.filter { $0.fileSystemID == fsID }.sorted { $0.id < $1.id }
        }
        let (page, next) = try page(matches, id: \.id, marker: input["Marker"]?.string, max: input["MaxItems"]?.int.map(Int.init))
        var out: [String: JSON] = ["MountTargets": .array(page.map(describe))]
        if let marker = input["Marker"]?.string { out["Marker"] = .string(marker) }
        if let next { out["NextMarker"] = .string(next) }
        return .object(out)
    }

    public func deleteMountTarget(_ input: JSON) async throws -> JSON {
        let id = input["MountTargetId"]!.string!
        guard var mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
        mt.lifeCycleState = "deleting"
        mountTargets[id] = mt
        _ = await mountTargetObserver?(.deleted(mt))
        mountTargets[id] = nil
        try await forget(kind: ResourceKind.ControlPlane.mountTarget, id: id)
        return .null
    }

    public func describeMountTargetSecurityGroups(_ input: JSON) throws -> JSON {
        let id = input["MountTargetId"]!.string!
        guard let mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
        return ["SecurityGroups": .array(mt.securityGroups.map { .string($0) })]
    }

    public func modifyMountTargetSecurityGroups(_ input: JSON) async throws -> JSON {
        let id = input["MountTargetId"]!.string!
        guard var mt = mountTargets[id] else { throw APIError.mountTargetNotFound(id) }
        guard mt.lifeCycleState == "available" else {
            throw APIError("IncorrectMountTargetState", "Mount target '\(id)' is \(mt.lifeCycleState), not available.")
        }
        mt.securityGroups = try securityGroups(input["SecurityGroups"] ?? .array([]))
        mountTargets[id] = mt
        try await persist(mt)
        _ = await mountTargetObserver?(.securityGroupsChanged(mt))
        return .null
    }

    /// The mount target's security groups, resolved: what the NFS listener checks sources against.
    public func allowedSources(_ mt: MountTargetState) -> [CIDR] {
        mt.securityGroups.compactMap { network.securityGroup($0) }.flatMap(\.allow)
    }

    func describe(_ mt: MountTargetState) -> JSON {
        ["OwnerId": .string(accountID), "MountTargetId": .string(mt.id), "FileSystemId": .string(mt.fileSystemID),
         "SubnetId": .string(mt.subnetID), "LifeCycleState": .string(mt.lifeCycleState), "IpAddress": .string(mt.ipAddress),
         "NetworkInterfaceId": .string(mt.networkInterfaceID), "AvailabilityZoneId": .string("az-" + mt.availabilityZone),
         "AvailabilityZoneName": .string(mt.availabilityZone), "VpcId": .string(mt.vpc)]
    }
}
