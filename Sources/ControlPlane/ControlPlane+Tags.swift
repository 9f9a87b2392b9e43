import JSONValue

/// TagResource, UntagResource, ListTagsForResource, and the older CreateTags, DeleteTags, DescribeTags.
extension ControlPlane {
    func tagList(_ value: JSON?) throws(APIError) -> [Tag] {
        guard let items = value?.array else { return [] }
        var tags: [Tag] = []
        for item in items {
            guard let key = item["Key"]?.string, let v = item["Value"]?.string else { throw .badRequest("Each tag needs Key and Value.") }
            guard !key.lowercased().hasPrefix("aws:") else { throw .badRequest("Tag keys starting with aws: are reserved.") }
            tags.removeAll { $0.Key == key }
            tags.append(Tag(Key: key, Value: v))
        }
        return tags
    }

    func tagsJSON(_ tags: [Tag]) -> JSON {
        .array(tags.map { ["Key": .string($0.Key), "Value": .string($0.Value)] })
    }

    private func merge(_ existing: [Tag], _ new: [Tag]) -> [Tag] {
        existing.filter { old in !new.contains { $0.Key == old.Key } } + new
    }

    private func withTags(of resourceID: String, _ change: ([Tag]) throws(APIError) -> [Tag]) async throws {
        if resourceID.hasPrefix("fsap-") {
            guard var ap = accessPoints[resourceID] else { throw APIError.accessPointNotFound(resourceID) }
            ap.tags = try change(ap.tags)
            accessPoints[resourceID] = ap
            try await persist(ap)
        } else {
            var fs = try fileSystem(resourceID)
            fs.tags = try change(fs.tags)
            fileSystems[resourceID] = fs
            try await persist(fs)
        }
    }

    private func tags(of resourceID: String) throws(APIError) -> [Tag] {
        if resourceID.hasPrefix("fsap-") {
            guard let ap = accessPoints[resourceID] else { throw APIError.accessPointNotFound(resourceID) }
            return ap.tags
        }
        return try fileSystem(resourceID).tags
    }

    public func tagResource(_ input: JSON) async throws -> JSON { try await addTags(input, to: "ResourceId") }

    public func untagResource(_ input: JSON) async throws -> JSON { try await removeTags(input, from: "ResourceId") }

    public func listTagsForResource(_ input: JSON) throws -> JSON {
        let all = try tags(of: input["ResourceId"]!.string!)
        let (page, next) = try page(all, id: \.Key, marker: input["NextToken"]?.string, max: input["MaxResults"]?.int.map(Int.init))
        var out: [String: JSON] = ["Tags": tagsJSON(page)]
        if let next { out["NextToken"] = .string(next) }
        return .object(out)
    }

    public func createTags(_ input: JSON) async throws -> JSON { try await addTags(input, to: "FileSystemId") }

    public func deleteTags(_ input: JSON) async throws -> JSON { try await removeTags(input, from: "FileSystemId") }

    /// TagResource and the older CreateTags: merge `Tags` into the resource named by the `idField` member.
    private func addTags(_ input: JSON, to idField: String) async throws -> JSON {
        let new = try tagList(input["Tags"])
        try await withTags(of: input[idField]!.string!) { merge($0, new) }
        return .null
    }

    /// UntagResource and the older DeleteTags: drop `TagKeys` from the resource named by `idField`.
    private func removeTags(_ input: JSON, from idField: String) async throws -> JSON {
        let keys = Set((input["TagKeys"]?.array ?? []).compactMap(\.string))
        try await withTags(of: input[idField]!.string!) { $0.filter { !keys.contains($0.Key) } }
        return .null
    }

    public func describeTags(_ input: JSON) throws -> JSON {
        let all = try fileSystem(input["FileSystemId"]!.string!).tags
        let (page, next) = try page(all, id: \.Key, marker: input["Marker"]?.string, max: input["MaxItems"]?.int.map(Int.init))
        var out: [String: JSON] = ["Tags": tagsJSON(page)]
        if let marker = input["Marker"]?.string { out["Marker"] = .string(marker) }
        if let next { out["NextMarker"] = .string(next) }
        return .object(out)
    }
}
