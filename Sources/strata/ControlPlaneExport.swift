import ControlPlane
import FileSystem
import IAM
import JSONValue
import NFSv4

/// The control plane, as the NFS data path asks it: access points (identity, root directory) and file
/// system policies evaluated for anonymous AUTH_SYS clients over plain TCP (aws:SecureTransport false).
/// Read from the control plane's data-path snapshot: nothing here waits for the actor.
struct ControlPlaneExport: NFSExportPolicy {
    let control: ControlPlane

    func accessPoint(_ id: String, fileSystem: Int64) async -> AccessPointExport? {
        guard let entry = control.dataPath.accessPoints[id], entry.storageID == fileSystem else { return nil }
        let ap = entry.state
        var user: Caller?
        if let posix = ap.posixUser, let uid = posix["Uid"]?.int, let gid = posix["Gid"]?.int {
            user = Caller(uid: UInt32(uid), gid: UInt32(gid),
                          groups: (posix["SecondaryGids"]?.array ?? []).compactMap { $0.int.map { UInt32($0) } })
        }
        let path = ap.rootDirectory?["Path"]?.string ?? "/"
        var creation: (uid: UInt32, gid: UInt32, mode: UInt32)?
        if let info = ap.rootDirectory?["CreationInfo"], let uid = info["OwnerUid"]?.int, let gid = info["OwnerGid"]?.int,
           let permissions = info["Permissions"]?.string, let mode = UInt32(permissions, radix: 8) {
            creation = (UInt32(uid), UInt32(gid), mode)
        }
        return AccessPointExport(id: ap.id, arn: entry.arn, posixUser: user,
                                 rootPath: path.split(separator: "/").map(String.init), creation: creation)
    }

    func clientAccess(fileSystem: Int64, accessPointARN: String?) async -> ClientAccess {
        guard let fs = control.dataPath.fileSystems[fileSystem], let policy = fs.policy else { return .full }
        let arn = fs.arn
        var values: [String: [String]] = ["aws:SecureTransport": ["false"]]
        if let accessPointARN { values["elasticfilesystem:AccessPointArn"] = [accessPointARN] }
        func allows(_ action: String) -> Bool {
            PolicyEvaluator.evaluate([policy], RequestContext(action: "elasticfilesystem:" + action, resource: arn,
                                                              principal: "anonymous", values: values)) == .allow
        }
        return ClientAccess(mount: allows("ClientMount"), write: allows("ClientWrite"), rootAccess: allows("ClientRootAccess"))
    }
}
