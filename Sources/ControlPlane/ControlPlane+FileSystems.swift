import FileSystem
import Foundation
import MetadataStore

/// CreateFileSystem, DescribeFileSystems, UpdateFileSystem, UpdateFileSystemProtection, DeleteFileSystem.
extension ControlPlane {
    static let fileSystemLimit = 1000

    public func createFileSystem(_ input: CreateFileSystemInput) async throws -> FileSystemDescription {
        let token = input.creationToken
        if let existing = fileSystems.values.first(where: { $0.creationToken == token }) {
            throw APIError("FileSystemAlreadyExists", "File system with creation token '\(token)' already exists.",
                           fields: ["FileSystemId": existing.id])
        }
        guard fileSystems.count < Self.fileSystemLimit else {
            throw APIError("FileSystemLimitExceeded", "The account already has \(Self.fileSystemLimit) file systems.")
        }
        let performance = input.performanceMode ?? .generalPurpose
        let throughput = input.throughputMode ?? .bursting
        let provisioned = input.provisionedThroughputInMibps
        try checkThroughput(throughput, provisioned)
        let zone = input.availabilityZoneName
        if let zone, !network.zones.contains(zone) {
            throw APIError("UnsupportedAvailabilityZone", "Availability zone '\(zone)' is not one of \(network.zones.sorted()).")
        }
        if zone != nil && performance == .maxIO { throw APIError.badRequest("One Zone file systems support only generalPurpose.") }
        if throughput == .elastic && performance == .maxIO { throw APIError.badRequest("Elastic throughput requires generalPurpose performance mode.") }
        let encrypted = input.encrypted ?? false
        if input.kmsKeyId != nil && !encrypted { throw APIError.badRequest("KmsKeyId requires Encrypted to be true.") }
        let tags = try checkedTags(input.tags)
        var fs = FileSystemState(
            id: newID("fs-"), storageID: 0, creationToken: token, creationTime: Date().timeIntervalSince1970,
            lifeCycleState: .creating, performanceMode: performance, throughputMode: throughput,
            provisionedThroughputInMibps: throughput == .provisioned ? provisioned : nil, encrypted: encrypted,
            kmsKeyId: encrypted ? (input.kmsKeyId ?? "arn:aws:kms:\(network.region):\(accountID):alias/aws/elasticfilesystem") : nil,
            availabilityZoneName: zone, tags: tags,
            // EFS turns automatic backups on by default for One Zone file systems only.
            backupStatus: (input.backup ?? (zone != nil)) ? .enabled : .disabled)
        fileSystems[fs.id] = fs  // reserves the token before the first suspension
        do {
            fs.storageID = try await engine.createFileSystem().id
            fileSystems[fs.id] = fs
            try await persist(fs)
        } catch {
            fileSystems[fs.id] = nil
            publishDataPath()
            throw error
        }
        let id = fs.id
        settle { cp in
            guard cp.fileSystems[id]?.lifeCycleState == .creating else { return }
            cp.fileSystems[id]!.lifeCycleState = .available
            try? await cp.persist(cp.fileSystems[id]!)
        }
        return try await describe(fs)
    }

    func checkThroughput(_ mode: ThroughputMode, _ provisioned: Double?) throws(APIError) {
        if mode == .provisioned && provisioned == nil {
            throw .badRequest("ProvisionedThroughputInMibps is required when ThroughputMode is provisioned.")
        }
        if mode != .provisioned && provisioned != nil {
            throw .badRequest("ProvisionedThroughputInMibps can be set only when ThroughputMode is provisioned.")
        }
    }

    public func describeFileSystems(id: String? = nil, creationToken: String? = nil,
                                    page request: PageRequest = .init()) async throws -> Page<FileSystemDescription> {
        var matches = fileSystems.values.sorted { ($0.creationTime, $0.id) < ($1.creationTime, $1.id) }
        if let id {
            _ = try fileSystem(id)
            matches = matches.filter { $0.id == id }
        }
        if let creationToken { matches = matches.filter { $0.creationToken == creationToken } }
        let page = try page(matches, id: \.id, request)
        var described: [FileSystemDescription] = []
        for fs in page.items { described.append(try await describe(fs)) }
        return Page(items: described, next: page.next)
    }

    public func updateFileSystem(_ id: String, throughputMode: ThroughputMode?,
                                 provisionedThroughputInMibps: Double?) async throws -> FileSystemDescription {
        var fs = try availableFileSystem(id)
        guard throughputMode != nil || provisionedThroughputInMibps != nil else {
            throw APIError.badRequest("Specify ThroughputMode or ProvisionedThroughputInMibps.")
        }
        let mode = throughputMode ?? fs.throughputMode
        let provisioned = provisionedThroughputInMibps ?? (mode == .provisioned ? fs.provisionedThroughputInMibps : nil)
        try checkThroughput(mode, provisioned)
        if mode == .elastic && fs.performanceMode == .maxIO { throw APIError.badRequest("Elastic throughput requires generalPurpose.") }
        fs.throughputMode = mode
        fs.provisionedThroughputInMibps = mode == .provisioned ? provisioned : nil
        fileSystems[id] = fs
        try await persist(fs)
        return try await describe(fs)
    }

    public func updateFileSystemProtection(_ id: String, replicationOverwriteProtection value: ReplicationOverwriteProtection?)
        async throws -> ReplicationOverwriteProtection {
        var fs = try availableFileSystem(id)
        if let value {
            guard value != .replicating else { throw APIError.badRequest("REPLICATING cannot be set; it is set by replication.") }
            fs.replicationOverwriteProtection = value
        }
        fileSystems[id] = fs
        try await persist(fs)
        return fs.replicationOverwriteProtection
    }

    public func deleteFileSystem(_ id: String) async throws {
        var fs = try fileSystem(id)
        if mountTargets.values.contains(where: { $0.fileSystemID == id }) {
            throw APIError("FileSystemInUse", "File system '\(id)' still has mount targets; delete them first.")
        }
        guard fs.lifeCycleState != .deleting else { return }
        fs.lifeCycleState = .deleting
        fileSystems[id] = fs
        try await persist(fs)
        // Like EFS: the file system reports "deleting" while its data goes, then it is gone ("deleted").
        settle { cp in try? await cp.finishDeleting(id) }
    }

    func finishDeleting(_ id: String) async throws {
        guard let fs = fileSystems[id], fs.lifeCycleState == .deleting else { return }
        for ap in accessPoints.values where ap.fileSystemID == id {
            accessPoints[ap.id] = nil
            try await forget(kind: ResourceKind.ControlPlane.accessPoint, id: ap.id)
        }
        try await engine.deleteFileSystem(fs.storageID)
        fileSystems[id] = nil
        policies[id] = nil
        try await forget(kind: ResourceKind.ControlPlane.fileSystem, id: id)
    }

    /// The description EFS gives, with SizeInBytes metered from what is stored now.
    func describe(_ fs: FileSystemState) async throws -> FileSystemDescription {
        var standard: UInt64 = 0, ia: UInt64 = 0
        if fs.storageID != 0, let storage = try await engine.fileSystem(fs.storageID) {
            let stats = try await storage.statfs()
            standard = stats.bytes[.standard] ?? 0
            ia = stats.bytes[.infrequentAccess] ?? 0
        }
        return FileSystemDescription(
            ownerID: accountID, creationToken: fs.creationToken, fileSystemID: fs.id, fileSystemARN: fileSystemARN(fs.id),
            creationTime: fs.creationTime.rounded(), lifeCycleState: fs.lifeCycleState, name: fs.name,
            numberOfMountTargets: mountTargets.values.filter { $0.fileSystemID == fs.id }.count,
            sizeInBytes: FileSystemSize(value: standard + ia, valueInStandard: standard, valueInIA: ia, valueInArchive: 0,
                                        timestamp: Date().timeIntervalSince1970.rounded()),
            performanceMode: fs.performanceMode, encrypted: fs.encrypted, kmsKeyId: fs.kmsKeyId,
            throughputMode: fs.throughputMode, provisionedThroughputInMibps: fs.provisionedThroughputInMibps,
            availabilityZoneName: fs.availabilityZoneName, tags: fs.tags,
            replicationOverwriteProtection: fs.replicationOverwriteProtection)
    }
}

extension StorageEngine {
    /// Deletes a storage file system and, in the background, its blocks.
    public func deleteFileSystem(_ id: Int64) async throws {
        try await store.write { try $0.deleteFileSystem(id) }
        try await collectGarbage()
    }
}
