import ControlPlane
import IAM
import JSONValue

/// Which resource an operation acts on, and the condition values IAM policies can test.
enum Authorization {
    static func context(_ operation: String, _ input: JSON, user: String, userARN: String, control: ControlPlane) async -> RequestContext {
        let fsID = input["FileSystemId"]?.string ?? input["SourceFileSystemId"]?.string
        let resourceID = input["ResourceId"]?.string
        let apID = input["AccessPointId"]?.string ?? (resourceID?.hasPrefix("fsap-") == true ? resourceID : nil)
        let mtID = input["MountTargetId"]?.string
        let target = await control.authorizationTarget(
            fileSystem: fsID ?? (resourceID?.hasPrefix("fs-") == true ? resourceID : nil),
            accessPoint: operation == "CreateAccessPoint" ? nil : apID, mountTarget: mtID)
        let wildcard = await control.fileSystemARN("*")
        var values: [String: [String]] = [
            "aws:SecureTransport": ["false"], "aws:username": [user], "aws:PrincipalArn": [userARN],
        ]
        for tag in target?.tags ?? [] { values["aws:ResourceTag/\(tag.Key)"] = [tag.Value] }
        if let tags = input["Tags"]?.array {
            for tag in tags { if let k = tag["Key"]?.string, let v = tag["Value"]?.string { values["aws:RequestTag/\(k)"] = [v] } }
            values["aws:TagKeys"] = tags.compactMap { $0["Key"]?.string }
        }
        return RequestContext(action: "elasticfilesystem:" + operation, resource: target?.arn ?? wildcard,
                              principal: userARN, values: values)
    }
}
