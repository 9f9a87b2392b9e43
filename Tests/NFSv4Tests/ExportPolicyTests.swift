import FileSystem
import MetadataStore
@testable import NFSv4
import NIOCore
import Synchronization
import Testing
import XDR

/// A stand-in for the control plane (this suite tests the NFS layer alone).
final class FakeExport: NFSExportPolicy {
    let accessPoints = Mutex<[String: AccessPointExport]>([:])
    let access = Mutex(ClientAccess.full)
    let lastARN = Mutex<String?>(nil)
    func accessPoint(_ id: String, fileSystem: Int64) async -> AccessPointExport? { accessPoints.withLock { $0[id] } }
    func clientAccess(fileSystem: Int64, accessPointARN: String?) async -> ClientAccess {
        lastARN.withLock { $0 = accessPointARN }
        return access.withLock { $0 }
    }
}

@Suite struct ExportPolicyTests {
    static let apID = "fsap-0123456789abcdef0"

    func setUp(creation: Bool = true) async throws -> (TestServer, FakeExport) {
        let export = FakeExport()
        export.accessPoints.withLock {
            $0[Self.apID] = AccessPointExport(id: Self.apID, arn: "arn:aws:elasticfilesystem:us-east-1:1:access-point/\(Self.apID)",
                                              posixUser: Caller(uid: 1001, gid: 1001), rootPath: ["export", "app"],
                                              creation: creation ? (1001, 1001, 0o750) : nil)
        }
        return (try await TestServer.start(export: export), export)
    }

    func enterAccessPoint(_ c: NFSTestClient) async throws -> (status: UInt32, handle: [UInt8]?) {
        var r = try await c.call([.putrootfh, .lookup(Self.apID), .getfh])
        try r.expectOK(24)
        let (_, status) = try r.next()
        guard status == 0 else { return (status, nil) }
        try r.expectOK(10)
        return (0, try r.d.opaque(max: 128))
    }

    @Test func anAccessPointRootIsCreatedOnFirstUseAndItsIdentityReplacesTheClients() async throws {
        let (server, _) = try await setUp()
        let c = try await server.client(uid: 0)
        let (status, apRoot) = try await enterAccessPoint(c)
        #expect(status == 0)
        let export = try await server.fs.lookup(server.fs.root, Name("export"), as: .root)
        let root = try await server.fs.lookup(export.id, Name("app"), as: .root)
        #expect(root.uid == 1001 && root.gid == 1001 && root.mode == 0o750)
        // A file created as root through the access point belongs to the access point's user.
        var r = try await c.call([.putfh(apRoot!), .open("made-by-root", owner: "o", create: true), .getfh])
        try r.expectOK(22); try r.expectOK(18); _ = try r.stateID(); try r.skipOpenRest(); try r.expectOK(10)
        let made = try await server.fs.lookup(root.id, Name("made-by-root"), as: .root)
        #expect(made.uid == 1001 && made.gid == 1001)
        // LOOKUPP stops at the access point's root.
        r = try await c.call([.putfh(apRoot!), .lookupp])
        try r.expectOK(22)
        #expect(try r.next() == (16, NFSStatus.noent.rawValue))
        await server.stop()
    }

    @Test func withoutCreationInfoAMissingRootFailsTheMount() async throws {
        let (server, _) = try await setUp(creation: false)
        let c = try await server.client()
        #expect(try await enterAccessPoint(c).status == NFSStatus.noent.rawValue)
        await server.stop()
    }

    @Test func handlesCannotBeForgedToEscapeAnAccessPoint() async throws {
        let (server, _) = try await setUp()
        let c = try await server.client()
        let (_, apRoot) = try await enterAccessPoint(c)
        var forged = apRoot!
        forged[17] ^= 1  // another inode, same access point, MAC now wrong
        var r = try await c.call([.putfh(forged)])
        #expect(try r.next() == (22, NFSStatus.badhandle.rawValue))
        var stripped = apRoot!
        stripped[1] = 0  // claim "no access point"
        r = try await c.call([.putfh(stripped)])
        #expect(try r.next() == (22, NFSStatus.badhandle.rawValue))
        await server.stop()
    }

    @Test func policiesDenyMountingWritingAndRootAccess() async throws {
        let (server, export) = try await setUp()
        let c = try await server.client(uid: 0)
        let (open, fh) = try await c.openFile("before-policy")
        _ = try await c.call([.putfh(fh), .close(open)])
        export.access.withLock { $0 = ClientAccess(mount: true, write: false, rootAccess: false) }
        // A new compound re-reads the policy: writes are refused, reads still work.
        var r = try await c.call([.putrootfh, .open("blocked", owner: "o", create: true)])
        try r.expectOK(24)
        #expect(try r.next() == (18, NFSStatus.rofs.rawValue))
        r = try await c.call([.putrootfh, .remove("before-policy")])
        try r.expectOK(24)
        #expect(try r.next() == (28, NFSStatus.rofs.rawValue))
        r = try await c.call([.putrootfh, .lookup("before-policy"), .getattr([Attr.size])])
        try r.expectOK(24); try r.expectOK(15); try r.expectOK(9)
        // Root is squashed to nobody: a 0700 root-owned directory is closed to it.
        _ = try await server.fs.create(server.fs.root, Name("private"), .directory, SetAttributes(mode: 0o700), mode: .guarded, as: .root)
        r = try await c.call([.putrootfh, .lookup("private"), .raw(26) { b in
            b.xdrU64(0); b.xdrFixedOpaque([UInt8](repeating: 0, count: 8)); b.xdrU32(4096); b.xdrU32(8192); AttributeBitmap([1]).encode(into: &b) }])
        try r.expectOK(24); try r.expectOK(15)
        #expect(try r.next() == (26, NFSStatus.access.rawValue))
        export.access.withLock { $0 = ClientAccess(mount: false, write: false, rootAccess: false) }
        r = try await c.call([.putrootfh])
        #expect(try r.next() == (24, NFSStatus.access.rawValue))
        // The access point's ARN is what the policy is asked about inside it.
        export.access.withLock { $0 = .full }
        _ = try await enterAccessPoint(c)
        #expect(export.lastARN.withLock { $0 }?.hasSuffix(Self.apID) == true)
        await server.stop()
    }
}
