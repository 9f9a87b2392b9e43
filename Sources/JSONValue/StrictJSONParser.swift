/// RFC 8259 JSON in UTF-8, exactly: no trailing commas, comments, single quotes, bare words, leading zeros,
/// byte-order marks or other encodings, no invalid UTF-8 or lone surrogate escapes, nothing after the value.
/// AWS's services are this strict; a lenient parser let malformed bodies create resources. Nesting is
/// bounded, so hostile input cannot exhaust the stack.
struct StrictJSONParser {
    static let maxDepth = 256

    private let bytes: [UInt8]
    private var at = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(JSON.ParseError) -> JSON {
        var parser = StrictJSONParser(bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    private func error(_ what: String) -> JSON.ParseError { JSON.ParseError(message: "\(what) at byte \(at)") }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    private mutating func expect(_ literal: String) throws(JSON.ParseError) {
        for byte in literal.utf8 {
            guard at < bytes.count, bytes[at] == byte else { throw error("expected \(literal)") }
            at += 1
        }
    }

    private mutating func value(depth: Int) throws(JSON.ParseError) -> JSON {
        guard at < bytes.count else { throw error("unexpected end of input") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(JSON.ParseError) -> JSON {
        guard depth <= Self.maxDepth else { throw error("nesting too deep") }
        at += 1
        var members: [String: JSON] = [:]
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
        while true {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try string()
            skipSpace()
            try expect(":")
            skipSpace()
            members[key] = try value(depth: depth)
            skipSpace()
            guard at < bytes.count else { throw error("unterminated object") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
            throw error("expected , or }")
        }
    }

    private mutating func array(depth: Int) throws(JSON.ParseError) -> JSON {
        guard depth <= Self.maxDepth else { throw error("nesting too deep") }
        at += 1
        var items: [JSON] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            guard at < bytes.count else { throw error("unterminated array") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
            throw error("expected , or ]")
        }
    }

    private mutating func number() throws(JSON.ParseError) -> JSON {
        let start = at
        func digits(_ parser: inout StrictJSONParser) -> Int {
            let from = parser.at
            while parser.at < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.at]) { parser.at += 1 }
            return parser.at - from
        }
        if bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count else { throw error("incomplete number") }
        if bytes[at] == UInt8(ascii: "0") {
            at += 1
        } else {
            guard digits(&self) > 0 else { throw error("expected a digit") }
        }
        var integral = true
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            integral = false
            guard digits(&self) > 0 else { throw error("expected a digit after the decimal point") }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            integral = false
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw error("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        if integral, let int = Int64(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else { throw error("number out of range") }
        return .double(double)
    }

    private mutating func string() throws(JSON.ParseError) -> String {
        at += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        while true {
            guard at < bytes.count else { throw error("unterminated string") }
            let byte = bytes[at]
            switch byte {
            case UInt8(ascii: "\""):
                at += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                at += 1
                scalars.append(try escape())
            case 0..<0x20:
                throw error("control character in a string")
            case 0..<0x80:
                scalars.append(Unicode.Scalar(byte))
                at += 1
            default:
                scalars.append(try utf8Scalar())
            }
        }
    }

    private mutating func escape() throws(JSON.ParseError) -> Unicode.Scalar {
        guard at < bytes.count else { throw error("unterminated escape") }
        let byte = bytes[at]
        at += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try hex4()
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed by an escaped low one.
                guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                    throw error("lone surrogate escape")
                }
                at += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate escape") }
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(unit) else { throw error("lone surrogate escape") }
            return scalar
        default: throw error("invalid escape")
        }
    }

    private mutating func hex4() throws(JSON.ParseError) -> UInt32 {
        guard at + 4 <= bytes.count else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }

    /// One multi-byte UTF-8 sequence, validated (no overlong forms, no surrogates, nothing past U+10FFFF).
    private mutating func utf8Scalar() throws(JSON.ParseError) -> Unicode.Scalar {
        let lead = bytes[at]
        let (count, minimum, initial): (Int, UInt32, UInt32)
        switch lead {
        case 0xC2...0xDF: (count, minimum, initial) = (2, 0x80, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (count, minimum, initial) = (3, 0x800, UInt32(lead & 0x0F))
        case 0xF0...0xF4: (count, minimum, initial) = (4, 0x10000, UInt32(lead & 0x07))
        default: throw error("invalid UTF-8")
        }
        guard at + count <= bytes.count else { throw error("invalid UTF-8") }
        var value = initial
        for i in 1..<count {
            let next = bytes[at + i]
            guard next & 0xC0 == 0x80 else { throw error("invalid UTF-8") }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw error("invalid UTF-8") }
        at += count
        return scalar
    }
}
