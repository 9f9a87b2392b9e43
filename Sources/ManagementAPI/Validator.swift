import Foundation
import JSONValue

/// Checks a request against the model: types, required members, lengths, ranges, patterns and enums
/// (botocore checks only minimum lengths client-side; the rest is the server's job). Messages follow
/// AWS's "1 validation error detected: Value ... at '...' failed to satisfy constraint: ..." form.
enum Validator {
    /// Model patterns ICU cannot compile, and equivalents it can.
    static let patternRewrites: [String: String] = [
        // RootDirectory.Path: a quantified lookahead, `(?!\.)+`, which ICU refuses; asserting it once is the same.
        #"^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$"#: #"^(\/|(\/(?!\.)[^$#<>;`|&?{}^*/\n]+){1,4})$"#,
    ]

    struct PatternError: Error, CustomStringConvertible {
        var pattern: String
        var description: String { "the API model's pattern \(pattern) does not compile" }
    }

    /// Every pattern of the model, compiled when first needed; `ManagementAPI.init` asks first, so a pattern
    /// that does not compile stops the start instead of silently constraining nothing.
    static let compiledPatterns: Result<[String: NSRegularExpression], PatternError> = {
        var compiled: [String: NSRegularExpression] = [:]
        for case .string(_, _, let pattern?, _) in EFSModel.shapes.values where compiled[pattern] == nil {
            guard let regex = try? NSRegularExpression(pattern: anchored(patternRewrites[pattern] ?? pattern)) else {
                return .failure(PatternError(pattern: pattern))
            }
            compiled[pattern] = regex
        }
        return .success(compiled)
    }()

    /// ICU's `$` also matches before a final newline ("755\n" would pass `^[0-7]{3,4}$`); a pattern that
    /// ends in `$` means the end of the string, which is `\z`.
    static func anchored(_ pattern: String) -> String {
        guard pattern.hasSuffix("$"), !pattern.hasSuffix("\\$") else { return pattern }
        return pattern.dropLast() + "\\z"
    }

    static func validate(_ value: JSON, shape name: String) -> String? {
        var errors: [String] = []
        check(value, name, path: "", &errors)
        guard !errors.isEmpty else { return nil }
        return "\(errors.count) validation error\(errors.count == 1 ? "" : "s") detected: " + errors.joined(separator: "; ")
    }

    private static func check(_ value: JSON, _ shapeName: String, path: String, _ errors: inout [String]) {
        guard let shape = EFSModel.shapes[shapeName] else { return }
        let at = path.isEmpty ? "" : " at '\(path)'"
        func fail(_ constraint: String) { errors.append("Value \(describe(value))\(at) failed to satisfy constraint: \(constraint)") }
        switch shape {
        case .structure(let members, let required):
            guard let object = value.object else { return fail("Member must be a structure") }
            for name in required where object[name] == nil || object[name] == .null {
                errors.append("Value null at '\(join(path, name))' failed to satisfy constraint: Member must not be null")
            }
            let known = Set(members.map(\.name))
            for key in object.keys where !known.contains(key) {
                errors.append("'\(join(path, key))' is not a member of \(shapeName)")
            }
            for member in members { if let v = object[member.name], v != .null { check(v, member.shape, path: join(path, member.name), &errors) } }
        case .list(let member, let min, let max):
            guard let items = value.array else { return fail("Member must be a list") }
            if let min, items.count < min { fail("Member must have length greater than or equal to \(min)") }
            if let max, items.count > max { fail("Member must have length less than or equal to \(max)") }
            for (i, item) in items.enumerated() { check(item, member, path: "\(path).\(i + 1)", &errors) }
        case .map(let key, let valueShape, let min, let max):
            guard let object = value.object else { return fail("Member must be a map") }
            if let min, object.count < min { fail("Member must have length greater than or equal to \(min)") }
            if let max, object.count > max { fail("Member must have length less than or equal to \(max)") }
            for (k, v) in object { check(.string(k), key, path: path, &errors); check(v, valueShape, path: "\(path).\(k)", &errors) }
        case .string(let min, let max, let pattern, let values):
            guard let s = value.string else { return fail("Member must be a string") }
            let length = s.count
            if let min, length < min { fail("Member must have length greater than or equal to \(min)") }
            if let max, length > max { fail("Member must have length less than or equal to \(max)") }
            if let values, !values.contains(s) { fail("Member must satisfy enum value set: [\(values.joined(separator: ", "))]") }
            if let pattern, !matches(s, pattern) { fail("Member must satisfy regular expression pattern: \(pattern)") }
        case .integer(let min, let max):
            guard let n = value.int, value.double == Double(n) else { return fail("Member must be an integer") }
            if let min, n < min { fail("Member must have value greater than or equal to \(min)") }
            if let max, n > max { fail("Member must have value less than or equal to \(max)") }
        case .double(let min, let max):
            guard let d = value.double else { return fail("Member must be a number") }
            if let min, d < min { fail("Member must have value greater than or equal to \(min)") }
            if let max, d > max { fail("Member must have value less than or equal to \(max)") }
        case .boolean:
            if value.bool == nil { fail("Member must be a boolean") }
        case .timestamp:
            if value.double == nil && value.string == nil { fail("Member must be a timestamp") }
        }
    }

    private static func join(_ path: String, _ name: String) -> String {
        let lowered = name.prefix(1).lowercased() + name.dropFirst()
        return path.isEmpty ? lowered : path + "." + lowered
    }

    private static func describe(_ value: JSON) -> String {
        if let s = value.string { return "'\(s.count > 64 ? String(s.prefix(64)) + "..." : s)'" }
        let text = value.text
        return text.count > 64 ? String(text.prefix(64)) + "..." : text
    }

    static func matches(_ s: String, _ pattern: String) -> Bool {
        // A pattern not compiled here (none, once the start has checked them all) matches nothing.
        guard case .success(let compiled) = compiledPatterns, let regex = compiled[pattern] else { return false }
        // Smithy patterns are not implicitly anchored: those that mean the whole string say ^...$.
        return regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}
