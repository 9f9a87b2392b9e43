import ControlPlane
import JSONValue

/// TagResource, UntagResource, ListTagsForResource, and the older CreateTags, DeleteTags, DescribeTags.
extension Dispatch {
    /// The resource a tagging call names (ids only by now: ARNs were resolved before authorization).
    private static func resource(_ input: EFSInput, _ member: String) throws(APIError) -> ResourceReference {
        let id = try input.required(member)
        guard let reference = ResourceReference(id: id, kinds: member == "ResourceId" ? [.fileSystem, .accessPoint] : [.fileSystem]) else {
            throw APIError("BadRequest", "\(member) '\(id)' names no file system or access point.")
        }
        return reference
    }

    /// TagResource and the older CreateTags: merge Tags into the resource `member` names.
    private static func addTags(_ input: EFSInput, _ cp: ControlPlane, member: String) async throws -> JSON {
        try await cp.tag(try resource(input, member), try input.tags())
        return .null
    }

    /// UntagResource and the older DeleteTags: drop TagKeys from the resource `member` names.
    private static func removeTags(_ input: EFSInput, _ cp: ControlPlane, member: String) async throws -> JSON {
        try await cp.untag(try resource(input, member), keys: input.strings("TagKeys") ?? [])
        return .null
    }

    static func tagResource(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON { try await addTags(input, cp, member: "ResourceId") }
    static func untagResource(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON { try await removeTags(input, cp, member: "ResourceId") }
    static func createTags(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON { try await addTags(input, cp, member: "FileSystemId") }
    static func deleteTags(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON { try await removeTags(input, cp, member: "FileSystemId") }

    static func listTagsForResource(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let page = try await cp.tags(of: try resource(input, "ResourceId"), page: input.page(marker: "NextToken", max: "MaxResults"))
        return EFSOutput.tokenPage("Tags", EFSOutput.tagItems(page.items), next: page.next)
    }

    static func describeTags(_ input: EFSInput, _ cp: ControlPlane) async throws -> JSON {
        let page = try await cp.tags(of: try resource(input, "FileSystemId"), page: input.page())
        return EFSOutput.markerPage("Tags", EFSOutput.tagItems(page.items), next: page.next, marker: input.string("Marker"))
    }
}
