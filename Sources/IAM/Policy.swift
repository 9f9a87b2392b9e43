import JSONValue

public struct PolicyError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// An IAM policy document: identity policies (no Principal) and resource policies such as EFS file
/// system policies (Principal required).
public struct PolicyDocument: Sendable, Hashable {
    public enum Effect: String, Sendable { case allow = "Allow", deny = "Deny" }

    public struct Condition: Sendable, Hashable {
        public var operation: String   // e.g. "StringEquals", "StringLikeIfExists", "Bool"
        public var key: String         // lowercased, as condition keys are case-insensitive
        public var values: [String]
    }

    public struct Statement: Sendable, Hashable {
        public var effect: Effect
        public var actions: [String]
        public var actionsNegated: Bool
        public var resources: [String]
        public var resourcesNegated: Bool
        /// nil for identity policies; "*" or ARNs otherwise.
        public var principals: [String]?
        public var conditions: [Condition]
    }

    public var statements: [Statement]

    static let operators: Set<String> = [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
        "StringNotLike", "Bool", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "Null",
    ]

    public static func parse(_ text: String, resourcePolicy: Bool) throws(PolicyError) -> PolicyDocument {
        let json: JSON
        do { json = try JSON.parse(text) } catch { throw PolicyError("The policy is not valid JSON.") }
        return try parse(json, resourcePolicy: resourcePolicy)
    }

    public static func parse(_ json: JSON, resourcePolicy: Bool) throws(PolicyError) -> PolicyDocument {
        guard let top = json.object else { throw PolicyError("The policy must be a JSON object.") }
        if let version = top["Version"] {
            guard version == "2012-10-17" || version == "2008-10-17" else { throw PolicyError("Unsupported policy Version.") }
        }
        let raw: [JSON]
        switch top["Statement"] {
        case .array(let list)?: raw = list
        case .object?: raw = [top["Statement"]!]
        default: throw PolicyError("The policy has no Statement.")
        }
        guard !raw.isEmpty else { throw PolicyError("The policy has no Statement.") }
        var statements: [Statement] = []
        for item in raw {
            guard let s = item.object else { throw PolicyError("A Statement must be an object.") }
            guard let effectText = s["Effect"]?.string, let effect = Effect(rawValue: effectText) else {
                throw PolicyError("Each Statement needs Effect Allow or Deny.")
            }
            let (actions, actionsNegated) = try pair(s, "Action", "NotAction", required: true)
            let (resources, resourcesNegated) = try pair(s, "Resource", "NotResource", required: !resourcePolicy)
            var principals: [String]?
            if resourcePolicy {
                guard let principal = s["Principal"] ?? s["NotPrincipal"] else { throw PolicyError("A resource policy Statement needs a Principal.") }
                principals = try principalList(principal)
            } else if s["Principal"] != nil {
                throw PolicyError("An identity policy cannot name a Principal.")
            }
            for action in actions where action != "*" && !action.lowercased().hasPrefix("elasticfilesystem:") {
                if resourcePolicy { throw PolicyError("Action \(action) is not an elasticfilesystem action.") }
            }
            var conditions: [Condition] = []
            if let c = s["Condition"] {
                guard let ops = c.object else { throw PolicyError("Condition must be an object.") }
                for (op, body) in ops {
                    let base = op.replacingOccurrences(of: "IfExists", with: "")
                        .replacingOccurrences(of: "ForAnyValue:", with: "").replacingOccurrences(of: "ForAllValues:", with: "")
                    guard operators.contains(base) else { throw PolicyError("Unsupported condition operator \(op).") }
                    guard let keys = body.object else { throw PolicyError("Condition \(op) must map keys to values.") }
                    for (key, value) in keys {
                        conditions.append(Condition(operation: op, key: key.lowercased(), values: try strings(value)))
                    }
                }
            }
            statements.append(Statement(effect: effect, actions: actions, actionsNegated: actionsNegated,
                                        resources: resources.isEmpty ? ["*"] : resources,
                                        resourcesNegated: resourcesNegated, principals: principals, conditions: conditions))
        }
        return PolicyDocument(statements: statements)
    }

    private static func pair(_ s: [String: JSON], _ name: String, _ negated: String, required: Bool) throws(PolicyError) -> ([String], Bool) {
        if let v = s[name] { return (try strings(v), false) }
        if let v = s[negated] { return (try strings(v), true) }
        if required { throw PolicyError("Each Statement needs \(name) or \(negated).") }
        return ([], false)
    }

    private static func strings(_ v: JSON) throws(PolicyError) -> [String] {
        switch v {
        case .string(let s): return [s]
        case .bool(let b): return [b ? "true" : "false"]
        case .int(let i): return [String(i)]
        case .array(let items):
            var out: [String] = []
            for item in items {
                switch item {
                case .string(let s): out.append(s)
                case .bool(let b): out.append(b ? "true" : "false")
                case .int(let i): out.append(String(i))
                default: throw PolicyError("Expected strings.")
                }
            }
            return out
        default: throw PolicyError("Expected a string or a list of strings.")
        }
    }

    private static func principalList(_ v: JSON) throws(PolicyError) -> [String] {
        if v.string == "*" { return ["*"] }
        guard let o = v.object else { throw PolicyError("Principal must be \"*\" or an object.") }
        var out: [String] = []
        for (kind, value) in o {
            guard kind == "AWS" else { throw PolicyError("Only AWS principals are supported.") }
            out += try strings(value)
        }
        return out
    }
}
