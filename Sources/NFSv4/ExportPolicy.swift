import FileSystem

/// An access point as the data path applies it.
public struct AccessPointExport: Sendable, Hashable {
    public var id: String
    public var arn: String
    /// Replaces the client's AUTH_SYS identity on every operation, when set.
    public var posixUser: Caller?
    /// The root directory, as path components from the file system's root.
    public var rootPath: [String]
    /// How to create a missing root directory; without it, a missing root fails the mount.
    public var creation: (uid: UInt32, gid: UInt32, mode: UInt32)?

    public init(id: String, arn: String, posixUser: Caller?, rootPath: [String], creation: (uid: UInt32, gid: UInt32, mode: UInt32)?) {
        self.id = id; self.arn = arn; self.posixUser = posixUser; self.rootPath = rootPath; self.creation = creation
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.id == b.id && a.arn == b.arn && a.posixUser == b.posixUser && a.rootPath == b.rootPath
            && a.creation?.uid == b.creation?.uid && a.creation?.gid == b.creation?.gid && a.creation?.mode == b.creation?.mode
    }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

/// What a file system policy grants an (anonymous) NFS client.
public struct ClientAccess: Sendable, Hashable {
    public var mount: Bool
    public var write: Bool
    public var rootAccess: Bool
    public init(mount: Bool, write: Bool, rootAccess: Bool) { self.mount = mount; self.write = write; self.rootAccess = rootAccess }
    public static let full = ClientAccess(mount: true, write: true, rootAccess: true)
}

/// The control plane as the NFS layer sees it (implemented above it, in `strata serve`).
public protocol NFSExportPolicy: Sendable {
    /// The access point, if it exists, is available and belongs to `fileSystem`.
    func accessPoint(_ id: String, fileSystem: FileSystemID) async -> AccessPointExport?
    /// The file system policy's decisions for a client reaching it through `accessPointARN` (nil: no
    /// access point); `.full` when the file system has no policy.
    func clientAccess(fileSystem: FileSystemID, accessPointARN: String?) async -> ClientAccess
}
