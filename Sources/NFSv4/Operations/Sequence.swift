import NIOCore
import XDR

enum SequenceResult {
    /// `replyLimit` is the session's maximum response size, or its maximum cached one when the client asked
    /// for the reply to be cached.
    case started(SessionID, UInt32, cache: Bool, replyLimit: Int)
    case replay(ByteBuffer)
    case failed(NFSStatus)
}

extension Operations {
    /// SEQUENCE (RFC 8881 §18.46): exactly-once semantics through the session's slot table.
    static func sequence(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer,
                         operationCount: UInt32, requestSize: Int) async -> SequenceResult {
        guard let sessionBytes = try? d.fixedOpaque(16), let sequence = try? d.u32(), let slot = try? d.u32(),
              let highest = try? d.u32(), let cacheThis = try? d.bool() else { return .failed(.badxdr) }
        let session = SessionID(bytes: sessionBytes)
        let outcome = ctx.state.with {
            $0.sequence(session: session, sequence: sequence, slot: slot, operations: operationCount,
                        requestSize: requestSize, now: monotonicSeconds())
        }
        switch outcome {
        case .replay(let cached): return .replay(cached)
        case .failure(let status): return .failed(status)
        case .execute(let maxResponseSize, let maxResponseSizeCached, let highestSlot, let client, let flags):
            ctx.client = client
            ctx.session = session
            out.xdrFixedOpaque(sessionBytes)
            out.xdrU32(sequence)
            out.xdrU32(slot)
            _ = highest
            out.xdrU32(highestSlot)  // highest slot id the server will accept
            out.xdrU32(highestSlot)  // target highest slot id
            out.xdrU32(flags)
            return .started(session, slot, cache: cacheThis,
                            replyLimit: Int(cacheThis ? min(maxResponseSize, maxResponseSizeCached) : maxResponseSize))
        }
    }
}
