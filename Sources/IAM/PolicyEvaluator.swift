/// What a request is, for policy evaluation.
public struct RequestContext: Sendable {
    public var action: String
    public var resource: String
    /// The caller's ARN (for resource policies' Principal); "*" matches anyone.
    public var principal: String
    /// Condition keys (lowercased) and their values: aws:ResourceTag/Name, aws:SecureTransport, ...
    public var values: [String: [String]]

    public init(action: String, resource: String, principal: String, values: [String: [String]] = [:]) {
        self.action = action; self.resource = resource; self.principal = principal
        self.values = Dictionary(values.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}

public enum Decision: Sendable, Equatable { case allow, explicitDeny, implicitDeny }

/// IAM's evaluation logic for the supported subset: an explicit Deny wins, then any Allow, else deny.
public enum PolicyEvaluator {
    public static func evaluate(_ policies: [PolicyDocument], _ context: RequestContext) -> Decision {
        var allowed = false
        for policy in policies {
            for statement in policy.statements where applies(statement, context) {
                if statement.effect == .deny { return .explicitDeny }
                allowed = true
            }
        }
        return allowed ? .allow : .implicitDeny
    }

    static func applies(_ s: PolicyDocument.Statement, _ c: RequestContext) -> Bool {
        let actionMatch = s.actions.contains { glob($0, c.action, caseInsensitive: true) }
        guard actionMatch != s.actionsNegated else { return false }
        let resourceMatch = s.resources.contains { glob($0, c.resource, caseInsensitive: false) }
        guard resourceMatch != s.resourcesNegated else { return false }
        if let principals = s.principals {
            guard principals.contains(where: { $0 == "*" || glob($0, c.principal, caseInsensitive: false) }) else { return false }
        }
        return s.conditions.allSatisfy { holds($0, c) }
    }

    static func holds(_ condition: PolicyDocument.Condition, _ c: RequestContext) -> Bool {
        var op = condition.operation
        let ifExists = op.hasSuffix("IfExists")
        op = op.replacingOccurrences(of: "IfExists", with: "")
        let forAll = op.hasPrefix("ForAllValues:")
        op = op.replacingOccurrences(of: "ForAnyValue:", with: "").replacingOccurrences(of: "ForAllValues:", with: "")
        let present = c.values[condition.key]
        if op == "Null" {
            let wantsAbsent = condition.values.contains { $0.lowercased() == "true" }
            return wantsAbsent == (present == nil)
        }
        guard let actual = present, !actual.isEmpty else {
            return ifExists || op.contains("Not") || forAll
        }
        let negated = op.contains("Not")
        let positive: (String, String) -> Bool
        switch op.replacingOccurrences(of: "Not", with: "") {
        case "StringEquals", "ArnEquals": positive = { $0 == $1 }
        case "StringEqualsIgnoreCase": positive = { $0.lowercased() == $1.lowercased() }
        case "StringLike", "ArnLike": positive = { glob($1, $0, caseInsensitive: false) }
        case "Bool": positive = { $0.lowercased() == $1.lowercased() }
        default: return false
        }
        let matchOne: (String) -> Bool = { value in condition.values.contains { positive(value, $0) } }
        let matched = forAll ? actual.allSatisfy(matchOne) : actual.contains(where: matchOne)
        return negated ? !matched : matched
    }

    /// `*` matches any run of characters and `?` any one.
    public static func glob(_ pattern: String, _ text: String, caseInsensitive: Bool) -> Bool {
        let p = Array(caseInsensitive ? pattern.lowercased() : pattern)
        let t = Array(caseInsensitive ? text.lowercased() : text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
