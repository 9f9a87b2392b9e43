import AsyncHTTPClient
import BlockStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Blocks as objects in an S3-compatible store (`prefix` + key). A PUT is durable when it is answered, so
/// staging is a put. Transient failures (5xx, 503 SlowDown, timeouts, refused connections) are retried with
/// backoff; the others say what is wrong (credentials, bucket, region).
public final class S3BlockStore: BlockStore {
    public let location: S3Location
    private let signer: S3Signer
    private let http: HTTPClient
    private let logger = Logger(label: "strata.s3")
    /// Blocks above this go up in parts of `partSize` (a multipart upload).
    let multipartThreshold: Int
    let partSize: Int
    static let attempts = 5

    /// One client for the process (it is never shut down, so never deinitialised). A connection that cannot
    /// be made fails at once, for `execute`'s own retries, instead of being retried until the deadline.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(location: S3Location, credentials: S3Credentials, multipartThreshold: Int = 16 << 20, partSize: Int = 8 << 20) {
        self.location = location
        signer = S3Signer(credentials: credentials, region: location.region)
        http = Self.client
        self.multipartThreshold = multipartThreshold
        self.partSize = max(5 << 20, partSize)
    }

    /// Checks that the bucket is there and the credentials open it (a start fails on this, in one line).
    public func verify() async throws {
        _ = try await send("GET", key: nil, query: "list-type=2&max-keys=1", allowed: [200])
    }

    // MARK: BlockStore

    public func put(_ key: BlockKey, parts: [ByteBuffer], priority: IOPriority, readBack: ReadBack) async throws {
        var body = ByteBuffer()
        body.reserveCapacity(parts.reduce(0) { $0 + $1.readableBytes })
        for var part in parts { body.writeBuffer(&part) }
        if body.readableBytes > multipartThreshold {
            try await multipartPut(key, body)
        } else {
            _ = try await send("PUT", key: key, body: body, allowed: [200])
        }
    }

    public func get(_ key: BlockKey, range: Range<Int>?) async throws -> ByteBuffer {
        var headers: [(String, String)] = []
        if let range {
            if range.isEmpty { return ByteBuffer() }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)"))
        }
        let (status, body) = try await send("GET", key: key, headers: headers, allowed: [200, 206, 404, 416])
        switch status {
        case 404: throw BlockStoreError.notFound(key)
        case 416: return ByteBuffer()  // the range starts past the end: cut short to nothing
        default: return body
        }
    }

    public func delete(_ keys: [BlockKey]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for key in keys {
                if running == 16 { try await group.next(); running -= 1 }
                group.addTask { _ = try await self.send("DELETE", key: key, allowed: [200, 204, 404]) }
                running += 1
            }
            try await group.waitForAll()
        }
    }

    public func list() async throws -> [BlockInfo] {
        var blocks: [BlockInfo] = []
        var token: String?
        repeat {
            var query = "list-type=2&prefix=\(Self.encode(location.prefix))"
            if let token { query += "&continuation-token=\(Self.encode(token))" }
            let (_, body) = try await send("GET", key: nil, query: query, allowed: [200])
            let xml = String(buffer: body)
            for contents in S3XML.elements("Contents", in: xml) {
                guard let name = S3XML.value("Key", in: contents), name.hasPrefix(location.prefix),
                      let key = BlockKey(String(name.dropFirst(location.prefix.count))),
                      let size = S3XML.value("Size", in: contents).flatMap(Int.init) else { continue }
                blocks.append(BlockInfo(key: key, size: size))
            }
            token = S3XML.value("IsTruncated", in: xml) == "true" ? S3XML.value("NextContinuationToken", in: xml) : nil
        } while token != nil
        return blocks
    }

    // MARK: Multipart

    private func multipartPut(_ key: BlockKey, _ body: ByteBuffer) async throws {
        let (_, created) = try await send("POST", key: key, query: "uploads", allowed: [200])
        guard let upload = S3XML.value("UploadId", in: String(buffer: created)) else {
            throw S3Error.unexpected(status: 200, code: "NoUploadId", message: "CreateMultipartUpload returned no UploadId")
        }
        do {
            var etags: [String] = []
            var offset = 0, number = 1
            while offset < body.readableBytes {
                let length = min(partSize, body.readableBytes - offset)
                let part = body.getSlice(at: body.readerIndex + offset, length: length)!
                let etag = try await sendForETag(key: key, query: "partNumber=\(number)&uploadId=\(Self.encode(upload))", body: part)
                etags.append(etag)
                offset += length; number += 1
            }
            var manifest = "<CompleteMultipartUpload>"
            for (index, etag) in etags.enumerated() { manifest += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(etag)</ETag></Part>" }
            manifest += "</CompleteMultipartUpload>"
            let (_, completed) = try await send("POST", key: key, query: "uploadId=\(Self.encode(upload))",
                                                body: ByteBuffer(string: manifest), allowed: [200])
            // CompleteMultipartUpload can fail after a 200, in its body.
            if let code = S3XML.value("Code", in: String(buffer: completed)) {
                throw S3Error.unexpected(status: 200, code: code, message: S3XML.value("Message", in: String(buffer: completed)) ?? "")
            }
        } catch {
            _ = try? await send("DELETE", key: key, query: "uploadId=\(Self.encode(upload))", allowed: [200, 204, 404])
            throw error
        }
    }

    private func sendForETag(key: BlockKey, query: String, body: ByteBuffer) async throws -> String {
        let response = try await execute("PUT", key: key, query: query, headers: [], body: body, allowed: [200])
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error.unexpected(status: 200, code: "NoETag", message: "UploadPart returned no ETag")
        }
        return etag
    }

    // MARK: Requests

    private func send(_ method: String, key: BlockKey?, query: String = "", headers: [(String, String)] = [],
                      body: ByteBuffer? = nil, allowed: Set<UInt>) async throws -> (UInt, ByteBuffer) {
        let response = try await execute(method, key: key, query: query, headers: headers, body: body, allowed: allowed)
        return (response.status, response.body)
    }

    private struct Response { var status: UInt; var headers: HTTPHeaders; var body: ByteBuffer }

    /// One request, signed, retried with backoff while the failure is transient.
    private func execute(_ method: String, key: BlockKey?, query: String, headers: [(String, String)],
                         body: ByteBuffer?, allowed: Set<UInt>) async throws -> Response {
        let path = "/\(location.bucket)" + (key.map { "/\(location.prefix)\($0.rawValue)" } ?? "/")
        // Hashed once for all attempts: a multipart part is megabytes.
        let payloadHash = S3Signer.sha256Hex(body ?? ByteBuffer())
        var delay = Duration.milliseconds(100)
        for attempt in 1...Self.attempts {
            do {
                let response = try await once(method, path: path, query: query, headers: headers, body: body, payloadHash: payloadHash)
                if allowed.contains(response.status) { return response }
                let failure = failure(response)
                guard Self.transient(response.status), attempt < Self.attempts else { throw failure }
                logger.info("S3 \(method) \(path): \(failure); retrying in \(delay)")
            } catch let error as S3Error {
                throw error
            } catch {
                guard attempt < Self.attempts else { throw S3Error.unreachable("\(location.endpoint.absoluteString): \(error)") }
                logger.info("S3 \(method) \(path): \(error); retrying in \(delay)")
            }
            try await Task.sleep(for: delay)
            delay *= 2
        }
        throw S3Error.unreachable(location.endpoint.absoluteString)
    }

    private func once(_ method: String, path: String, query: String, headers: [(String, String)], body: ByteBuffer?,
                      payloadHash: String) async throws -> Response {
        let endpoint = location.endpoint
        let host = endpoint.port.map { "\(endpoint.host!):\($0)" } ?? endpoint.host!
        let signed = signer.sign(method: method, host: host, path: path, query: query, headers: headers, payloadHash: payloadHash)
        let base = endpoint.absoluteString.hasSuffix("/") ? String(endpoint.absoluteString.dropLast()) : endpoint.absoluteString
        var request = HTTPClientRequest(url: base + path + (query.isEmpty ? "" : "?" + query))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-length", value: String(body.readableBytes))
            request.body = .bytes(body)
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return Response(status: response.status.code, headers: response.headers, body: collected)
    }

    static func transient(_ status: UInt) -> Bool { status >= 500 || status == 429 }

    private func failure(_ response: Response) -> S3Error {
        let xml = String(buffer: response.body)
        let code = S3XML.value("Code", in: xml) ?? "\(response.status)"
        let message = S3XML.value("Message", in: xml) ?? ""
        switch (response.status, code) {
        case (_, "NoSuchBucket"): return .noSuchBucket(location.bucket)
        case (403, "AccessDenied"), (403, "InvalidAccessKeyId"), (403, "SignatureDoesNotMatch"):
            return .accessDenied("\(code): \(message)")
        case (301, _), (_, "AuthorizationHeaderMalformed"), (_, "PermanentRedirect"), (_, "IllegalLocationConstraintException"):
            return .wrongRegion(bucket: location.bucket,
                                region: S3XML.value("Region", in: xml) ?? response.headers.first(name: "x-amz-bucket-region"))
        default: return .unexpected(status: response.status, code: code, message: message)
        }
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters kept).
    static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: out.append(Character(UnicodeScalar(byte)))
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// The few fields of S3's XML answers that are read, found by their tags (no general parser needed).
enum S3XML {
    static func elements(_ tag: String, in xml: String) -> [Substring] {
        var found: [Substring] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(tag)>"), let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex) {
            found.append(rest[open.upperBound..<close.lowerBound])
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func value(_ tag: String, in xml: some StringProtocol) -> String? {
        guard let open = xml.range(of: "<\(tag)>"), let close = xml.range(of: "</\(tag)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return unescape(String(xml[open.upperBound..<close.lowerBound]))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
