import FileSystem
import NIOCore
import Synchronization

/// The one way operations reach the file system, as nfs4j's PseudoFs wraps its VFS. Every call applies the
/// export's rules for the handle it names: who the caller is (an access point's PosixUser, or root squashed
/// without elasticfilesystem:ClientRootAccess), ClientWrite for every change, and an access point's root as
/// the top of its tree. Handles go in and come out: the gate checks each belongs to this file system and
/// gives every handle it hands out the access point of the handle it came from.
struct ExportGate {
    private let fs: any FileSystem
    private let export: (any NFSExportPolicy)?
    private let roots: AccessPointRoots
    /// The identity the RPC credential gave.
    let rpcCaller: Caller
    /// The access point of the handle the rules were last read for, and the file system policy's decisions.
    private(set) var accessPoint: AccessPointExport?
    private(set) var access = ClientAccess.full
    private var refreshedFor: String??

    init(fileSystem: any FileSystem, export: (any NFSExportPolicy)?, roots: AccessPointRoots, caller: Caller) {
        fs = fileSystem; self.export = export; self.roots = roots; rpcCaller = caller
    }

    /// Who operations run as: the access point's PosixUser when there is one, else the client's identity,
    /// with root squashed to nobody when the file system policy does not grant ClientRootAccess.
    var caller: Caller {
        if let user = accessPoint?.posixUser { return user }
        if rpcCaller.uid == 0 && !access.rootAccess { return Caller(uid: 65534, gid: 65534) }
        return rpcCaller
    }

    /// The exported file system's root, outside any access point.
    var rootHandle: FileHandle { FileHandle(fileSystem: fs.id, inode: fs.root) }

    /// Re-reads the access point and the file system policy for `handle`, when its access point changed.
    mutating func refresh(for handle: FileHandle?) async {
        guard let export else { return }
        let key = handle?.accessPoint
        if refreshedFor == .some(key) { return }
        refreshedFor = .some(key)
        accessPoint = nil
        if let id = key { accessPoint = await export.accessPoint(id, fileSystem: fs.id) }
        access = await export.clientAccess(fileSystem: fs.id, accessPointARN: accessPoint?.arn)
    }

    /// elasticfilesystem:ClientMount: needed to use the file system at all.
    func requireMount(_ handle: FileHandle) throws(NFSStatus) {
        if !access.mount { throw .access }
        if handle.accessPoint != nil && accessPoint == nil { throw .stale }  // the access point is gone
    }

    /// elasticfilesystem:ClientWrite: every change passes here.
    private func requireWrite() throws(NFSStatus) {
        if !access.write { throw .rofs }
    }

    private func inode(_ handle: FileHandle) throws(NFSStatus) -> InodeID {
        guard handle.fileSystem == fs.id else { throw .stale }
        return handle.inode
    }

    /// A handle for `inode` reached from `from`: it keeps `from`'s access point.
    func handle(_ inode: InodeID, from: FileHandle) -> FileHandle {
        FileHandle(fileSystem: fs.id, inode: inode, accessPoint: from.accessPoint)
    }

    // MARK: Reads

    func attributes(of handle: FileHandle) async throws(NFSStatus) -> Attributes {
        let ino = try inode(handle)
        do { return try await fs.getattr(ino) } catch { throw NFSStatus(error) }
    }

    /// The handle's file type; also how a handle is checked to be live (STALE) without reading attributes.
    func type(of handle: FileHandle) async throws(NFSStatus) -> FileType {
        let ino = try inode(handle)
        do { return try await fs.type(of: ino) } catch { throw NFSStatus(error) }
    }

    func rights(_ handle: FileHandle) async throws(NFSStatus) -> AccessRights {
        let ino = try inode(handle)
        do { return try await fs.access(ino, as: caller) } catch { throw NFSStatus(error) }
    }

    func lookup(_ dir: FileHandle, _ name: Name) async throws(NFSStatus) -> (FileHandle, Attributes) {
        let ino = try inode(dir)
        do {
            let found = try await fs.lookup(ino, name, as: caller)
            return (handle(found.id, from: dir), found)
        } catch { throw NFSStatus(error) }
    }

    /// The parent directory; there is none above the root, nor above an access point's root.
    func lookupParent(_ dir: FileHandle) async throws(NFSStatus) -> FileHandle {
        let ino = try inode(dir)
        guard ino != fs.root else { throw .noent }
        if let id = dir.accessPoint, roots.known(id) == ino { throw .noent }
        do { return handle(try await fs.lookupParent(ino, as: caller).id, from: dir) } catch { throw NFSStatus(error) }
    }

    func readdir(_ dir: FileHandle, after cookie: UInt64, limit: Int) async throws(NFSStatus) -> DirPage {
        let ino = try inode(dir)
        do { return try await fs.readdir(ino, after: cookie, limit: limit, as: caller) } catch { throw NFSStatus(error) }
    }

    func readlink(_ handle: FileHandle) async throws(NFSStatus) -> [UInt8] {
        let ino = try inode(handle)
        do { return try await fs.readlink(ino) } catch { throw NFSStatus(error) }
    }

    func read(_ handle: FileHandle, offset: UInt64, count: Int) async throws(NFSStatus) -> (data: ByteBuffer, eof: Bool) {
        let ino = try inode(handle)
        let fs = fs
        do {
            return try await Self.bulk(count) { try await fs.read(ino, offset: offset, count: count) }
        } catch let error as FSError { throw NFSStatus(error) } catch { throw .serverfault }
    }

    func statfs() async throws(NFSStatus) -> FileSystemStats {
        do { return try await fs.statfs() } catch { throw NFSStatus(error) }
    }

    /// Makes accepted writes durable (COMMIT, CLOSE): it changes nothing a client sees, so a read-only
    /// policy does not refuse it.
    func commit(_ handle: FileHandle) async throws(NFSStatus) -> UInt64 {
        let ino = try inode(handle)
        let fs = fs
        do { return try await Self.bulk(.max) { try await fs.commit(ino) } }
        catch let error as FSError { throw NFSStatus(error) } catch { throw .serverfault }
    }

    // MARK: Changes (each needs ClientWrite)

    /// OPEN of an existing file: the share access asked for must be allowed by the policy and the mode bits.
    func authorizeOpen(_ handle: FileHandle, read: Bool, write: Bool) async throws(NFSStatus) {
        if write { try requireWrite() }
        let rights = try await rights(handle)
        if read && !rights.contains(.read) { throw .access }
        if write && !rights.contains(.write) { throw .access }
    }

    func create(_ dir: FileHandle, _ name: Name, _ kind: NewInode, _ attrs: SetAttributes,
                mode: CreateMode) async throws(NFSStatus) -> (FileHandle, CreateResult) {
        try requireWrite()
        let ino = try inode(dir)
        do {
            let result = try await fs.create(ino, name, kind, attrs, mode: mode, as: caller)
            return (handle(result.attributes.id, from: dir), result)
        } catch { throw NFSStatus(error) }
    }

    func setattr(_ handle: FileHandle, _ attrs: SetAttributes) async throws(NFSStatus) {
        try requireWrite()
        let ino = try inode(handle)
        do { _ = try await fs.setattr(ino, attrs, as: caller) } catch { throw NFSStatus(error) }
    }

    func link(_ file: FileHandle, into dir: FileHandle, _ name: Name) async throws(NFSStatus) -> DirChange {
        try requireWrite()
        let (source, target) = (try inode(file), try inode(dir))
        do { return try await fs.link(source, into: target, name, as: caller).1 } catch { throw NFSStatus(error) }
    }

    func remove(_ dir: FileHandle, _ name: Name) async throws(NFSStatus) -> DirChange {
        try requireWrite()
        let ino = try inode(dir)
        do { return try await fs.remove(ino, name, as: caller) } catch { throw NFSStatus(error) }
    }

    func rename(_ from: FileHandle, _ old: Name, to: FileHandle, _ new: Name) async throws(NFSStatus) -> RenameResult {
        try requireWrite()
        let (source, target) = (try inode(from), try inode(to))
        do { return try await fs.rename(source, old, to: target, new, as: caller) } catch { throw NFSStatus(error) }
    }

    func write(_ handle: FileHandle, offset: UInt64, _ data: ByteBuffer, stable: Stability) async throws(NFSStatus) -> WriteResult {
        try requireWrite()
        let ino = try inode(handle)
        let fs = fs
        do {
            return try await Self.bulk(data.readableBytes) { try await fs.write(ino, offset: offset, data, stable: stable) }
        } catch let error as FSError { throw NFSStatus(error) } catch { throw .serverfault }
    }

    /// Calls run on their connection's event loop (see EventLoopTaskExecutor); one that moves a lot of bytes
    /// runs on the shared pool instead, so it neither stalls the loop's other connections nor serialises
    /// one connection's large calls on one thread.
    private static func bulk<T: Sendable>(_ bytes: Int, _ body: @Sendable () async throws -> T) async throws -> T {
        guard bytes > 64 * 1024 else { return try await body() }
        return try await withTaskExecutorPreference(globalConcurrentExecutor) { try await body() }
    }

    // MARK: Access points

    /// The access point named `name` at the file system's root, if there is one for this file system.
    func accessPoint(named name: Name, at dir: FileHandle) async -> AccessPointExport? {
        guard dir.inode == fs.root, dir.fileSystem == fs.id, dir.accessPoint == nil, let export,
              name.description.hasPrefix("fsap-") else { return nil }
        return await export.accessPoint(name.description, fileSystem: fs.id)
    }

    /// The access point's root directory, creating missing components with its CreationInfo; without
    /// CreationInfo a missing root fails the mount (NOENT), as on EFS. Storage errors are errors, not "missing".
    func enter(_ ap: AccessPointExport) async throws(NFSStatus) -> FileHandle {
        let root = try await accessPointRoot(ap)
        return FileHandle(fileSystem: fs.id, inode: root, accessPoint: ap.id)
    }

    private func accessPointRoot(_ ap: AccessPointExport) async throws(NFSStatus) -> InodeID {
        if let known = roots.known(ap.id) {
            do throws(FSError) { _ = try await fs.type(of: known); return known }
            catch .stale, .noEntry { roots.forget(ap.id) }  // removed since: find or create it again
            catch { throw NFSStatus(error) }
        }
        var inode = fs.root
        for component in ap.rootPath {
            let name: Name
            do { name = try Name(component) } catch { throw .inval }
            do throws(FSError) {
                let found = try await fs.lookup(inode, name, as: .root)
                guard found.type == .directory else { throw FSError.notDirectory }
                inode = found.id
            } catch .noEntry {
                guard let creation = ap.creation else { throw .noent }
                do {
                    inode = try await fs.create(inode, name, .directory,
                                                SetAttributes(mode: creation.mode, uid: creation.uid, gid: creation.gid),
                                                mode: .unchecked, as: .root).attributes.id
                } catch { throw NFSStatus(error) }
            } catch { throw NFSStatus(error) }
        }
        roots.remember(ap.id, inode)
        return inode
    }
}

/// Access point root directories already resolved (or created), shared by every compound of a server.
final class AccessPointRoots: Sendable {
    private let roots = Mutex<[String: InodeID]>([:])
    func known(_ id: String) -> InodeID? { roots.withLock { $0[id] } }
    func remember(_ id: String, _ inode: InodeID) { roots.withLock { $0[id] = inode } }
    func forget(_ id: String) { _ = roots.withLock { $0.removeValue(forKey: id) } }
}
