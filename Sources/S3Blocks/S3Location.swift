import Foundation

/// Where blocks live in an S3-compatible store: `s3://BUCKET?endpoint=URL&region=R`, addressed path-style
/// (endpoint/bucket/key), as Ceph RGW, SeaweedFS and MinIO expect and AWS S3 accepts.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var endpoint: URL
    public var bucket: String
    public var region: String
    /// Prefix of every block's object key.
    public var prefix: String

    public init(endpoint: URL, bucket: String, region: String = "us-east-1", prefix: String = "blocks/") {
        self.endpoint = endpoint; self.bucket = bucket; self.region = region; self.prefix = prefix
    }

    /// Parses `s3://BUCKET?endpoint=URL&region=R[&prefix=P]`; without an endpoint, AWS S3 in the region.
    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text), components.scheme == "s3",
              let bucket = components.host, !bucket.isEmpty else {
            throw S3Error.configuration("expected s3://BUCKET?endpoint=URL&region=REGION, got \(text)")
        }
        let items = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let region = items["region"] ?? "us-east-1"
        let endpointText = items["endpoint"] ?? "https://s3.\(region).amazonaws.com"
        guard let endpoint = URL(string: endpointText), endpoint.host != nil,
              ["http", "https"].contains(endpoint.scheme ?? "") else {
            throw S3Error.configuration("the endpoint must be an http(s) URL, got \(endpointText)")
        }
        self.init(endpoint: endpoint, bucket: bucket, region: region, prefix: items["prefix"] ?? "blocks/")
    }

    public var description: String { "s3://\(bucket) at \(endpoint.absoluteString) (\(region))" }
}

/// Access keys for signing: from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
/// AWS_SESSION_TOKEN) or the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
/// profile AWS_PROFILE or default).
public struct S3Credentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID; self.secretAccessKey = secretAccessKey; self.sessionToken = sessionToken
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Credentials {
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
        }
        let home = environment["HOME"] ?? "/root"
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let profile = environment["AWS_PROFILE"] ?? "default"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw S3Error.configuration("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write \(path)")
        }
        var section = "", values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") { section = String(line.dropFirst().dropLast()); continue }
            guard section == profile, let eq = line.firstIndex(of: "=") else { continue }
            values[line[..<eq].trimmingCharacters(in: .whitespaces)] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        guard let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            throw S3Error.configuration("profile \(profile) in \(path) has no aws_access_key_id and aws_secret_access_key")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
}

/// What went wrong talking to the object store, in words that name the cause.
public enum S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    case configuration(String)
    case accessDenied(String)
    case noSuchBucket(String)
    case wrongRegion(bucket: String, region: String?)
    case unexpected(status: UInt, code: String, message: String)
    case unreachable(String)

    public var description: String {
        switch self {
        case .configuration(let why): "S3 configuration: \(why)"
        case .accessDenied(let message): "S3 refused the credentials (403 AccessDenied): \(message)"
        case .noSuchBucket(let bucket): "S3 bucket \(bucket) does not exist (NoSuchBucket)"
        case .wrongRegion(let bucket, let region):
            "S3 bucket \(bucket) is in another region" + (region.map { " (\($0)): use region=\($0)" } ?? "")
        case .unexpected(let status, let code, let message): "S3 answered \(status) \(code): \(message)"
        case .unreachable(let why): "S3 is unreachable: \(why)"
        }
    }
}
