import FileSystem
@testable import NFSv4
import NIOCore
import Testing
import XDR

/// Every operation that can change a file system, proved to pass the export gate: refused under a
/// read-only policy (ClientWrite denied) with nothing changed, and kept inside an access point's root.
@Suite struct ExportGateTests {
    /// A compound that changes the starting directory `start` (which holds file "f" and directory "d"), and
    /// the position of the operation under test in it (the last unless said).
    struct Scenario: CustomTestStringConvertible {
        let name: String
        var tested: Int?
        let ops: @Sendable (_ start: [UInt8]) -> [Op]
        init(name: String, tested: Int? = nil, _ ops: @escaping @Sendable (_ start: [UInt8]) -> [Op]) {
            self.name = name; self.tested = tested; self.ops = ops
        }
        var testDescription: String { name }
    }

    enum Effect {
        case changes([Scenario])
        case changesNothing
    }

    static let anonymous = StateID.anonymous

    /// Each operation and what it may do. An operation missing here fails `everyOperationIsClassified`: a new
    /// operation must be placed in this table, and one that changes data must bring a scenario the gate
    /// is then proved on.
    static let table: [OpCode: Effect] = {
        var table: [OpCode: Effect] = [:]
        for op in OpCode.allCases { table[op] = .changesNothing }
        table[.create] = .changes([Scenario(name: "CREATE a directory") { [.putfh($0), .mkdir("new")] }])
        table[.open] = .changes([
            Scenario(name: "OPEN creating a file") { [.putfh($0), .open("new", owner: "o", access: 1, create: true)] },
            Scenario(name: "OPEN an existing file for writing", tested: 1) {
                [.putfh($0), .open("f", owner: "o", access: 2), .write(.current, "changed", stable: 2)]
            },
        ])
        table[.write] = .changes([Scenario(name: "WRITE with the anonymous stateid") {
            [.putfh($0), .lookup("f"), .write(anonymous, "changed", stable: 2)]
        }])
        table[.setattr] = .changes([
            Scenario(name: "SETATTR of the mode") { [.putfh($0), .lookup("f"), .setattr(anonymous, mode: 0o600)] },
            Scenario(name: "SETATTR of the size") { [.putfh($0), .lookup("f"), .setattr(anonymous, size: 1)] },
        ])
        table[.remove] = .changes([
            Scenario(name: "REMOVE a file") { [.putfh($0), .remove("f")] },
            Scenario(name: "REMOVE a directory") { [.putfh($0), .remove("d")] },
        ])
        table[.rename] = .changes([Scenario(name: "RENAME a file") { [.putfh($0), .savefh, .rename("f", "g")] }])
        table[.link] = .changes([Scenario(name: "LINK a file") {
            [.putfh($0), .lookup("f"), .savefh, .putfh($0), .link("h")]
        }])
        return table
    }()

    static var scenarios: [Scenario] {
        table.values.flatMap { effect -> [Scenario] in
            if case .changes(let list) = effect { return list }
            return []
        }.sorted { $0.name < $1.name }
    }

    static let apID = "fsap-0123456789abcdef0"
    static let apUser: UInt32 = 1001

    @Test func everyOperationIsClassified() {
        for op in OpCode.allCases { #expect(Self.table[op] != nil, "\(op) is not in ExportGateTests.table") }
        #expect(Self.table.count == OpCode.allCases.count)
    }

    @Test(arguments: scenarios)
    func aReadOnlyPolicyRefusesTheChangeAndNothingChanges(_ scenario: Scenario) async throws {
        let export = FakeExport()
        let server = try await TestServer.start(export: export)
        let root = try await makeFixture(server.fs, in: server.fs.root, owner: 0)
        let before = try await snapshot(server.fs, server.fs.root)
        export.access.withLock { $0 = ClientAccess(mount: true, write: false, rootAccess: true) }
        let c = try await server.client()
        let ops = scenario.ops(server.handle(root))
        let r = try await c.call(ops)
        // Refused at the operation under test (SEQUENCE is the first result).
        #expect(r.status == NFSStatus.rofs.rawValue && Int(r.count) == (scenario.tested ?? ops.count - 1) + 2, "\(scenario.name)")
        #expect(try await snapshot(server.fs, server.fs.root) == before, "\(scenario.name) changed the file system")
        await server.stop()
    }

    @Test(arguments: scenarios)
    func throughAnAccessPointTheChangeStaysInsideItsRoot(_ scenario: Scenario) async throws {
        let export = FakeExport()
        export.accessPoints.withLock {
            $0[Self.apID] = AccessPointExport(id: Self.apID, arn: "arn:aws:elasticfilesystem:us-east-1:1:access-point/\(Self.apID)",
                                              posixUser: Caller(uid: Self.apUser, gid: Self.apUser), rootPath: ["export", "app"],
                                              creation: (Self.apUser, Self.apUser, 0o755))
        }
        let server = try await TestServer.start(export: export)
        // The same names outside the access point, where the client must not reach.
        _ = try await makeFixture(server.fs, in: server.fs.root, owner: Self.apUser)
        let c = try await server.client()
        var r = try await c.call([.putrootfh, .lookup(Self.apID), .getfh])
        try r.expectOK(24); try r.expectOK(15); try r.expectOK(10)
        let apRoot = try r.d.opaque(max: 128)
        let export1 = try await server.fs.lookup(server.fs.root, Name("export"), as: .root)
        let apDir = try await server.fs.lookup(export1.id, Name("app"), as: .root)
        _ = try await makeFixture(server.fs, in: apDir.id, owner: Self.apUser)
        // Climbing out first does not work either.
        r = try await c.call([.putfh(apRoot), .lookupp])
        try r.expectOK(22)
        #expect(try r.next().status == NFSStatus.noent.rawValue)

        let outside = try await snapshot(server.fs, server.fs.root, skipping: apDir.id)
        let inside = try await snapshot(server.fs, apDir.id)
        r = try await c.call(scenario.ops(apRoot))
        #expect(r.status == 0, "\(scenario.name)")
        #expect(try await snapshot(server.fs, server.fs.root, skipping: apDir.id) == outside, "\(scenario.name) reached outside")
        #expect(try await snapshot(server.fs, apDir.id) != inside, "\(scenario.name) changed nothing inside")
        await server.stop()
    }

    /// "f" (a file of 5 bytes, writable by all) and "d" (an empty directory) in `dir`, owned by `owner`.
    func makeFixture(_ fs: StrataFileSystem, in dir: InodeID, owner: UInt32) async throws -> InodeID {
        let f = try await fs.create(dir, Name("f"), .regular, SetAttributes(mode: 0o666, uid: owner, gid: owner), mode: .guarded, as: .root)
        _ = try await fs.write(f.attributes.id, offset: 0, ByteBuffer(string: "hello"), stable: .fileSync)
        _ = try await fs.create(dir, Name("d"), .directory, SetAttributes(mode: 0o777, uid: owner, gid: owner), mode: .guarded, as: .root)
        return dir
    }

    /// Every path below `dir` with what a user would compare (type, mode, owner, size, links, content).
    func snapshot(_ fs: StrataFileSystem, _ dir: InodeID, skipping skipped: InodeID? = nil, prefix: String = "") async throws -> [String: String] {
        var out: [String: String] = [:]
        let page = try await fs.readdir(dir, after: 0, limit: 10_000, as: .root)
        for entry in page.entries where entry.attributes.id != skipped {
            let a = entry.attributes, path = prefix + "/" + entry.name.description
            var line = "\(a.type) \(String(a.mode, radix: 8)) \(a.uid) \(a.size) \(a.nlink)"
            if a.type == .regular {
                let (data, _) = try await fs.read(a.id, offset: 0, count: 4096)
                line += " " + String(buffer: data)
            }
            out[path] = line
            if a.type == .directory { out.merge(try await snapshot(fs, a.id, skipping: skipped, prefix: path)) { $1 } }
        }
        return out
    }
}

extension Op {
    static func rename(_ old: String, _ new: String) -> Op { .raw(29) { $0.xdrString(old); $0.xdrString(new) } }
    static func link(_ name: String) -> Op { .raw(11) { $0.xdrString(name) } }
    static func setattr(_ id: StateID, mode: UInt32? = nil, size: UInt64? = nil) -> Op {
        .raw(34) { b in
            id.encode(into: &b)
            var values = ByteBuffer()
            var bits: [Int] = []
            if let size { bits.append(Attr.size); values.xdrU64(size) }
            if let mode { bits.append(Attr.mode); values.xdrU32(mode) }
            AttributeBitmap(bits).encode(into: &b)
            b.xdrOpaque(values)
        }
    }
}
