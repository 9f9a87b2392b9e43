import ControlPlane
import IAM
import JSONValue

/// Builds an operation's input from the path labels, the query string and the JSON body, as the model
/// places each member.
enum RequestDecoder {
    static func input(for spec: OperationSpec, labels: [String: String], query: String, body: [UInt8]) throws(APIError) -> JSON {
        guard let inputName = spec.input, case .structure(let members, _)? = EFSModel.shapes[inputName] else { return .object([:]) }
        var object: [String: JSON] = [:]
        let hasBodyMembers = members.contains { $0.location == nil }
        if hasBodyMembers && !body.isEmpty {
            let parsed: JSON
            // AWS answers a body it cannot read as its input structure with a SerializationException (400).
            do { parsed = try JSON.parse(body) } catch {
                throw APIError("SerializationException", "The request body is not valid JSON (RFC 8259, UTF-8): \(error.message).")
            }
            guard let fields = parsed.object else { throw APIError("SerializationException", "The request body must be a JSON object.") }
            for (k, v) in fields { object[k] = v }
        }  // a body where the operation takes none is ignored, as AWS does
        var queryValues: [String: [String]] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            queryValues[SigV4.percentDecode(String(kv[0])), default: []].append(kv.count > 1 ? SigV4.percentDecode(String(kv[1])) : "")
        }
        for member in members {
            switch member.location {
            case "uri":
                if let v = labels[member.locationName ?? member.name] { object[member.name] = .string(v) }
            case "querystring":
                guard let values = queryValues[member.locationName ?? member.name] else { continue }
                object[member.name] = try typed(values, shape: member.shape, name: member.locationName ?? member.name)
            default: break
            }
        }
        return .object(object)
    }

    private static func typed(_ values: [String], shape: String, name: String) throws(APIError) -> JSON {
        switch EFSModel.shapes[shape] {
        case .list?: return .array(values.map { .string($0) })
        case .integer?:
            guard let n = Int64(values[0]) else { throw APIError("BadRequest", "Query parameter \(name) must be an integer.") }
            return .int(n)
        case .boolean?: return .bool(values[0] == "true")
        default: return .string(values[0])
        }
    }
}
