/// The control plane's vocabulary, spelled as EFS spells it. Raw values are EFS's wire values, which are
/// also how resources are stored.

public enum LifeCycleState: String, Codable, Sendable, CaseIterable {
    case creating, available, updating, deleting, deleted, error
}

public enum PerformanceMode: String, Codable, Sendable, CaseIterable {
    case generalPurpose, maxIO
}

public enum ThroughputMode: String, Codable, Sendable, CaseIterable {
    case bursting, provisioned, elastic
}

/// A backup policy's status (BackupPolicy.Status).
public enum BackupStatus: String, Codable, Sendable, CaseIterable {
    case enabled = "ENABLED", enabling = "ENABLING", disabled = "DISABLED", disabling = "DISABLING"
}

public enum ReplicationOverwriteProtection: String, Codable, Sendable, CaseIterable {
    case enabled = "ENABLED", disabled = "DISABLED", replicating = "REPLICATING"
}

public enum ResourceIDType: String, Codable, Sendable, CaseIterable {
    case long = "LONG_ID", short = "SHORT_ID"
}

public struct Tag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
    enum CodingKeys: String, CodingKey { case key = "Key", value = "Value" }
}

/// The identity an access point imposes on every NFS operation through it.
public struct PosixUser: Codable, Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public var secondaryGids: [UInt32]?
    public init(uid: UInt32, gid: UInt32, secondaryGids: [UInt32]? = nil) {
        self.uid = uid; self.gid = gid; self.secondaryGids = secondaryGids
    }
    enum CodingKeys: String, CodingKey { case uid = "Uid", gid = "Gid", secondaryGids = "SecondaryGids" }
}

/// An access point's root directory, and how to create it when it is missing.
public struct RootDirectory: Codable, Sendable, Hashable {
    public struct CreationInfo: Codable, Sendable, Hashable {
        public var ownerUid: UInt32
        public var ownerGid: UInt32
        /// Octal, as EFS takes it ("755").
        public var permissions: String
        public init(ownerUid: UInt32, ownerGid: UInt32, permissions: String) {
            self.ownerUid = ownerUid; self.ownerGid = ownerGid; self.permissions = permissions
        }
        public var mode: UInt32? { UInt32(permissions, radix: 8) }
        enum CodingKeys: String, CodingKey { case ownerUid = "OwnerUid", ownerGid = "OwnerGid", permissions = "Permissions" }
    }

    /// Absolute; "/" when the request named none (as EFS reports it).
    public var path: String
    public var creationInfo: CreationInfo?
    public init(path: String = "/", creationInfo: CreationInfo? = nil) { self.path = path; self.creationInfo = creationInfo }
    /// The path as components from the file system's root.
    public var components: [String] { path.split(separator: "/").map(String.init) }
    enum CodingKeys: String, CodingKey { case path = "Path", creationInfo = "CreationInfo" }
}

/// One lifecycle policy: each sets exactly one transition.
public struct LifecyclePolicy: Codable, Sendable, Hashable {
    public var transitionToIA: String?
    public var transitionToPrimaryStorageClass: String?
    public var transitionToArchive: String?
    public init(transitionToIA: String? = nil, transitionToPrimaryStorageClass: String? = nil, transitionToArchive: String? = nil) {
        self.transitionToIA = transitionToIA; self.transitionToPrimaryStorageClass = transitionToPrimaryStorageClass
        self.transitionToArchive = transitionToArchive
    }
    /// The transitions this policy sets, by member name.
    public var transitions: [String] {
        [("TransitionToIA", transitionToIA), ("TransitionToPrimaryStorageClass", transitionToPrimaryStorageClass),
         ("TransitionToArchive", transitionToArchive)].compactMap { $0.1 == nil ? nil : $0.0 }
    }
    enum CodingKeys: String, CodingKey {
        case transitionToIA = "TransitionToIA", transitionToPrimaryStorageClass = "TransitionToPrimaryStorageClass"
        case transitionToArchive = "TransitionToArchive"
    }
}

/// Where a listing starts (a marker or token from the previous page) and how long it may be.
public struct PageRequest: Sendable {
    public var marker: String?
    public var maxItems: Int?
    public init(marker: String? = nil, maxItems: Int? = nil) { self.marker = marker; self.maxItems = maxItems }
}

/// One page of a listing, and where the next starts (nil: this is the last).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: String?
}
