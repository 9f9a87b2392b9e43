/// TagResource, UntagResource, ListTagsForResource, and the older CreateTags, DeleteTags, DescribeTags.
extension ControlPlane {
    /// Tags as a request gives them: a key given twice keeps its last value; aws: keys are reserved.
    func checkedTags(_ tags: [Tag]) throws(APIError) -> [Tag] {
        var checked: [Tag] = []
        for tag in tags {
            guard !tag.key.lowercased().hasPrefix("aws:") else { throw .badRequest("Tag keys starting with aws: are reserved.") }
            checked.removeAll { $0.key == tag.key }
            checked.append(tag)
        }
        return checked
    }

    private func withTags(of resource: ResourceReference, _ change: ([Tag]) throws(APIError) -> [Tag]) async throws {
        switch resource.kind {
        case .accessPoint:
            guard var ap = accessPoints[resource.id] else { throw APIError.accessPointNotFound(resource.id) }
            ap.tags = try change(ap.tags)
            accessPoints[resource.id] = ap
            try await persist(ap)
        case .fileSystem:
            var fs = try fileSystem(resource.id)
            fs.tags = try change(fs.tags)
            fileSystems[resource.id] = fs
            try await persist(fs)
        }
    }

    /// Adds `tags` to the resource; a key it already has takes the new value (TagResource, CreateTags).
    public func tag(_ resource: ResourceReference, _ tags: [Tag]) async throws {
        let new = try checkedTags(tags)
        try await withTags(of: resource) { existing in existing.filter { old in !new.contains { $0.key == old.key } } + new }
    }

    /// Removes the tags with these keys (UntagResource, DeleteTags).
    public func untag(_ resource: ResourceReference, keys: [String]) async throws {
        let keys = Set(keys)
        try await withTags(of: resource) { $0.filter { !keys.contains($0.key) } }
    }

    /// The resource's tags, a page at a time (ListTagsForResource, DescribeTags).
    public func tags(of resource: ResourceReference, page request: PageRequest = .init()) throws -> Page<Tag> {
        let all: [Tag]
        switch resource.kind {
        case .accessPoint:
            guard let ap = accessPoints[resource.id] else { throw APIError.accessPointNotFound(resource.id) }
            all = ap.tags
        case .fileSystem:
            all = try fileSystem(resource.id).tags
        }
        return try page(all, id: \.key, request)
    }
}
