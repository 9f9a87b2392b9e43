import ControlPlane
import JSONValue

/// Every member that names a file system or access point takes its id or its ARN (as the model's patterns
/// say); the ARN is resolved here, once, so the control plane and authorization see ids only.
enum ResourceIDs {
    static let members: [(name: String, kinds: [ResourceReference.Kind])] = [
        ("FileSystemId", [.fileSystem]), ("SourceFileSystemId", [.fileSystem]),
        ("AccessPointId", [.accessPoint]), ("ResourceId", [.fileSystem, .accessPoint]),
    ]

    /// `input` with each ARN replaced by its id; an ARN of another region, account or kind names nothing here.
    static func resolve(_ input: JSON, region: String, account: String) throws(APIError) -> JSON {
        guard case .object(var members) = input else { return input }
        for (name, kinds) in Self.members {
            guard let text = members[name]?.string, text.hasPrefix("arn:") else { continue }
            guard let reference = ResourceReference.parse(text, kinds: kinds, region: region, account: account) else {
                let meant: ResourceReference.Kind = kinds.count == 1 ? kinds[0] : (text.contains(":access-point/") ? .accessPoint : .fileSystem)
                throw ResourceReference.notFound(text, kind: meant)
            }
            members[name] = .string(reference.id)
        }
        return .object(members)
    }
}
