import ControlPlane
import IAM
import JSONValue

/// Which resource an operation acts on, and the condition values IAM policies can test. Read from the
/// control plane's published snapshot: authorizing a call never waits for the control plane's actor.
enum Authorization {
    static func context(_ operation: String, _ input: JSON, user: String, userARN: String, control: ControlPlane) -> RequestContext {
        let view = control.dataPath
        let resourceID = input["ResourceId"]?.string
        var fsID = input["FileSystemId"]?.string ?? input["SourceFileSystemId"]?.string
            ?? (resourceID?.hasPrefix("fs-") == true ? resourceID : nil)
        let apID = operation == "CreateAccessPoint" ? nil
            : input["AccessPointId"]?.string ?? (resourceID?.hasPrefix("fsap-") == true ? resourceID : nil)
        if let mtID = input["MountTargetId"]?.string, let owner = view.mountTargetFileSystems[mtID] { fsID = owner }
        let target: (arn: String, tags: [Tag])?
        if let apID {
            target = (control.accessPointARN(apID), view.accessPoints[apID]?.tags ?? [])
        } else if let fsID {
            target = (control.fileSystemARN(fsID), view.fileSystems[fsID]?.tags ?? [])
        } else {
            target = nil
        }
        var values: [String: [String]] = [
            "aws:SecureTransport": ["false"], "aws:username": [user], "aws:PrincipalArn": [userARN],
        ]
        for tag in target?.tags ?? [] { values["aws:ResourceTag/\(tag.key)"] = [tag.value] }
        if let tags = input["Tags"]?.array {
            for tag in tags { if let k = tag["Key"]?.string, let v = tag["Value"]?.string { values["aws:RequestTag/\(k)"] = [v] } }
            values["aws:TagKeys"] = tags.compactMap { $0["Key"]?.string }
        }
        return RequestContext(action: "elasticfilesystem:" + operation, resource: target?.arn ?? control.fileSystemARN("*"),
                              principal: userARN, values: values)
    }
}
