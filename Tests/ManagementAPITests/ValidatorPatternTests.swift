import JSONValue
@testable import ManagementAPI
import Testing

/// Every pattern of the EFS model is enforced: none may fail to compile (it would constrain nothing), and a
/// pattern meant for the whole string matches the whole string.
@Suite struct ValidatorPatternTests {
    static var modelPatterns: Set<String> {
        Set(EFSModel.shapes.values.compactMap { shape -> String? in
            if case .string(_, _, let pattern?, _) = shape { return pattern }
            return nil
        })
    }

    @Test func everyPatternOfTheModelCompiles() throws {
        guard case .success(let compiled) = Validator.compiledPatterns else {
            Issue.record("a model pattern does not compile: \(Validator.compiledPatterns)"); return
        }
        #expect(Set(compiled.keys) == Self.modelPatterns && !compiled.isEmpty)
    }

    @Test func rootDirectoryPathsAreCheckedByTheirPattern() throws {
        let path = try #require(Self.modelPatterns.first { $0.contains("[^$#<>;") })
        for good in ["/", "/a", "/home/user-1", "/a/b/c/d"] { #expect(Validator.matches(good, path), "\(good)") }
        for bad in ["/a$b", "/a;b", "/a|b", "/a*b", "//", "/a//b", "/ok\n..", "/x\n", "a", "/.hidden", "/a/../b", "/a/b/c/d/e"] {
            #expect(!Validator.matches(bad, path), "\(bad.debugDescription)")
        }
    }

    @Test func anchoredPatternsDoNotMatchBeforeATrailingNewline() {
        #expect(Validator.matches("755", "^[0-7]{3,4}$") && !Validator.matches("755\n", "^[0-7]{3,4}$"))
        let fsID = "^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:file-system/fs-[0-9a-f]{8,40}|fs-[0-9a-f]{8,40})$"
        #expect(Validator.matches("fs-0123456789abcdef0", fsID) && !Validator.matches("fs-0123456789abcdef0\n", fsID))
        #expect(Validator.anchored("^a\\$") == "^a\\$")  // an escaped dollar is a character, not the end
    }

    @Test func aPermissionsValueWithATrailingNewlineFailsValidation() {
        let input: JSON = ["ClientToken": "t", "FileSystemId": "fs-0123456789abcdef0",
                           "RootDirectory": ["Path": "/a", "CreationInfo": ["OwnerUid": 1, "OwnerGid": 1, "Permissions": "755\n"]]]
        #expect(Validator.validate(input, shape: "CreateAccessPointRequest")?.contains("rootDirectory.creationInfo.permissions") == true)
    }
}
