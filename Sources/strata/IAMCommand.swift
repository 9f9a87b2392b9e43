import ArgumentParser
import Foundation
import IAM

/// `strata iam ...`: users, access keys and identity policies in DATA_DIR/iam.json. Safe while the server
/// runs: it re-reads the file when it changes.
struct IAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iam", abstract: "Manage API users, access keys and their IAM policies.",
        subcommands: [CreateUser.self, CreateAccessKey.self, PutUserPolicy.self, ListUsers.self])

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The data directory of the store.")
        var dataDir: String = "./strata-data"
        func store() throws -> IdentityStore {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            return try IdentityStore(path: dataDir + "/iam.json")
        }
    }

    struct CreateUser: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-user")
        @OptionGroup var options: Options
        @Argument var name: String
        func run() throws {
            let store = try options.store()
            try store.createUser(name)
            print("created user \(name) (\(store.userARN(name)))")
        }
    }

    struct CreateAccessKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-access-key")
        @OptionGroup var options: Options
        @Argument var user: String
        func run() throws {
            let key = try options.store().createAccessKey(for: user)
            print("AccessKeyId: \(key.id)")
            print("SecretAccessKey: \(key.secret)")
        }
    }

    struct PutUserPolicy: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put-user-policy")
        @OptionGroup var options: Options
        @Argument var user: String
        @Argument var policyName: String
        @Argument(help: "A file with the policy document (JSON), or - for standard input.")
        var document: String
        func run() throws {
            let text: String
            if document == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let contents = try? String(contentsOfFile: document, encoding: .utf8) else {
                    throw ValidationError("cannot read \(document)")
                }
                text = contents
            }
            do { try options.store().putUserPolicy(user: user, name: policyName, document: text) }
            catch let error as IdentityError { throw ValidationError(error.message) }
            print("put policy \(policyName) on \(user)")
        }
    }

    struct ListUsers: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-users")
        @OptionGroup var options: Options
        func run() throws {
            for user in try options.store().users() {
                print("\(user.name)\tkeys: \(user.accessKeys.map(\.id).joined(separator: ","))\tpolicies: \(user.policies.keys.sorted().joined(separator: ","))")
            }
        }
    }
}
