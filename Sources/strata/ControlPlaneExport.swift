import ControlPlane
import FileSystem
import NFSv4

/// The control plane as the NFS data path asks it, in the NFS layer's terms. The answers (access points,
/// file system policies evaluated for NFS clients) come from the control plane's published snapshot:
/// nothing here waits for its actor.
struct ControlPlaneExport: NFSExportPolicy {
    let control: ControlPlane

    func accessPoint(_ id: String, fileSystem: FileSystemID) async -> AccessPointExport? {
        guard let ap = control.dataPath.accessPoint(id, storageID: fileSystem) else { return nil }
        let creation = ap.rootDirectory.creationInfo.flatMap { info in info.mode.map { (info.ownerUid, info.ownerGid, $0) } }
        return AccessPointExport(id: ap.id, arn: ap.arn,
                                 posixUser: ap.posixUser.map { Caller(uid: $0.uid, gid: $0.gid, groups: $0.secondaryGids ?? []) },
                                 rootPath: ap.rootDirectory.components, creation: creation)
    }

    func clientAccess(fileSystem: FileSystemID, accessPointARN: String?) async -> ClientAccess {
        let granted = control.dataPath.clientAccess(storageID: fileSystem, accessPointARN: accessPointARN)
        return ClientAccess(mount: granted.mount, write: granted.write, rootAccess: granted.rootAccess)
    }
}
