import Foundation
import JSONValue
import Synchronization

public struct IdentityError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Users, their access keys and inline policies, in `DATA_DIR/iam.json` (mode 600). The file is the
/// source of truth: `strata iam ...` edits it (atomically) while a server runs, and the server re-reads it
/// when it changes.
public final class IdentityStore: Sendable {
    public struct AccessKey: Codable, Sendable, Hashable {
        public var id: String
        public var secret: String
        public var status: String
    }

    public struct User: Codable, Sendable, Hashable {
        public var name: String
        public var accessKeys: [AccessKey] = []
        public var policies: [String: String] = [:]
    }

    struct Contents: Codable, Sendable {
        var accountId: String
        var users: [String: User] = [:]
    }

    public let path: String
    private struct Loaded { var contents: Contents; var modified: Date? }
    private let state: Mutex<Loaded>

    /// Opens the store, creating it (with a new account id) if missing.
    public init(path: String) throws {
        self.path = path
        if let data = FileManager.default.contents(atPath: path) {
            let contents = try JSONDecoder().decode(Contents.self, from: data)
            state = Mutex(Loaded(contents: contents, modified: Self.modified(path)))
        } else {
            let account = (0..<12).map { _ in String(Int.random(in: 0...9)) }.joined()
            state = Mutex(Loaded(contents: Contents(accountId: account), modified: nil))
            try save()
        }
    }

    public var accountID: String { current().accountId }

    public var isEmpty: Bool { current().users.isEmpty }

    public func userARN(_ name: String) -> String { "arn:aws:iam::\(accountID):user/\(name)" }

    /// The secret and user of an active access key.
    public func lookup(accessKey id: String) -> (secret: String, user: String)? {
        for user in current().users.values {
            if let key = user.accessKeys.first(where: { $0.id == id && $0.status == "Active" }) { return (key.secret, user.name) }
        }
        return nil
    }

    public func policies(of user: String) -> [PolicyDocument] {
        (current().users[user]?.policies.values).map { texts in
            texts.compactMap { try? PolicyDocument.parse($0, resourcePolicy: false) }
        } ?? []
    }

    public func users() -> [User] { current().users.values.sorted { $0.name < $1.name } }

    public func createUser(_ name: String) throws {
        guard name.range(of: "^[A-Za-z0-9+=,.@_-]{1,64}$", options: .regularExpression) != nil else {
            throw IdentityError("invalid user name \(name)")
        }
        try mutate { c in
            guard c.users[name] == nil else { throw IdentityError("user \(name) already exists") }
            c.users[name] = User(name: name)
        }
    }

    public func createAccessKey(for user: String) throws -> AccessKey {
        let key = AccessKey(id: "AKIA" + Self.random(16, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                            secret: Self.random(40, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
                            status: "Active")
        try mutate { c in
            guard c.users[user] != nil else { throw IdentityError("no user \(user)") }
            c.users[user]!.accessKeys.append(key)
        }
        return key
    }

    public func putUserPolicy(user: String, name: String, document: String) throws {
        do { _ = try PolicyDocument.parse(document, resourcePolicy: false) } catch { throw IdentityError(error.message) }
        try mutate { c in
            guard c.users[user] != nil else { throw IdentityError("no user \(user)") }
            c.users[user]!.policies[name] = document
        }
    }

    // MARK: - File

    private func current() -> Contents {
        let onDisk = Self.modified(path)
        return state.withLock { s in
            if onDisk != s.modified, let data = FileManager.default.contents(atPath: path),
               let fresh = try? JSONDecoder().decode(Contents.self, from: data) {
                s = Loaded(contents: fresh, modified: onDisk)
            }
            return s.contents
        }
    }

    private func mutate(_ change: (inout Contents) throws -> Void) throws {
        var contents = current()
        try change(&contents)
        state.withLock { $0.contents = contents }
        try save()
    }

    private func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state.withLock { $0.contents })
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]),
              rename(temporary, path) == 0 else { throw IdentityError("cannot write \(path)") }
        let modified = Self.modified(path)
        state.withLock { $0.modified = modified }
    }

    private static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    static func random(_ count: Int, from alphabet: String) -> String {
        let chars = Array(alphabet)
        var g = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in chars[Int(g.next() % UInt64(chars.count))] })
    }
}
