import Foundation
import NIOCore
import ONCRPC
import Locking
import XDR

/// An NFSv4.1 client with one session on one connection (RFC 8881 §18.35, §18.36). Each slot carries one
/// outstanding COMPOUND; callers that run concurrently must use different slots.
public final class NFSSession: Sendable {
    public let rpc: RPCClient
    public let clientID: UInt64
    public let sessionID: [UInt8]
    /// Slots the server granted (fore channel ca_maxrequests).
    public let slotCount: Int
    private let slotSequences: AdaptiveMutex<[UInt32]>

    /// EXCHANGE_ID, CREATE_SESSION asking for `slots` slots, then RECLAIM_COMPLETE (as a new client does).
    /// A server bounds the unconfirmed client records one address may hold and forgets the oldest first, so
    /// among many clients starting at once from one machine some find theirs gone at CREATE_SESSION
    /// (STALE_CLIENTID): like the Linux client, such a client starts again with a new EXCHANGE_ID.
    public static func establish(host: String, port: Int, group: any EventLoopGroup, slots: Int = 1,
                                 owner: String = "strata-bench-\(UUID().uuidString)") async throws -> NFSSession {
        var attempt = 1
        while true {
            do {
                return try await establishOnce(host: host, port: port, group: group, slots: slots, owner: owner)
            } catch let error as NFSStatusError where error.operation == 43 && error.status == 10022 && attempt < 5 {
                try await Task.sleep(for: .milliseconds(10 * attempt))
                attempt += 1
            }
        }
    }

    private static func establishOnce(host: String, port: Int, group: any EventLoopGroup, slots: Int,
                                      owner: String) async throws -> NFSSession {
        let rpc = try await RPCClient.connect(host: host, port: port, group: group)
        do {
            var r = try await compound(rpc, [NFSOperation(code: 42) { b in
                b.xdrFixedOpaque((0..<8).map { _ in UInt8.random(in: 0...255) }); b.xdrString(owner)
                b.xdrU32(0); b.xdrU32(0); b.xdrU32(0)
            }])
            try r.expect(42)
            let clientID = try r.d.u64()
            let sequence = try r.d.u32()
            r = try await compound(rpc, [NFSOperation(code: 43) { b in
                b.xdrU64(clientID); b.xdrU32(sequence); b.xdrU32(0)
                // fore channel: pad, max request, max response, max cached response, max ops, max requests
                for v: UInt32 in [0, (1 << 20) + 4096, (1 << 20) + 4096, 4096, 16, UInt32(slots)] { b.xdrU32(v) }
                b.xdrU32(0)
                for v: UInt32 in [0, 4096, 4096, 0, 2, 1] { b.xdrU32(v) }
                b.xdrU32(0)
                b.xdrU32(0x4000_0000); b.xdrU32(1); b.xdrU32(0)  // callback program; AUTH_NONE
            }])
            try r.expect(43)
            let sessionID = try r.d.fixedOpaque(16)
            _ = try r.d.u32(); _ = try r.d.u32()
            for _ in 0..<5 { _ = try r.d.u32() }
            let granted = Int(try r.d.u32())
            let session = NFSSession(rpc: rpc, clientID: clientID, sessionID: sessionID, slotCount: max(1, min(granted, slots)))
            _ = try await session.compound(slot: 0, [.reclaimComplete()])
            return session
        } catch {
            await rpc.close()
            throw error
        }
    }

    private init(rpc: RPCClient, clientID: UInt64, sessionID: [UInt8], slotCount: Int) {
        self.rpc = rpc; self.clientID = clientID; self.sessionID = sessionID; self.slotCount = slotCount
        slotSequences = AdaptiveMutex([UInt32](repeating: 0, count: slotCount))
    }

    /// SEQUENCE on `slot`, then `operations`; the SEQUENCE result is checked and skipped.
    public func compound(slot: Int = 0, _ operations: [NFSOperation]) async throws -> CompoundResult {
        let sequenceID = slotSequences.withLock { s in s[slot] &+= 1; return s[slot] }
        var r = try await Self.compound(rpc, [.sequence(session: sessionID, sequenceID: sequenceID, slot: UInt32(slot),
                                                        highestSlot: UInt32(slotCount - 1))] + operations)
        try r.skip(53)
        return r
    }

    static func compound(_ rpc: RPCClient, _ operations: [NFSOperation]) async throws -> CompoundResult {
        var args = ByteBufferAllocator().buffer(capacity: 256)
        args.xdrU32(0); args.xdrU32(1); args.xdrU32(UInt32(operations.count))
        for op in operations { args.xdrU32(op.code); op.encodeArguments(&args) }
        return try CompoundResult(try await rpc.call(procedure: 1, arguments: args))
    }

    /// DESTROY_SESSION and DESTROY_CLIENTID, then the connection closes.
    public func close() async {
        _ = try? await Self.compound(rpc, [NFSOperation(code: 44) { [sessionID] in $0.xdrFixedOpaque(sessionID) }])
        _ = try? await Self.compound(rpc, [NFSOperation(code: 57) { [clientID] in $0.xdrU64(clientID) }])
        await rpc.close()
    }
}
