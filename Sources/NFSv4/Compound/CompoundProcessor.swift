import FileSystem
import NIOCore
import ONCRPC
import XDR

/// Runs a COMPOUND (RFC 8881 §16.2): operations in order, each result appended as it completes, stopping
/// at the first failure. SEQUENCE, when first, ties the request to a session slot and its reply cache.
enum CompoundProcessor {
    static let maxTag = 1024
    /// Operations allowed before a session exists, each only as the sole operation (RFC 8881 §2.10.6.1.1).
    static let sessionless: Set<OpCode> = [.exchangeID, .createSession, .destroySession, .bindConnToSession, .destroyClientid]
    /// NFSv4.0 has no session to bound a COMPOUND: past this many operations, or this many bytes of reply,
    /// the first operation over is NFS4ERR_RESOURCE (RFC 7530 §15.2), so no client can make the server build
    /// an unbounded reply. NFSv4.1 bounds both by the session (TOO_MANY_OPS at SEQUENCE, REP_TOO_BIG).
    static let maxOperations40 = 128
    static let maxReply40 = Int(SessionLimits.maxResponseSize)

    /// What running a COMPOUND gave.
    struct Outcome {
        var results: ByteBuffer
        /// Bytes that follow the results unchanged (the data of a READ that ended the compound).
        var tail: [ByteBuffer]
        /// NFSv4.0: it ran an operation that must not run twice (see `DuplicateRequestCache`).
        var changedNamespace = false
    }

    /// Operations whose retransmission must get the first reply, not run again, in NFSv4.0.
    static let notIdempotent40: Set<OpCode> = [.create, .remove, .rename, .link, .setattr]

    /// The minor version a COMPOUND's arguments ask for (nil: not even that decodes).
    static func minorVersion(_ arguments: ByteBuffer) -> UInt32? {
        var d = XDRDecoder(arguments)
        guard (try? d.opaque(max: maxTag)) != nil else { return nil }
        return try? d.u32()
    }

    static func run(_ arguments: ByteBuffer, server: NFSServer, caller: Caller, source: String? = nil,
                    connection: RPCConnection? = nil) async -> Outcome {
        var d = XDRDecoder(arguments)
        var reply = ByteBuffer()
        guard let tag = try? d.opaque(max: maxTag), let minor = try? d.u32(), let count = try? d.u32() else {
            reply.xdrU32(NFSStatus.badxdr.rawValue); reply.xdrU32(0); reply.xdrU32(0)
            return Outcome(results: reply, tail: [])
        }
        let statusIndex = reply.writerIndex
        reply.xdrU32(0)
        reply.xdrOpaque(tag)
        let countIndex = reply.writerIndex
        reply.xdrU32(0)
        guard minor <= 1 else {
            reply.setInteger(NFSStatus.minorVersMismatch.rawValue, at: statusIndex, endianness: .big)
            return Outcome(results: reply, tail: [])
        }

        var context = CompoundContext(server: server, caller: caller, source: source)
        context.connection = connection
        context.minorVersion = minor
        var status = NFSStatus.ok
        var done: UInt32 = 0
        var slot: (session: SessionID, slot: UInt32, cache: Bool)?
        var replyLimit = minor == 0 ? maxReply40 : Int.max
        var changedNamespace = false
        for index in 0..<count {
            let opStart = reply.writerIndex
            guard let raw = try? d.u32() else {
                reply.xdrU32(OpCode.illegal.rawValue); reply.xdrU32(NFSStatus.badxdr.rawValue)
                status = .badxdr; done += 1
                break
            }
            if minor == 0 && index >= maxOperations40 {
                reply.xdrU32(raw); reply.xdrU32(NFSStatus.resource.rawValue)
                status = .resource; done += 1
                break
            }
            guard let op = OpCode(rawValue: raw) else {
                reply.xdrU32(OpCode.illegal.rawValue); reply.xdrU32(NFSStatus.opIllegal.rawValue)
                status = .opIllegal; done += 1
                break
            }
            reply.xdrU32(op.rawValue)
            context.isLastOperation = index == count - 1
            let statusAt = reply.writerIndex
            reply.xdrU32(0)
            var result: NFSStatus
            if minor == 0 {
                // NFSv4.0 has no sessions; operations numbered past RELEASE_LOCKOWNER do not exist in it.
                if op.rawValue > OpCode.releaseLockowner.rawValue {
                    reply.moveWriterIndex(to: statusAt - 4)
                    reply.xdrU32(OpCode.illegal.rawValue)
                    reply.xdrU32(NFSStatus.opIllegal.rawValue)
                    done += 1
                    status = .opIllegal
                    break
                }
                await context.refresh()
                if notIdempotent40.contains(op) { changedNamespace = true }
                result = await execute(op, &context, &d, &reply, bodyStart: statusAt + 4, statusAt: statusAt)
            } else if index == 0 && op == .sequence {
                // The request's size is its COMPOUND arguments (the RPC header, a few dozen bytes, is not counted).
                switch await Operations.sequence(&context, &d, &reply, operationCount: count, requestSize: arguments.readableBytes) {
                case .replay(let cached):
                    return Outcome(results: cached, tail: [])
                case .failed(let failure):
                    result = failure
                case .started(let session, let slotID, let cache, let limit):
                    slot = (session, slotID, cache)
                    replyLimit = limit
                    result = .ok
                }
            } else if op == .illegal {
                // RFC 8881 §15.2: OP_ILLEGAL wherever it stands, first included (before OP_NOT_IN_SESSION).
                result = .opIllegal
            } else if op == .sequence {
                result = .sequencePos
            } else if index == 0 && !sessionless.contains(op) {
                result = .opNotInSession
            } else if slot == nil && count > 1 && sessionless.contains(op) && op != .destroySession {
                result = .notOnlyOp
            } else {
                await context.refresh()
                result = await execute(op, &context, &d, &reply, bodyStart: statusAt + 4, statusAt: statusAt)
            }
            if result == .ok && reply.writerIndex + context.tail.reduce(0, { $0 + $1.readableBytes }) > replyLimit {
                // The reply grew past its bound with this operation: it is answered with the error instead.
                reply.moveWriterIndex(to: statusAt + 4)
                context.tail = []
                result = minor == 0 ? .resource : slot?.cache == true ? .repTooBigToCache : .repTooBig
            }
            reply.setInteger(result.rawValue, at: statusAt, endianness: .big)
            if server.trace { server.logger.info("v4.\(minor) \(op) -> \(result)") }
            _ = opStart
            done += 1
            status = result
            if result != .ok { break }
        }
        await server.settleOpenFiles()
        reply.setInteger(status.rawValue, at: statusIndex, endianness: .big)
        reply.setInteger(done, at: countIndex, endianness: .big)
        if status != .ok { context.tail = [] }
        if let slot {
            // The reply cache keeps the whole reply, tail included.
            var cached: ByteBuffer?
            if slot.cache {
                cached = reply
                for var part in context.tail { cached!.writeBuffer(&part) }
            }
            context.state.with { $0.finishSequence(session: slot.session, slot: slot.slot, reply: cached) }
        }
        return Outcome(results: reply, tail: context.tail, changedNamespace: changedNamespace)
    }

    /// Runs one operation; on failure the partial body is dropped and replaced by the failure's body.
    private static func execute(_ op: OpCode, _ ctx: inout CompoundContext, _ d: inout XDRDecoder,
                                _ reply: inout ByteBuffer, bodyStart: Int, statusAt: Int) async -> NFSStatus {
        ctx.sequencedOwner = nil
        ctx.newLockOwner = nil
        let status = await run(op, &ctx, &d, &reply, bodyStart: bodyStart, statusAt: statusAt)
        if let (owner, seqid) = ctx.sequencedOwner {
            reply.setInteger(status.rawValue, at: statusAt, endianness: .big)
            let bytes = reply.getBytes(at: statusAt, length: reply.writerIndex - statusAt) ?? []
            ctx.state.with { t in
                t.recordOwnerReply(owner, seqid, status: status, reply: bytes)
                if status == .ok, let (lockOwner, lockSeqid) = ctx.newLockOwner {
                    t.recordOwnerReply(lockOwner, lockSeqid, status: status, reply: bytes)
                }
            }
            ctx.sequencedOwner = nil
        }
        return status
    }

    private static func run(_ op: OpCode, _ ctx: inout CompoundContext, _ d: inout XDRDecoder,
                            _ reply: inout ByteBuffer, bodyStart: Int, statusAt: Int) async -> NFSStatus {
        do {
            try await Operations.dispatch(op, &ctx, &d, &reply)
            return .ok
        } catch {
            reply.moveWriterIndex(to: bodyStart)
            switch error {
            case let replay as OwnerReplay:
                // The same reply as the first time, status included.
                reply.moveWriterIndex(to: statusAt)
                reply.writeBytes(replay.reply)
                return replay.status
            case let status as NFSStatus: return status
            case let failure as OperationFailure:
                failure.body(&reply)
                return failure.status
            case let denied as LockDenied:
                Operations.encodeDenied(denied, into: &reply)
                return .denied
            case let fsError as FSError: return NFSStatus(fsError)
            case is XDRError: return .badxdr
            default: return .serverfault
            }
        }
    }
}
