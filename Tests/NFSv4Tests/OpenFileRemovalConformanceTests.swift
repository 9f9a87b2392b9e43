@testable import NFSv4
import NIOCore
import Testing
import XDR

/// RFC 8881 §18.26: when RENAME (or REMOVE) takes away the last name of a file a client holds open, the open
/// stateid stays usable until CLOSE, and CLOSE answers OK, not STALE.
@Suite struct OpenFileRemovalConformanceTests {
    static func rename(_ old: String, _ new: String) -> Op { .raw(29) { $0.xdrString(old); $0.xdrString(new) } }

    @Test func aFileRenamedOverStaysUsableThroughItsOpenUntilClose() async throws {
        let server = try await TestServer.start()
        let a = try await server.client(), b = try await server.client()
        let (open, fh) = try await a.openFile("target", owner: "a")
        var r = try await a.call([.putfh(fh), .write(open, "held by a")])
        try r.expectOK(22); try r.expectOK(38)
        let (incoming, _) = try await b.openFile("incoming", owner: "b")
        r = try await b.call([.putrootfh, .savefh, .putrootfh, Self.rename("incoming", "target")])
        try r.expectOK(24); try r.expectOK(32); try r.expectOK(24); try r.expectOK(29)
        // a still reads and writes the file it opened, which no name leads to any more.
        r = try await a.call([.putfh(fh), .write(open, offset: 9, "!"), .read(open, count: 100)])
        try r.expectOK(22); try r.expectOK(38); _ = try r.d.u32(); _ = try r.d.u32(); _ = try r.d.u64()
        try r.expectOK(25); _ = try r.d.bool()
        #expect(try r.d.opaque(max: 100) == Array("held by a!".utf8))
        r = try await a.call([.putfh(fh), .close(open)])
        try r.expectOK(22); try r.expectOK(4)
        // After the last close the file is gone; the name holds b's file.
        r = try await a.call([.putfh(fh)])
        #expect(try r.next() == (22, NFSStatus.stale.rawValue))
        r = try await b.call([.putrootfh, .lookup("target"), .getfh])
        try r.expectOK(24); try r.expectOK(15); try r.expectOK(10)
        r = try await b.call([.putrootfh, .lookup("target"), .close(incoming)])
        try r.expectOK(24); try r.expectOK(15); try r.expectOK(4)
        await server.stop()
    }

    @Test func aRemovedOpenFileIsDeletedWhenItsClientsStateEnds() async throws {
        let server = try await TestServer.start(lease: 5)
        let a = try await server.client(), b = try await server.client()
        let (open, fh) = try await a.openFile("removed", owner: "a")
        var r = try await b.call([.putrootfh, .remove("removed")])
        try r.expectOK(24); try r.expectOK(28)
        r = try await a.call([.putfh(fh), .write(open, "still here")])
        try r.expectOK(22); try r.expectOK(38)
        // a never closes: its lease runs out (its last renewal is made older than the lease) and the sweep
        // drops its state, and with it the file.
        server.nfs.state.with { $0.clients[a.clientID]!.lastRenewal -= 6 }
        server.nfs.state.expireClients()
        await server.nfs.settleOpenFiles()
        r = try await b.call([.putfh(fh)])
        #expect(try r.next() == (22, NFSStatus.stale.rawValue))
        await server.stop()
    }
}
