import TestSupport
import FileSystem
import Foundation
@testable import NFSv4
import NIOCore
import ONCRPC
import Testing
import XDR

/// Mutated RPC records and COMPOUND arguments: every one is answered (or, for records the RPC layer cannot
/// attribute, ignored), nothing crashes or hangs, and the file system stays consistent. Bounded iterations
/// (STRATA_FUZZ_ITERATIONS, default 3000) with a fixed seed so a failure can be replayed.
@Suite struct FuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["STRATA_FUZZ_ITERATIONS"] ?? "") ?? 3000

    /// Valid operation lists to mutate from.
    static func seeds(root: [UInt8]) -> [[Op]] {
        [
            [.putrootfh, .getattr([1, 3, 4, 33, 35, 36, 53])],
            [.putrootfh, .open("f", owner: "o", create: true), .getfh, .write(.current, offset: 3, "abc"), .close(.current)],
            [.putfh(root), .write(.anonymous, offset: 5, "payload")],
            [.putrootfh, .raw(26) { b in
                b.xdrU64(0); b.xdrFixedOpaque([UInt8](repeating: 0, count: 8)); b.xdrU32(4096); b.xdrU32(32768)
                AttributeBitmap([1, 20]).encode(into: &b) }],
            [.putrootfh, .mkdir("d"), .lookupp, .remove("d")],
            [.putrootfh, .savefh, .mkdir("e"), .restorefh, .raw(29) { $0.xdrString("e"); $0.xdrString("e2") }],
            [.putrootfh, .lookup("f"), .lock(write: true, offset: 0, length: 9, open: .current, owner: "x")],
            [.putrootfh, .raw(34) { b in StateID.anonymous.encode(into: &b); AttributeBitmap([33]).encode(into: &b)
                var v = ByteBuffer(); v.xdrU32(0o700); b.xdrOpaque(v) }],
        ]
    }

    /// A compound whose SEQUENCE is valid (the next slot sequence), with the operations after it mutated.
    static func fuzzedCompound(_ ops: [Op], _ c: NFSTestClient, _ rng: inout SplitMix) -> ByteBuffer {
        c.slotSequence += 1
        var body = ByteBuffer()
        for op in ops { body.xdrU32(op.code); op.args(&body) }
        var b = ByteBuffer()
        b.xdrString("fuzz"); b.xdrU32(1)
        b.xdrU32(rng.next() % 16 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : UInt32(ops.count + 1))
        Op.sequence(c.session, c.slotSequence, cache: false).encode(into: &b)
        var mutated = mutate(body, &rng)
        b.writeBuffer(&mutated)
        return b
    }

    static func mutate(_ input: ByteBuffer, _ rng: inout SplitMix) -> ByteBuffer {
        var bytes = Array(input.readableBytesView)
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            switch rng.next() % 5 {
            case 0 where !bytes.isEmpty: bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 << (rng.next() % 8))
            case 1 where !bytes.isEmpty: bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            case 2 where bytes.count >= 4:  // a length or count that lies
                let at = Int(rng.next() % UInt64(bytes.count / 4)) * 4
                let lie: [UInt32] = [0xFFFF_FFFF, 0x7FFF_FFFF, 0x0010_0001, 0, 1, 1025]
                let v = lie[Int(rng.next() % UInt64(lie.count))]
                bytes.replaceSubrange(at..<at + 4, with: withUnsafeBytes(of: v.bigEndian) { Array($0) })
            case 3:
                let at = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                bytes.insert(contentsOf: (0..<4).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            default: if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return ByteBuffer(bytes: bytes)
    }

    @Test func mutatedCompoundsAreAlwaysAnsweredAndLeaveTheStoreConsistent() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let root = server.handle(server.fs.root)
        let seeds = Self.seeds(root: root)
        var rng = SplitMix(seed: 0x5EED_5712A7A)
        var reachedOperations = 0
        for i in 0..<Self.iterations {
            let input = Self.fuzzedCompound(seeds[i % seeds.count], c, &rng)
            // Straight into the COMPOUND processor: every input gets a reply that starts with a status.
            let reply = await CompoundProcessor.run(input, server: server.nfs, caller: .root).results
            var d = XDRDecoder(reply)
            #expect((try? d.u32()) != nil, "iteration \(i)")
            _ = try? d.opaque(max: 1024)
            if let count = try? d.u32(), count > 1 { reachedOperations += 1 }
            // A SEQUENCE that failed (a count over the session's limit) leaves the slot as it was (RFC 8881
            // §18.46.3): the next request reuses its sequence id, as a client would.
            if (try? d.u32()) == 53, let status = try? d.u32(), status != 0 { c.slotSequence -= 1 }
        }
        #expect(reachedOperations > Self.iterations / 2, "the fuzz must get past SEQUENCE to the operations")
        // And over the wire, through the RPC decoder, with mutated whole records.
        let wire = try await server.connection()
        var connection = wire
        for i in 0..<(Self.iterations / 10) {
            let call = RPCCall.encode(xid: 1_000_000 + UInt32(i), program: 100_003, version: 4, procedure: 1,
                                      credential: .sys(AuthSysParameters(uid: 0, gid: 0)),
                                      arguments: Self.fuzzedCompound(seeds[i % seeds.count], c, &rng))
            let mutated = Self.mutate(call, &rng)
            var framed = ByteBuffer.recordMark(length: mutated.readableBytes)
            var body = mutated
            framed.writeBuffer(&body)
            if !connection.isActive { connection = try await server.connection() }
            try? await connection.sendRaw(framed)
            // The server is still there and answering on a fresh, well-formed call.
            let alive = try await connection.call(procedure: 0, arguments: ByteBuffer())
            #expect(try ParsedReply(alive).stat == 0, "iteration \(i)")
        }
        try await server.engine.collectGarbage()
        #expect(try await ConsistencyChecker(engine: server.engine).check() == [])
        await server.stop()
    }

    @Test func theRPCCallParserNeverTrapsOnRandomBytes() {
        var rng = SplitMix(seed: 42)
        for _ in 0..<(Self.iterations * 3) {
            let count = Int(rng.next() % 200)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if bytes.count >= 8 { bytes[4...7] = [0, 0, 0, 0] }  // mostly CALLs, to get past the first check
            _ = RPCCall.parse(ByteBuffer(bytes: bytes))
        }
    }
}

