@testable import NFSv4
import NIOCore
import NIOPosix
@testable import ONCRPC
import Testing
import XDR

/// The RPC layer answers every acceptable and unacceptable call as RFC 5531 says, and survives bad framing.
@Suite struct RPCLayerTests {
    @Test func theNullProcedureAnswersWithAnEmptySuccess() async throws {
        let server = try await TestServer.start()
        let c = try await server.connection()
        let reply = try ParsedReply(try await c.call(procedure: 0, arguments: ByteBuffer()))
        #expect(reply.accepted && reply.stat == 0 && reply.body.isAtEnd)
        await server.stop()
    }

    @Test func unknownProgramsVersionsAndProceduresGetTheirRPCErrors() async throws {
        let server = try await TestServer.start()
        let c = try await server.connection()
        let program = try ParsedReply(try await c.call(program: 100_005, procedure: 0, arguments: ByteBuffer()))
        #expect(program.accepted && program.stat == 1)  // PROG_UNAVAIL
        let version = try ParsedReply(try await c.call(version: 3, procedure: 0, arguments: ByteBuffer()))
        #expect(version.accepted && version.stat == 2 && version.detail == [4, 4])  // PROG_MISMATCH 4..4
        let procedure = try ParsedReply(try await c.call(procedure: 7, arguments: ByteBuffer()))
        #expect(procedure.accepted && procedure.stat == 3)  // PROC_UNAVAIL
        await server.stop()
    }

    @Test func otherRPCVersionsAndCredentialFlavorsAreDenied() async throws {
        let server = try await TestServer.start()
        let c = try await server.connection()
        var v3 = ByteBuffer()
        v3.xdrU32(77); v3.xdrU32(0); v3.xdrU32(3); v3.xdrU32(100_003); v3.xdrU32(4); v3.xdrU32(0)
        v3.xdrU32(0); v3.xdrU32(0); v3.xdrU32(0); v3.xdrU32(0)
        let mismatch = try ParsedReply(try await c.send(record: v3, expecting: 77))
        #expect(!mismatch.accepted && mismatch.stat == 0 && mismatch.detail == [2, 2])  // RPC_MISMATCH 2..2
        var gss = ByteBuffer()
        gss.xdrU32(78); gss.xdrU32(0); gss.xdrU32(2); gss.xdrU32(100_003); gss.xdrU32(4); gss.xdrU32(0)
        gss.xdrU32(6); gss.xdrOpaque([1, 2, 3, 4]); gss.xdrU32(0); gss.xdrU32(0)
        let denied = try ParsedReply(try await c.send(record: gss, expecting: 78))
        #expect(!denied.accepted && denied.stat == 1 && denied.detail == [1])  // AUTH_ERROR, AUTH_BADCRED
        var badSys = ByteBuffer()
        badSys.xdrU32(79); badSys.xdrU32(0); badSys.xdrU32(2); badSys.xdrU32(100_003); badSys.xdrU32(4); badSys.xdrU32(0)
        badSys.xdrU32(1); badSys.xdrOpaque([0, 0, 0, 1, 0, 0, 0, 200]); badSys.xdrU32(0); badSys.xdrU32(0)
        let malformed = try ParsedReply(try await c.send(record: badSys, expecting: 79))
        #expect(!malformed.accepted && malformed.detail == [1])
        await server.stop()
    }

    @Test func aCallSplitIntoSeveralFragmentsIsOneRecord() async throws {
        let server = try await TestServer.start()
        let c = try await server.connection()
        let call = RPCCall.encode(xid: 4242, program: 100_003, version: 4, procedure: 0,
                                  credential: .none, arguments: ByteBuffer())
        var wire = ByteBuffer()
        var rest = call
        for size in [5, 11] {
            wire.writeInteger(UInt32(size), endianness: .big)  // not the last fragment
            var piece = rest.readSlice(length: size)!
            wire.writeBuffer(&piece)
        }
        wire.writeInteger(UInt32(rest.readableBytes) | 0x8000_0000, endianness: .big)
        wire.writeBuffer(&rest)
        let reply = c.future(for: 4242)
        try await c.sendRaw(wire)
        let parsed = try ParsedReply(try await withTimeout(.seconds(10)) { try await reply.get() })
        #expect(parsed.xid == 4242 && parsed.accepted && parsed.stat == 0)
        await server.stop()
    }

    @Test func anOversizedRecordClosesOnlyThatConnection() async throws {
        let server = try await TestServer.start(maxRecordSize: 64 * 1024)
        let liar = try await server.connection()
        var mark = ByteBuffer()
        mark.writeInteger(UInt32(0x7FFF_FFFF) | 0x8000_0000, endianness: .big)  // claims 2 GiB
        mark.writeBytes([1, 2, 3, 4])
        try await liar.sendRaw(mark)
        for _ in 0..<100 where liar.isActive { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!liar.isActive)
        let honest = try await server.connection()
        #expect(try ParsedReply(try await honest.call(procedure: 0, arguments: ByteBuffer())).stat == 0)
        await server.stop()
    }

    @Test func aTruncatedRecordIsWaitedForAndTheServerKeepsServingOthers() async throws {
        let server = try await TestServer.start()
        let partial = try await server.connection()
        var wire = ByteBuffer()
        wire.writeInteger(UInt32(100) | 0x8000_0000, endianness: .big)
        wire.writeBytes([0, 0, 0, 9])  // 4 of the 100 promised bytes, then the client goes away
        try await partial.sendRaw(wire)
        await partial.close()
        let other = try await server.connection()
        #expect(try ParsedReply(try await other.call(procedure: 0, arguments: ByteBuffer())).stat == 0)
        await server.stop()
    }

    @Test func garbageInsideAcceptedCallsIsAnsweredNotDropped() async throws {
        let server = try await TestServer.start()
        let c = try await server.connection()
        // A COMPOUND whose arguments stop after the tag's length.
        var args = ByteBuffer()
        args.xdrU32(400)
        let reply = try ParsedReply(try await c.call(procedure: 1, arguments: args))
        var body = reply.body
        #expect(reply.accepted && reply.stat == 0)
        #expect(try body.u32() == NFSStatus.badxdr.rawValue)
        await server.stop()
    }

    @Test func manyConcurrentConnectionsAreServed() async throws {
        let server = try await TestServer.start()
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let c = try await server.connection()
                    defer { Task { await c.close() } }
                    var ok = true
                    for _ in 0..<5 { ok = try ParsedReply(try await c.call(procedure: 0, arguments: ByteBuffer())).stat == 0 && ok }
                    return ok
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == 64)
        await server.stop()
    }

    /// Answers procedure N with N pseudo-random bytes of results, or, for N >= 1,000,000, with
    /// N - 1,000,000 bytes of results followed by two tail buffers; awaits nothing or a sleep (arguments 1),
    /// so replies are written both from the read and after a suspension.
    struct SizedReplies: RPCProgram {
        let program: UInt32 = 200_001
        let versions: ClosedRange<UInt32> = 1...1
        static func bytes(_ count: Int, seed: Int) -> ByteBuffer {
            ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) })
        }
        func call(procedure: UInt32, version: UInt32, arguments: ByteBuffer, context: RPCCallContext) async -> RPCReply {
            if arguments.readableBytes > 0 { try? await Task.sleep(for: .milliseconds(1)) }
            let n = Int(procedure)
            if n >= 1_000_000 {
                return .successWithTail(Self.bytes(n - 1_000_000, seed: 1), [Self.bytes(5, seed: 2), Self.bytes(70_000, seed: 3)])
            }
            return .success(Self.bytes(n, seed: 1))
        }
    }

    @Test func repliesOfEverySizeArriveWholeWithTheirTails() async throws {
        let rpc = RPCServer(programs: [SizedReplies()])
        let port = try await rpc.start(host: "127.0.0.1", port: 0).port!
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let c = try await RPCTestConnection.connect(port: port, group: group)
        // The results are what follows the 24-byte header of an accepted reply.
        func results(procedure: UInt32, waits: Bool) async throws -> [UInt8] {
            let record = try await c.call(program: 200_001, version: 1, procedure: procedure,
                                          arguments: waits ? ByteBuffer(bytes: [0, 0, 0, 1]) : ByteBuffer())
            let reply = try ParsedReply(record)
            #expect(reply.accepted && reply.stat == 0)
            return Array(record.readableBytesView.dropFirst(24))
        }
        for size in [0, 3, 100, RPCConnectionHandler.copiedResults, RPCConnectionHandler.copiedResults + 1, 300_000] {
            for waits in [false, true] {
                #expect(try await results(procedure: UInt32(size), waits: waits) == Array(SizedReplies.bytes(size, seed: 1).readableBytesView))
                var tailed = SizedReplies.bytes(size, seed: 1)
                tailed.writeImmutableBuffer(SizedReplies.bytes(5, seed: 2))
                tailed.writeImmutableBuffer(SizedReplies.bytes(70_000, seed: 3))
                #expect(try await results(procedure: UInt32(1_000_000 + size), waits: waits) == Array(tailed.readableBytesView))
            }
        }
        await c.close()
        await rpc.stop()
        try? await group.shutdownGracefully()
    }
}
