import Crypto
import Foundation

/// A request as it arrived, before any decoding: what SigV4 signs.
public struct SignedRequest: Sendable {
    public var method: String
    /// The path exactly as sent (still percent-encoded).
    public var path: String
    /// The query string exactly as sent, without '?'.
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, path: String, query: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method; self.path = path; self.query = query; self.headers = headers; self.body = body
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }
}

/// Why a request's signature was refused, with AWS's error codes and HTTP statuses.
public enum SigV4Failure: Error, Sendable, Equatable {
    case missingAuthentication
    case incomplete(String)
    case unknownAccessKey
    case signatureMismatch
    case expired(String)
    case wrongScope(String)

    public var code: String {
        switch self {
        case .missingAuthentication: "MissingAuthenticationTokenException"
        case .incomplete: "IncompleteSignatureException"
        case .unknownAccessKey: "UnrecognizedClientException"
        case .signatureMismatch, .expired, .wrongScope: "InvalidSignatureException"
        }
    }

    public var httpStatus: Int { if case .incomplete = self { return 400 }; return 403 }

    public var message: String {
        switch self {
        case .missingAuthentication: "Missing Authentication Token"
        case .incomplete(let why): "Incomplete signature: \(why)"
        case .unknownAccessKey: "The security token included in the request is invalid."
        case .signatureMismatch:
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
        case .expired(let why): "Signature expired: \(why)"
        case .wrongScope(let why): "Credential should be scoped to a valid region or service: \(why)"
        }
    }
}

/// AWS Signature Version 4 (header form), computed exactly as AWS SDKs compute it.
public enum SigV4 {
    public static let maxSkew: TimeInterval = 300

    /// Checks the request's Authorization header. Returns the access key id it was signed with.
    public static func verify(_ request: SignedRequest, region: String, service: String, now: Date,
                              secret: (String) -> String?) throws(SigV4Failure) -> String {
        guard let authorization = request.header("authorization") else { throw .missingAuthentication }
        guard authorization.hasPrefix("AWS4-HMAC-SHA256 ") else { throw .incomplete("unsupported algorithm") }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
              let signature = fields["Signature"] else { throw .incomplete("Authorization lacks Credential, SignedHeaders or Signature") }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else { throw .incomplete("malformed credential scope") }
        let (keyID, date, scopeRegion, scopeService) = (scope[0], scope[1], scope[2], scope[3])
        guard let amzDate = request.header("x-amz-date") else { throw .incomplete("no X-Amz-Date header") }
        guard let signedAt = parseAmzDate(amzDate) else { throw .incomplete("malformed X-Amz-Date") }
        guard scopeRegion == region else { throw .wrongScope("'\(scopeRegion)' is not '\(region)'") }
        guard scopeService == service else { throw .wrongScope("'\(scopeService)' is not '\(service)'") }
        guard amzDate.hasPrefix(date) else { throw .wrongScope("credential date \(date) is not the request's") }
        guard abs(signedAt.timeIntervalSince(now)) <= maxSkew else {
            throw .expired("\(amzDate) is more than 5 minutes away from the server time \(format(now))")
        }
        let names = signedHeaders.split(separator: ";").map(String.init)
        guard names.contains("host") else { throw .incomplete("host is not signed") }
        guard let key = secret(keyID) else { throw .unknownAccessKey }
        let expected = Self.signature(for: request, signedHeaders: names, amzDate: amzDate,
                                      scope: "\(date)/\(region)/\(service)/aws4_request", secretKey: key)
        guard constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else { throw .signatureMismatch }
        return keyID
    }

    /// The hex signature of a request over `signedHeaders` (lowercase names).
    public static func signature(for request: SignedRequest, signedHeaders: [String], amzDate: String, scope: String,
                                 secretKey: String) -> String {
        let canonical = canonicalRequest(request, signedHeaders: signedHeaders)
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(SHA256.hash(data: Array(canonical.utf8)))].joined(separator: "\n")
        let parts = scope.split(separator: "/").map(String.init)
        var key = SymmetricKey(data: Array(("AWS4" + secretKey).utf8))
        for part in parts { key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))) }
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    public static func canonicalRequest(_ request: SignedRequest, signedHeaders: [String]) -> String {
        let sortedNames = Set(signedHeaders.map { $0.lowercased() }).sorted()
        let headerLines = sortedNames.map { name in
            let values = request.headers.filter { $0.name.lowercased() == name }
                .map { $0.value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
            return name + ":" + values.joined(separator: ",")
        }
        let payload = request.header("x-amz-content-sha256") ?? hex(SHA256.hash(data: request.body))
        return [request.method.uppercased(), canonicalPath(request.path), canonicalQuery(request.query),
                headerLines.joined(separator: "\n") + "\n", sortedNames.joined(separator: ";"), payload]
            .joined(separator: "\n")
    }

    /// Dot segments and repeated slashes removed, then every byte but unreserved ones, '/' and '~'
    /// percent-encoded (so an already-encoded path is encoded twice, as for every service but S3).
    static func canonicalPath(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." { if !segments.isEmpty { segments.removeLast() } } else { segments.append(segment) }
        }
        var normalized = (path.hasPrefix("/") ? "/" : "") + segments.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { normalized += "/" }
        return percentEncode(normalized, keeping: "/~")
    }

    /// Pairs decoded, re-encoded the canonical way, and sorted by key then value.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(key: String, value: String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key: String = percentDecode(String(kv[0]))
            let value: String = kv.count > 1 ? percentDecode(String(kv[1])) : ""
            pairs.append((percentEncode(key, keeping: "-_.~"), percentEncode(value, keeping: "-_.~")))
        }
        pairs.sort { a, b in a.key != b.key ? a.key < b.key : a.value < b.value }
        return pairs.map { $0.key + "=" + $0.value }.joined(separator: "&")
    }

    static func percentEncode(_ s: String, keeping extra: String) -> String {
        let keep = Set(extra.utf8)
        var out = ""
        for b in s.utf8 {
            let letter = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            let digit = b >= 0x30 && b <= 0x39
            let unreserved = b == 0x2D || b == 0x5F || b == 0x2E || b == 0x7E
            if letter || digit || unreserved || keep.contains(b) {
                out.unicodeScalars.append(UnicodeScalar(b))
            } else {
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    public static func percentDecode(_ s: String) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == 0x25, it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v); it = it.dropFirst(2)
            } else if b == 0x2B {
                bytes.append(0x20)  // '+' in a query means a space
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func parseAmzDate(_ s: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.date(from: s)
    }

    public static func format(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
