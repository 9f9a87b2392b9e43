import BlockStore
import Foundation
import NIOCore
import S3Blocks
import Testing

/// The engines the conformance suite runs on: the local directory always, and S3 when a server is given
/// (scripts/test starts SeaweedFS and sets STRATA_TEST_S3_ENDPOINT, _BUCKET, and the AWS_* keys).
enum BlockEngine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case local, s3

    static var available: [BlockEngine] { S3Target.fromEnvironment == nil ? [.local] : [.local, .s3] }

    var testDescription: String { rawValue }

    /// A store of its own (a fresh directory, or a fresh prefix in the bucket, so `list` sees only it).
    func make(multipartThreshold: Int = 16 << 20) throws -> any BlockStore {
        switch self {
        case .local:
            return try LocalBlockStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID())").path)
        case .s3:
            let target = S3Target.fromEnvironment!
            var location = target.location
            location.prefix = "conformance-\(UUID())/"
            return S3BlockStore(location: location, credentials: target.credentials, multipartThreshold: multipartThreshold,
                                partSize: 5 << 20)
        }
    }
}

struct S3Target {
    var location: S3Location
    var credentials: S3Credentials

    static var fromEnvironment: S3Target? {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["STRATA_TEST_S3_ENDPOINT"].flatMap(URL.init(string:)), let bucket = env["STRATA_TEST_S3_BUCKET"],
              let credentials = try? S3Credentials.fromEnvironment() else { return nil }
        return S3Target(location: S3Location(endpoint: endpoint, bucket: bucket), credentials: credentials)
    }
}

@Suite struct BlockStoreConformanceTests {
    func bytes(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    @Test(arguments: BlockEngine.available)
    func putThenGetReturnsTheSameBytesWholeAndInRanges(engine: BlockEngine) async throws {
        let store = try engine.make()
        let key = BlockKey.random()
        try await store.put(key, parts: [bytes("hello, "), bytes("block")], priority: .foreground)
        #expect(try await store.get(key, range: nil) == bytes("hello, block"))
        #expect(try await store.get(key, range: 7..<12) == bytes("block"))
        #expect(try await store.get(key, range: 7..<100) == bytes("block"), "a range past the end is cut short")
        #expect(try await store.get(key, range: 50..<60) == ByteBuffer(), "a range wholly past the end is empty")
        await #expect(throws: BlockStoreError.notFound(key)) { try await store.delete([key]); _ = try await store.get(key, range: nil) }
    }

    @Test(arguments: BlockEngine.available)
    func listReportsEveryBlockWithItsSizeAndDeleteIgnoresMissingOnes(engine: BlockEngine) async throws {
        let store = try engine.make()
        var expected: Set<BlockInfo> = []
        for n in 0..<40 {
            let key = BlockKey.random()
            try await store.put(key, ByteBuffer(repeating: 7, count: n * 100))
            expected.insert(BlockInfo(key: key, size: n * 100))
        }
        #expect(Set(try await store.list()) == expected)
        let gone = Array(expected.prefix(10))
        try await store.delete(gone.map(\.key) + [BlockKey.random()])
        #expect(Set(try await store.list()) == expected.subtracting(gone))
    }

    @Test(arguments: BlockEngine.available)
    func aStagedBlockIsThereOnceSynced(engine: BlockEngine) async throws {
        let store = try engine.make()
        let key = BlockKey.random()
        try await store.stage(key, parts: [ByteBuffer(repeating: 3, count: 300 << 10), bytes("tail")], priority: .background)
        try await store.sync([key])
        let back = try await store.get(key, range: (300 << 10)..<((300 << 10) + 4))
        #expect(back == bytes("tail"))
    }

    @Test(arguments: BlockEngine.available)
    func aLargeBlockComesBackWhole(engine: BlockEngine) async throws {
        // Over the S3 engine's multipart threshold (set low here): it goes up in 5 MiB parts.
        let store = try engine.make(multipartThreshold: 6 << 20)
        var data = ByteBuffer()
        for i in 0..<(12 << 20) / 4 { data.writeInteger(UInt32(truncatingIfNeeded: i &* 2_654_435_761)) }
        let key = BlockKey.random()
        try await store.put(key, parts: [data.getSlice(at: 0, length: 7 << 20)!, data.getSlice(at: 7 << 20, length: 5 << 20)!],
                            priority: .foreground)
        #expect(try await store.get(key, range: nil) == data)
        #expect(try await store.get(key, range: (6 << 20)..<((6 << 20) + 8)) == data.getSlice(at: 6 << 20, length: 8)!)
        #expect(try await store.list() == [BlockInfo(key: key, size: 12 << 20)])
    }
}

/// What the S3 engine says when it cannot work: one clear error naming the cause.
@Suite struct S3ErrorTests {
    @Test(.enabled(if: S3Target.fromEnvironment != nil))
    func wrongCredentialsAndAMissingBucketAreNamed() async throws {
        let target = S3Target.fromEnvironment!
        let wrongKey = S3BlockStore(location: target.location, credentials: S3Credentials(accessKeyID: target.credentials.accessKeyID,
                                                                                           secretAccessKey: "not-the-secret"))
        await #expect { try await wrongKey.verify() } throws: { error in
            guard case .accessDenied = error as? S3Error else { return false }
            return true
        }
        var missing = target.location
        missing.bucket = "no-such-bucket-\(UInt32.random(in: 0...UInt32.max))"
        let noBucket = S3BlockStore(location: missing, credentials: target.credentials)
        await #expect(throws: S3Error.noSuchBucket(missing.bucket)) { try await noBucket.verify() }
    }

    @Test func anUnreachableEndpointIsSaidAfterItsRetries() async throws {
        let store = S3BlockStore(location: S3Location(endpoint: URL(string: "http://127.0.0.1:9")!, bucket: "b"),
                                 credentials: S3Credentials(accessKeyID: "k", secretAccessKey: "s"))
        await #expect { try await store.verify() } throws: { error in
            guard case .unreachable = error as? S3Error else { return false }
            return true
        }
    }

    @Test func locationsParseFromTheirURLForm() throws {
        let location = try S3Location(parsing: "s3://strata-blocks?endpoint=http://127.0.0.1:8333&region=eu-west-1")
        #expect(location.bucket == "strata-blocks" && location.region == "eu-west-1" && location.endpoint.port == 8333)
        #expect(try S3Location(parsing: "s3://b").endpoint.absoluteString == "https://s3.us-east-1.amazonaws.com")
        #expect(throws: S3Error.self) { try S3Location(parsing: "http://not-s3") }
        #expect(throws: S3Error.self) { try S3Location(parsing: "s3://b?endpoint=ftp://x") }
    }

    @Test func credentialsComeFromTheEnvironmentOrTheSharedFile() throws {
        #expect(try S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]) == S3Credentials(accessKeyID: "a", secretAccessKey: "b"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID())").path
        try "[default]\naws_access_key_id = x\naws_secret_access_key = y\n[other]\naws_access_key_id = p\naws_secret_access_key = q\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try S3Credentials.fromEnvironment(["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "other"]).accessKeyID == "p")
        #expect(throws: S3Error.self) { try S3Credentials.fromEnvironment(["AWS_SHARED_CREDENTIALS_FILE": file + ".missing"]) }
    }
}
