import FileSystem
import Foundation
import JSONValue
import MetadataStore

/// CreateFileSystem, DescribeFileSystems, UpdateFileSystem, UpdateFileSystemProtection, DeleteFileSystem.
extension ControlPlane {
    static let fileSystemLimit = 1000

    public func createFileSystem(_ input: JSON) async throws -> JSON {
        let token = input["CreationToken"]?.string ?? ""
        if let existing = fileSystems.values.first(where: { $0.creationToken == token }) {
            throw APIError("FileSystemAlreadyExists", "File system with creation token '\(token)' already exists.",
                           fields: ["FileSystemId": .string(existing.id)])
        }
        guard fileSystems.count < Self.fileSystemLimit else {
            throw APIError("FileSystemLimitExceeded", "The account already has \(Self.fileSystemLimit) file systems.")
        }
        let performance = input["PerformanceMode"]?.string ?? "generalPurpose"
        let throughput = input["ThroughputMode"]?.string ?? "bursting"
        let provisioned = input["ProvisionedThroughputInMibps"]?.double
        try checkThroughput(throughput, provisioned)
        let zone = input["AvailabilityZoneName"]?.string
        if let zone, !network.zones.contains(zone) {
            throw APIError("UnsupportedAvailabilityZone", "Availability zone '\(zone)' is not one of \(network.zones.sorted()).")
        }
        if zone != nil && performance == "maxIO" { throw APIError.badRequest("One Zone file systems support only generalPurpose.") }
        if throughput == "elastic" && performance == "maxIO" { throw APIError.badRequest("Elastic throughput requires generalPurpose performance mode.") }
        let encrypted = input["Encrypted"]?.bool ?? false
        let kmsKey = input["KmsKeyId"]?.string
        if kmsKey != nil && !encrypted { throw APIError.badRequest("KmsKeyId requires Encrypted to be true.") }
        let tags = try tagList(input["Tags"])
        var fs = FileSystemState(
            id: newID("fs-"), storageID: 0, creationToken: token, creationTime: Date().timeIntervalSince1970,
            lifeCycleState: "creating", performanceMode: performance, throughputMode: throughput,
            provisionedThroughputInMibps: throughput == "provisioned" ? provisioned : nil, encrypted: encrypted,
            kmsKeyId: encrypted ? (kmsKey ?? "arn:aws:kms:\(network.region):\(accountID):alias/aws/elasticfilesystem") : nil,
            availabilityZoneName: zone, tags: tags,
            // EFS turns automatic backups on by default for One Zone file systems only.
            backupStatus: (input["Backup"]?.bool ?? (zone != nil)) ? "ENABLED" : "DISABLED")
        fileSystems[fs.id] = fs  // reserves the token before the first suspension
        do {
            fs.storageID = try await engine.createFileSystem().id
            fileSystems[fs.id] = fs
            try await persist(fs)
        } catch {
            fileSystems[fs.id] = nil
            throw error
        }
        let id = fs.id
        settle { cp in
            guard cp.fileSystems[id]?.lifeCycleState == "creating" else { return }
            cp.fileSystems[id]!.lifeCycleState = "available"
            try? await cp.persist(cp.fileSystems[id]!)
        }
        return try await describe(fs)
    }

    func checkThroughput(_ mode: String, _ provisioned: Double?) throws(APIError) {
        if mode == "provisioned" && provisioned == nil {
            throw .badRequest("ProvisionedThroughputInMibps is required when ThroughputMode is provisioned.")
        }
        if mode != "provisioned" && provisioned != nil {
            throw .badRequest("ProvisionedThroughputInMibps can be set only when ThroughputMode is provisioned.")
        }
    }

    public func describeFileSystems(_ input: JSON) async throws -> JSON {
        var matches = fileSystems.values.sorted { ($0.creationTime, $0.id) < ($1.creationTime, $1.id) }
        if let id = input["FileSystemId"]?.string {
            _ = try fileSystem(id)
            matches = matches.filter { $0.id == id }
        }
        if let token = input["CreationToken"]?.string { matches = matches.filter { $0.creationToken == token } }
        let (page, next) = try page(matches, id: \.id, marker: input["Marker"]?.string, max: input["MaxItems"]?.int.map(Int.init))
        var described: [JSON] = []
        for fs in page { described.append(try await describe(fs)) }
        var out: [String: JSON] = ["FileSystems": .array(described)]
        if let marker = input["Marker"]?.string { out["Marker"] = .string(marker) }
        if let next { out["NextMarker"] = .string(next) }
        return .object(out)
    }

    public func updateFileSystem(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try availableFileSystem(id)
        let mode = input["ThroughputMode"]?.string ?? fs.throughputMode
        let provisioned = input["ProvisionedThroughputInMibps"]?.double ?? (mode == "provisioned" ? fs.provisionedThroughputInMibps : nil)
        guard input["ThroughputMode"] != nil || input["ProvisionedThroughputInMibps"] != nil else {
            throw APIError.badRequest("Specify ThroughputMode or ProvisionedThroughputInMibps.")
        }
        try checkThroughput(mode, provisioned)
        if mode == "elastic" && fs.performanceMode == "maxIO" { throw APIError.badRequest("Elastic throughput requires generalPurpose.") }
        fs.throughputMode = mode
        fs.provisionedThroughputInMibps = mode == "provisioned" ? provisioned : nil
        fileSystems[id] = fs
        try await persist(fs)
        return try await describe(fs)
    }

    public func updateFileSystemProtection(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try availableFileSystem(id)
        if let value = input["ReplicationOverwriteProtection"]?.string {
            guard value != "REPLICATING" else { throw APIError.badRequest("REPLICATING cannot be set; it is set by replication.") }
            fs.replicationOverwriteProtection = value
        }
        fileSystems[id] = fs
        try await persist(fs)
        return ["ReplicationOverwriteProtection": .string(fs.replicationOverwriteProtection)]
    }

    public func deleteFileSystem(_ input: JSON) async throws -> JSON {
        let id = input["FileSystemId"]!.string!
        var fs = try fileSystem(id)
        if mountTargets.values.contains(where: { $0.fileSystemID == id }) {
            throw APIError("FileSystemInUse", "File system '\(id)' still has mount targets; delete them first.")
        }
        guard fs.lifeCycleState != "deleting" else { return .null }
        fs.lifeCycleState = "deleting"
        fileSystems[id] = fs
        try await persist(fs)
        // Like EFS: the file system reports "deleting" while its data goes, then it is gone ("deleted").
        settle { cp in try? await cp.finishDeleting(id) }
        return .null
    }

    func finishDeleting(_ id: String) async throws {
        guard let fs = fileSystems[id], fs.lifeCycleState == "deleting" else { return }
        for ap in accessPoints.values where ap.fileSystemID == id {
            accessPoints[ap.id] = nil
            try await forget(kind: ResourceKind.ControlPlane.accessPoint, id: ap.id)
        }
        try await engine.deleteFileSystem(fs.storageID)
        fileSystems[id] = nil
        policies[id] = nil
        try await forget(kind: ResourceKind.ControlPlane.fileSystem, id: id)
    }

    /// FileSystemDescription, with SizeInBytes metered from what is stored now.
    func describe(_ fs: FileSystemState) async throws -> JSON {
        var standard: UInt64 = 0, ia: UInt64 = 0
        if fs.storageID != 0, let storage = try await engine.fileSystem(fs.storageID) {
            let stats = try await storage.statfs()
            standard = stats.bytes[.standard] ?? 0
            ia = stats.bytes[.infrequentAccess] ?? 0
        }
        var out: [String: JSON] = [
            "OwnerId": .string(accountID), "CreationToken": .string(fs.creationToken), "FileSystemId": .string(fs.id),
            "FileSystemArn": .string(fileSystemARN(fs.id)), "CreationTime": .double(fs.creationTime.rounded()),
            "LifeCycleState": .string(fs.lifeCycleState),
            "NumberOfMountTargets": .int(Int64(mountTargets.values.filter { $0.fileSystemID == fs.id }.count)),
            "SizeInBytes": ["Value": .int(Int64(standard + ia)), "ValueInStandard": .int(Int64(standard)),
                            "ValueInIA": .int(Int64(ia)), "ValueInArchive": 0,
                            "Timestamp": .double(Date().timeIntervalSince1970.rounded())],
            "PerformanceMode": .string(fs.performanceMode), "Encrypted": .bool(fs.encrypted),
            "ThroughputMode": .string(fs.throughputMode), "Tags": tagsJSON(fs.tags),
            "FileSystemProtection": ["ReplicationOverwriteProtection": .string(fs.replicationOverwriteProtection)],
        ]
        if let name = fs.name { out["Name"] = .string(name) }
        if let key = fs.kmsKeyId { out["KmsKeyId"] = .string(key) }
        if let p = fs.provisionedThroughputInMibps { out["ProvisionedThroughputInMibps"] = .double(p) }
        if let zone = fs.availabilityZoneName {
            out["AvailabilityZoneName"] = .string(zone)
            out["AvailabilityZoneId"] = .string("az-" + zone)
        }
        return .object(out)
    }
}

extension StorageEngine {
    /// Deletes a storage file system and, in the background, its blocks.
    public func deleteFileSystem(_ id: Int64) async throws {
        try await store.write { try $0.deleteFileSystem(id) }
        try await collectGarbage()
    }
}
