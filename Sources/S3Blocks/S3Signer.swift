import Crypto
import Foundation
import IAM
import NIOCore

/// Signs S3 requests with SigV4 (the same canonical request and key derivation the API uses to verify).
struct S3Signer: Sendable {
    let credentials: S3Credentials
    let region: String

    /// The headers to send with a request: its own, plus host, x-amz-date, x-amz-content-sha256 (the
    /// payload's hash, or UNSIGNED-PAYLOAD) and Authorization.
    func sign(method: String, host: String, path: String, query: String, headers: [(String, String)],
              payloadHash: String, now: Date = Date()) -> [(String, String)] {
        let amzDate = SigV4.format(now)
        var all = headers + [("host", host), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }
        let request = SignedRequest(method: method, path: path, query: query, headers: all.map { (name: $0.0, value: $0.1) }, body: [])
        let signed = all.map { $0.0.lowercased() }.sorted()
        let scope = "\(amzDate.prefix(8))/\(region)/s3/aws4_request"
        let signature = SigV4.signature(for: request, signedHeaders: signed, amzDate: amzDate, scope: scope,
                                        secretKey: credentials.secretAccessKey)
        all.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                    + "SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"))
        return all.filter { $0.0 != "host" }
    }

    /// The payload's SHA-256, hashed in place (no copy of a body of megabytes).
    static func sha256Hex(_ body: ByteBuffer) -> String {
        SigV4.hex(body.withUnsafeReadableBytes { SHA256.hash(data: $0) })
    }
}
