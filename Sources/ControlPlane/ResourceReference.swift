/// An EFS resource named as EFS's model accepts it wherever it takes an id: the id itself, or the
/// resource's ARN (`arn:PARTITION:elasticfilesystem:REGION:ACCOUNT:file-system/fs-…`, `access-point/fsap-…`).
public struct ResourceReference: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case fileSystem = "file-system"
        case accessPoint = "access-point"

        /// The id prefix EFS gives this kind.
        var idPrefix: String { self == .fileSystem ? "fs-" : "fsap-" }
    }

    public let kind: Kind
    public let id: String

    /// Parses `text` as an id or an ARN of one of `kinds`, in this region and account. Anything else (an ARN of
    /// another region, account or resource type) names nothing here: nil.
    public static func parse(_ text: String, kinds: [Kind], region: String, account: String) -> ResourceReference? {
        guard text.hasPrefix("arn:") else { return ResourceReference(id: text, kinds: kinds) }
        let fields = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6, fields[1].hasPrefix("aws"), fields[2] == "elasticfilesystem",
              fields[3] == region, fields[4] == account else { return nil }
        let resource = fields[5].split(separator: "/", omittingEmptySubsequences: false)
        guard resource.count == 2, let kind = Kind(rawValue: String(resource[0])), kinds.contains(kind),
              resource[1].hasPrefix(kind.idPrefix) else { return nil }
        return ResourceReference(kind: kind, id: String(resource[1]))
    }

    /// A plain id of one of `kinds` (nil: none of their prefixes). Access point ids start with "fsap-", which
    /// also starts with "fs": the longest prefix decides.
    public init?(id: String, kinds: [Kind]) {
        guard let kind = kinds.sorted(by: { $0.idPrefix.count > $1.idPrefix.count }).first(where: { id.hasPrefix($0.idPrefix) }) else {
            return nil
        }
        self.init(kind: kind, id: id)
    }

    init(kind: Kind, id: String) { self.kind = kind; self.id = id }

    /// The error EFS answers when `text`, meant as a resource of `kind`, names nothing.
    public static func notFound(_ text: String, kind: Kind) -> APIError {
        kind == .fileSystem ? .fileSystemNotFound(text) : .accessPointNotFound(text)
    }
}
