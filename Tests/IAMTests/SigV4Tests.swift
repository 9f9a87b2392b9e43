import Foundation
@testable import IAM
import Testing

/// AWS's published Signature Version 4 test vectors (the signature-v4 test suite and the S3 GET example).
@Suite struct SigV4Tests {
    let suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    let scope = "20150830/us-east-1/service/aws4_request"

    func suiteRequest(_ method: String, _ query: String = "") -> SignedRequest {
        SignedRequest(method: method, path: "/", query: query,
                      headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")], body: [])
    }

    @Test func getVanilla() {
        let sig = SigV4.signature(for: suiteRequest("GET"), signedHeaders: ["host", "x-amz-date"], amzDate: "20150830T123600Z",
                                  scope: scope, secretKey: suiteSecret)
        #expect(sig == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func postVanilla() {
        let sig = SigV4.signature(for: suiteRequest("POST"), signedHeaders: ["host", "x-amz-date"], amzDate: "20150830T123600Z",
                                  scope: scope, secretKey: suiteSecret)
        #expect(sig == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        let sig = SigV4.signature(for: suiteRequest("GET", "Param2=value2&Param1=value1"), signedHeaders: ["host", "x-amz-date"],
                                  amzDate: "20150830T123600Z", scope: scope, secretKey: suiteSecret)
        #expect(sig == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func theS3GetObjectExampleFromTheDocumentation() {
        // Signed with an S3-style path (S3 does not double-encode; this path has nothing to encode).
        let request = SignedRequest(method: "GET", path: "/test.txt", query: "", headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("x-amz-date", "20130524T000000Z"),
        ], body: [])
        let sig = SigV4.signature(for: request, signedHeaders: ["host", "range", "x-amz-content-sha256", "x-amz-date"],
                                  amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request",
                                  secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        #expect(sig == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func signed(_ date: Date, region: String = "us-east-1", secret: String = "s3cr3t", tamper: Bool = false) -> SignedRequest {
        let amz = SigV4.format(date)
        var r = SignedRequest(method: "POST", path: "/2015-02-01/file-systems", query: "",
                              headers: [("host", "127.0.0.1:8049"), ("x-amz-date", amz)], body: Array("{\"CreationToken\":\"a\"}".utf8))
        let scope = "\(amz.prefix(8))/\(region)/elasticfilesystem/aws4_request"
        let sig = SigV4.signature(for: r, signedHeaders: ["host", "x-amz-date"], amzDate: amz, scope: scope, secretKey: secret)
        r.headers.append(("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/\(scope), SignedHeaders=host;x-amz-date, Signature=\(sig)"))
        if tamper { r.body = Array("{\"CreationToken\":\"b\"}".utf8) }
        return r
    }

    func verify(_ r: SignedRequest, now: Date) throws(SigV4Failure) -> String {
        try SigV4.verify(r, region: "us-east-1", service: "elasticfilesystem", now: now) { $0 == "AKIDTEST" ? "s3cr3t" : nil }
    }

    @Test func verificationAcceptsTheRightSignatureAndRefusesEveryKindOfWrongOne() throws {
        let now = Date()
        #expect(try verify(signed(now), now: now) == "AKIDTEST")
        #expect(throws: SigV4Failure.signatureMismatch) { try verify(signed(now, tamper: true), now: now) }
        #expect(throws: SigV4Failure.signatureMismatch) { try verify(signed(now, secret: "wrong"), now: now) }
        #expect(throws: SigV4Failure.self) { try verify(signed(now, region: "eu-west-1"), now: now) }
        #expect(throws: SigV4Failure.self) { try verify(signed(now.addingTimeInterval(-301)), now: now) }
        #expect(try verify(signed(now.addingTimeInterval(-290)), now: now) == "AKIDTEST")
        var unsigned = signed(now)
        unsigned.headers.removeAll { $0.name == "Authorization" }
        #expect(throws: SigV4Failure.missingAuthentication) { try verify(unsigned, now: now) }
        var unknown = signed(now)
        unknown.headers = unknown.headers.map { $0.name == "Authorization" ? ($0.name, $0.value.replacingOccurrences(of: "AKIDTEST", with: "AKIDOTHER")) : $0 }
        #expect(throws: SigV4Failure.unknownAccessKey) { try verify(unknown, now: now) }
    }

    @Test func pathsAndQueriesAreCanonicalisedAsTheSDKsDo() {
        #expect(SigV4.canonicalPath("/2015-02-01/tags/fs-1/") == "/2015-02-01/tags/fs-1/")
        #expect(SigV4.canonicalPath("/a/./b/../c//d") == "/a/c/d")
        #expect(SigV4.canonicalPath("/a%20b") == "/a%2520b")
        #expect(SigV4.canonicalQuery("tagKeys=b&tagKeys=a&MaxItems=2") == "MaxItems=2&tagKeys=a&tagKeys=b")
        #expect(SigV4.canonicalQuery("k=a%20b") == "k=a%20b")
    }
}
