import IAM

/// Finds the operation for a method and path, with the path's labels decoded.
struct Router: Sendable {
    private struct Route: Sendable {
        let spec: OperationSpec
        let segments: [Substring]
        let literals: Int
    }
    private let routes: [Route]

    init(_ operations: [OperationSpec] = EFSModel.operations) {
        routes = operations.map { spec in
            let path = spec.path.split(separator: "?").first ?? ""
            let segments = path.split(separator: "/", omittingEmptySubsequences: false)
            return Route(spec: spec, segments: segments, literals: segments.filter { !$0.hasPrefix("{") }.count)
        }.sorted { $0.literals > $1.literals }  // literal paths win over templates
    }

    func match(method: String, path: String) -> (OperationSpec, [String: String])? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for route in routes where route.spec.method == method && route.segments.count == parts.count {
            var labels: [String: String] = [:]
            var ok = true
            for (pattern, part) in zip(route.segments, parts) {
                if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                    let decoded = SigV4.percentDecode(String(part))
                    if decoded.isEmpty { ok = false; break }
                    labels[String(pattern.dropFirst().dropLast())] = decoded
                } else if pattern != part {
                    ok = false; break
                }
            }
            if ok { return (route.spec, labels) }
        }
        return nil
    }

    func pathExists(_ path: String) -> Bool {
        ["GET", "POST", "PUT", "DELETE"].contains { match(method: $0, path: path) != nil }
    }
}
