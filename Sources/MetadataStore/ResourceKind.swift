/// A kind of row in the resource table (opaque bodies by id). Every kind is declared here, under the layer
/// that owns it, so an engine has one list to honour and no two owners can pick the same name. The names
/// are stored: changing one orphans existing rows.
public struct ResourceKind: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    private init(_ name: String) { self.name = name }
    public var description: String { name }

    /// The control plane's EFS resources, bodies in its own JSON.
    public enum ControlPlane {
        public static let fileSystem = ResourceKind("file-system")
        public static let mountTarget = ResourceKind("mount-target")
        public static let accessPoint = ResourceKind("access-point")
        /// Account-wide settings (resource id preferences).
        public static let account = ResourceKind("account")
    }

    /// The storage engine's own rows.
    public enum Engine {
        /// NFS clients that may reclaim state after a restart, by listener scope and owner.
        public static let nfsClient = ResourceKind("nfs-client")
        /// Secrets made once per store (the file-handle key).
        public static let serverSecret = ResourceKind("server")
    }
}
