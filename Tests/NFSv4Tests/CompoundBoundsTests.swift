import FileSystem
@testable import NFSv4
import NIOCore
import Testing
import XDR

/// What bounds a COMPOUND: the session's limits in NFSv4.1 (a failed SEQUENCE leaves its slot alone), fixed
/// ones in NFSv4.0, where nothing else would stop a client making the server build any reply it likes.
@Suite struct CompoundBoundsTests {
    @Test func aSequenceRefusedForTooManyOperationsLeavesItsSlotForTheRetry() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()  // its session allows 16 operations
        let next = c.slotSequence + 1
        var r = try await c.rawCompound([.sequence(c.session, next)] + Array(repeating: .putrootfh, count: 16))
        #expect(r.status == NFSStatus.tooManyOps.rawValue && r.count == 1)
        // The corrected request with the same sequence id runs: the slot did not move.
        r = try await c.rawCompound([.sequence(c.session, next), .putrootfh])
        #expect(r.status == 0 && r.count == 2)
        // And it is now the slot's cached reply for a retransmission.
        let replay = try await c.rawCompound([.sequence(c.session, next), .putrootfh])
        #expect(replay.replyBytes == r.replyBytes)
        await server.stop()
    }

    @Test func anNFSv40CompoundIsAnsweredUpToItsBoundAndThenResource() async throws {
        let server = try await TestServer.start()
        let c = NFSTestClient(try await server.connection())
        var r = try await c.rawCompound(Array(repeating: .putrootfh, count: 100_000), minor: 0)
        let bound = CompoundProcessor.maxOperations40
        #expect(r.status == NFSStatus.resource.rawValue && Int(r.count) == bound + 1)
        for _ in 0..<bound { try r.expectOK(24) }
        #expect(try r.next() == (24, NFSStatus.resource.rawValue))
        // Within the bound, the same compound is answered whole.
        r = try await c.rawCompound(Array(repeating: .putrootfh, count: bound), minor: 0)
        #expect(r.status == 0 && Int(r.count) == bound)
        await server.stop()
    }

    /// A file of `bytes` bytes in the root; returns its handle.
    static func file(_ server: TestServer, _ name: String, bytes: Int) async throws -> [UInt8] {
        let file = try await server.fs.create(server.fs.root, Name(name), .regular, SetAttributes(), mode: .guarded, as: .root)
        _ = try await server.fs.write(file.attributes.id, offset: 0, ByteBuffer(repeating: 7, count: bytes), stable: .fileSync)
        return server.handle(file.attributes.id)
    }

    @Test func aReplyPastItsBoundStopsAtTheOperationThatCrossedIt() async throws {
        let server = try await TestServer.start()
        let fh = try await Self.file(server, "big", bytes: 700_000)
        let read = Op.read(StateID.anonymous, offset: 0, count: 700_000)
        // NFSv4.1: the session's 1 MiB response size; the second READ would pass it.
        let c = try await server.client()
        var r = try await c.call([.putfh(fh), read, read])
        #expect(r.status == NFSStatus.repTooBig.rawValue && r.count == 4)
        try r.expectOK(22)
        try r.expectOK(25)
        _ = try r.d.bool()
        #expect(try r.d.opaque(max: 1 << 20).count == 700_000)
        #expect(try r.next() == (25, NFSStatus.repTooBig.rawValue))
        // NFSv4.0: the same at its fixed bound (a little over 1 MiB), as RESOURCE.
        let v40 = NFSTestClient(try await server.connection())
        r = try await v40.rawCompound([.putfh(fh), read], minor: 0)
        #expect(r.status == 0 && r.count == 2)
        r = try await v40.rawCompound([.putfh(fh), read, read], minor: 0)
        #expect(r.status == NFSStatus.resource.rawValue && r.count == 3)
        await server.stop()
    }

    @Test func aRequestOverTheSessionsSizeIsReqTooBigAndLeavesTheSlotAlone() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let (open, fh) = try await c.openFile("req-too-big")
        // The session allows 1 MiB requests (the test client asked for that): a 1 MiB write with its
        // operations' headers is past it.
        let big = String(repeating: "x", count: 1 << 20)
        var r = try await c.rawCompound([.sequence(c.session, c.slotSequence + 1), .putfh(fh), .write(open, big)])
        #expect(r.status == NFSStatus.reqTooBig.rawValue && r.count == 1)
        #expect(try r.next() == (53, NFSStatus.reqTooBig.rawValue))
        // The slot did not move: the same sequence id with a smaller request runs.
        r = try await c.call([.putfh(fh), .write(open, "small")])
        try r.expectOK(22); try r.expectOK(38)
        await server.stop()
    }

    @Test func aReplyToCacheOverTheCachedSizeIsRepTooBigToCache() async throws {
        let server = try await TestServer.start()
        let fh = try await Self.file(server, "cached", bytes: 20_000)
        let c = try await server.client()  // ca_maxresponsesize_cached 8 KiB
        var r = try await c.call([.putfh(fh), .read(.anonymous, count: 20_000)], cache: true)
        #expect(r.status == NFSStatus.repTooBigToCache.rawValue && r.count == 3)
        try r.expectOK(22)
        #expect(try r.next() == (25, NFSStatus.repTooBigToCache.rawValue))
        // Uncached, the same READ is answered whole; cached, a small one is.
        r = try await c.call([.putfh(fh), .read(.anonymous, count: 20_000)])
        try r.expectOK(22); try r.expectOK(25)
        r = try await c.call([.putfh(fh), .read(.anonymous, count: 100)], cache: true)
        try r.expectOK(22); try r.expectOK(25)
        await server.stop()
    }
}
