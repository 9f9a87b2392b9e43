import ControlPlane
import JSONValue

/// A request's members, after the model validated them (types, required members, enums): reading one
/// that is missing or of another type is still an error, never a trap.
struct EFSInput {
    let json: JSON

    func string(_ name: String) -> String? { json[name]?.string }
    func required(_ name: String) throws(APIError) -> String {
        guard let value = json[name]?.string else { throw APIError("BadRequest", "\(name) is required.") }
        return value
    }
    func bool(_ name: String) -> Bool? { json[name]?.bool }
    func double(_ name: String) -> Double? { json[name]?.double }
    func strings(_ name: String) -> [String]? { json[name]?.array?.compactMap(\.string) }

    /// An enum member (the model checked its value; another is a BadRequest).
    func value<E: RawRepresentable>(_ name: String, as: E.Type) throws(APIError) -> E? where E.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = E(rawValue: text) else { throw APIError("BadRequest", "\(name) '\(text)' is not valid.") }
        return value
    }

    func page(marker: String = "Marker", max: String = "MaxItems") -> PageRequest {
        PageRequest(marker: string(marker), maxItems: json[max]?.int.map(Int.init))
    }

    func tags(_ name: String = "Tags") throws(APIError) -> [Tag] {
        var tags: [Tag] = []
        for item in json[name]?.array ?? [] {
            guard let key = item["Key"]?.string, let value = item["Value"]?.string else {
                throw APIError("BadRequest", "Each tag needs Key and Value.")
            }
            tags.append(Tag(key: key, value: value))
        }
        return tags
    }

    /// A member whose JSON form is the control plane type's Codable form (PosixUser, RootDirectory, ...).
    func decoded<T: Decodable>(_ name: String, as: T.Type) throws(APIError) -> T? {
        guard let value = json[name] else { return nil }
        do { return try value.decode(T.self) } catch { throw APIError("BadRequest", "\(name) is not valid.") }
    }
}

/// EFS's JSON for the control plane's answers.
enum EFSOutput {
    static func tagItems(_ tags: [Tag]) -> [JSON] { tags.map { ["Key": .string($0.key), "Value": .string($0.value)] } }
    static func tags(_ tags: [Tag]) -> JSON { .array(tagItems(tags)) }

    static func encoded<T: Encodable>(_ value: T) -> JSON { (try? JSON(encoding: value)) ?? .null }

    /// A listing with EFS's older paging members (Marker in, NextMarker out).
    static func markerPage(_ key: String, _ items: [JSON], next: String?, marker: String?) -> JSON {
        var out: [String: JSON] = [key: .array(items)]
        if let marker { out["Marker"] = .string(marker) }
        if let next { out["NextMarker"] = .string(next) }
        return .object(out)
    }

    /// A listing with the newer paging members (NextToken).
    static func tokenPage(_ key: String, _ items: [JSON], next: String?) -> JSON {
        var out: [String: JSON] = [key: .array(items)]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    static func fileSystem(_ d: FileSystemDescription) -> JSON {
        var out: [String: JSON] = [
            "OwnerId": .string(d.ownerID), "CreationToken": .string(d.creationToken), "FileSystemId": .string(d.fileSystemID),
            "FileSystemArn": .string(d.fileSystemARN), "CreationTime": .double(d.creationTime),
            "LifeCycleState": .string(d.lifeCycleState.rawValue), "NumberOfMountTargets": .int(Int64(d.numberOfMountTargets)),
            "SizeInBytes": ["Value": .int(Int64(d.sizeInBytes.value)), "ValueInStandard": .int(Int64(d.sizeInBytes.valueInStandard)),
                            "ValueInIA": .int(Int64(d.sizeInBytes.valueInIA)), "ValueInArchive": .int(Int64(d.sizeInBytes.valueInArchive)),
                            "Timestamp": .double(d.sizeInBytes.timestamp)],
            "PerformanceMode": .string(d.performanceMode.rawValue), "Encrypted": .bool(d.encrypted),
            "ThroughputMode": .string(d.throughputMode.rawValue), "Tags": tags(d.tags),
            "FileSystemProtection": ["ReplicationOverwriteProtection": .string(d.replicationOverwriteProtection.rawValue)],
        ]
        if let name = d.name { out["Name"] = .string(name) }
        if let key = d.kmsKeyId { out["KmsKeyId"] = .string(key) }
        if let p = d.provisionedThroughputInMibps { out["ProvisionedThroughputInMibps"] = .double(p) }
        if let zone = d.availabilityZoneName {
            out["AvailabilityZoneName"] = .string(zone)
            out["AvailabilityZoneId"] = .string("az-" + zone)
        }
        return .object(out)
    }

    static func mountTarget(_ d: MountTargetDescription) -> JSON {
        ["OwnerId": .string(d.ownerID), "MountTargetId": .string(d.mountTargetID), "FileSystemId": .string(d.fileSystemID),
         "SubnetId": .string(d.subnetID), "LifeCycleState": .string(d.lifeCycleState.rawValue), "IpAddress": .string(d.ipAddress),
         "NetworkInterfaceId": .string(d.networkInterfaceID), "AvailabilityZoneId": .string("az-" + d.availabilityZoneName),
         "AvailabilityZoneName": .string(d.availabilityZoneName), "VpcId": .string(d.vpcID)]
    }

    static func accessPoint(_ d: AccessPointDescription) -> JSON {
        var out: [String: JSON] = [
            "ClientToken": .string(d.clientToken), "Tags": tags(d.tags), "AccessPointId": .string(d.accessPointID),
            "AccessPointArn": .string(d.accessPointARN), "FileSystemId": .string(d.fileSystemID),
            "OwnerId": .string(d.ownerID), "LifeCycleState": .string(d.lifeCycleState.rawValue),
            "RootDirectory": encoded(d.rootDirectory),
        ]
        if let name = d.name { out["Name"] = .string(name) }
        if let user = d.posixUser { out["PosixUser"] = encoded(user) }
        return .object(out)
    }
}
