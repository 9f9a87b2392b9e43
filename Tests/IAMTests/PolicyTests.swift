@testable import IAM
import Testing

@Suite struct PolicyTests {
    func policy(_ text: String, resource: Bool = false) throws -> PolicyDocument { try PolicyDocument.parse(text, resourcePolicy: resource) }
    let fs1 = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0123456789abcdef0"

    @Test func wildcardsInActionsAndResourcesMatch() throws {
        let p = try policy(#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"elasticfilesystem:Describe*","Resource":"arn:aws:elasticfilesystem:*:*:file-system/fs-0123*"}}"#)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:DescribeFileSystems", resource: fs1, principal: "u")) == .allow)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:describemounttargets", resource: fs1, principal: "u")) == .allow)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:DeleteFileSystem", resource: fs1, principal: "u")) == .implicitDeny)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:DescribeFileSystems",
                                                             resource: fs1.replacingOccurrences(of: "0123", with: "9999"), principal: "u")) == .implicitDeny)
    }

    @Test func anExplicitDenyWinsOverAnyAllow() throws {
        let allowAll = try policy(#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        let denyDelete = try policy(#"{"Statement":[{"Effect":"Deny","Action":["elasticfilesystem:Delete*"],"Resource":"*"}]}"#)
        #expect(PolicyEvaluator.evaluate([allowAll, denyDelete], RequestContext(action: "elasticfilesystem:DeleteFileSystem", resource: fs1, principal: "u")) == .explicitDeny)
        #expect(PolicyEvaluator.evaluate([allowAll, denyDelete], RequestContext(action: "elasticfilesystem:CreateFileSystem", resource: fs1, principal: "u")) == .allow)
        #expect(PolicyEvaluator.evaluate([], RequestContext(action: "elasticfilesystem:CreateFileSystem", resource: fs1, principal: "u")) == .implicitDeny)
    }

    @Test func notActionAndNotResourceInvertTheMatch() throws {
        let p = try policy(#"{"Statement":[{"Effect":"Allow","NotAction":"elasticfilesystem:Delete*","NotResource":"arn:aws:elasticfilesystem:*:*:file-system/fs-secret"}]}"#)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:CreateTags", resource: fs1, principal: "u")) == .allow)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:DeleteTags", resource: fs1, principal: "u")) == .implicitDeny)
        #expect(PolicyEvaluator.evaluate([p], RequestContext(action: "elasticfilesystem:CreateTags",
                                                             resource: "arn:aws:elasticfilesystem:r:a:file-system/fs-secret", principal: "u")) == .implicitDeny)
    }

    @Test func conditionsOnResourceTagsAndBooleans() throws {
        let p = try policy(#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":["blue","green"]},"StringLike":{"aws:ResourceTag/Name":"prod-*"}}}]}"#)
        let blueProd = RequestContext(action: "a", resource: fs1, principal: "u", values: ["aws:ResourceTag/team": ["blue"], "aws:ResourceTag/Name": ["prod-db"]])
        let redProd = RequestContext(action: "a", resource: fs1, principal: "u", values: ["aws:ResourceTag/team": ["red"], "aws:ResourceTag/Name": ["prod-db"]])
        let untagged = RequestContext(action: "a", resource: fs1, principal: "u")
        #expect(PolicyEvaluator.evaluate([p], blueProd) == .allow)
        #expect(PolicyEvaluator.evaluate([p], redProd) == .implicitDeny)
        #expect(PolicyEvaluator.evaluate([p], untagged) == .implicitDeny)
        let secure = try policy(#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#, resource: true)
        #expect(PolicyEvaluator.evaluate([secure], RequestContext(action: "a", resource: fs1, principal: "u", values: ["aws:SecureTransport": ["false"]])) == .explicitDeny)
        #expect(PolicyEvaluator.evaluate([secure], RequestContext(action: "a", resource: fs1, principal: "u", values: ["aws:SecureTransport": ["true"]])) == .implicitDeny)
    }

    @Test func malformedPoliciesAreRejectedWithAReason() {
        #expect(throws: PolicyError.self) { try policy("not json") }
        #expect(throws: PolicyError.self) { try policy(#"{"Statement":[]}"#) }
        #expect(throws: PolicyError.self) { try policy(#"{"Statement":[{"Effect":"Maybe","Action":"*"}]}"#) }
        #expect(throws: PolicyError.self) { try policy(#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#) }
        #expect(throws: PolicyError.self) { try policy(#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Frobnicate":{"a":"b"}}}]}"#) }
        // File system policies need a Principal and elasticfilesystem actions.
        #expect(throws: PolicyError.self) { try policy(#"{"Statement":[{"Effect":"Allow","Action":"elasticfilesystem:ClientMount"}]}"#, resource: true) }
        #expect(throws: PolicyError.self) { try policy(#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#, resource: true) }
        #expect(throws: Never.self) { try policy(#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount"]}]}"#, resource: true) }
    }
}
