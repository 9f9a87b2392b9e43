import NIOCore
import NIOPosix
import ONCRPC
import Synchronization
import XDR

/// A raw ONC RPC connection for tests: send calls (well formed or not) and wait for replies by xid.
final class RPCTestConnection: Sendable {
    let channel: any Channel
    private let collector: ReplyCollector
    private let nextXID = Mutex<UInt32>(1)

    static func connect(port: Int, group: MultiThreadedEventLoopGroup) async throws -> RPCTestConnection {
        let collector = ReplyCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RecordMarkingDecoder(maxRecordSize: 8 << 20)))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RPCTestConnection(channel: channel, collector: collector)
    }

    private init(channel: any Channel, collector: ReplyCollector) { self.channel = channel; self.collector = collector }

    func newXID() -> UInt32 { nextXID.withLock { x in defer { x += 1 }; return x } }

    /// Sends one call and returns the whole reply record.
    func call(program: UInt32 = 100_003, version: UInt32 = 4, procedure: UInt32, arguments: ByteBuffer,
              credential: RPCCredential = .sys(AuthSysParameters(uid: 0, gid: 0))) async throws -> ByteBuffer {
        let xid = newXID()
        let record = RPCCall.encode(xid: xid, program: program, version: version, procedure: procedure,
                                    credential: credential, arguments: arguments)
        return try await send(record: record, expecting: xid)
    }

    /// Sends bytes as one record (with its mark) and waits for the reply to `xid`.
    func send(record: ByteBuffer, expecting xid: UInt32, timeout: Duration = .seconds(10)) async throws -> ByteBuffer {
        let future = collector.expect(xid, on: channel.eventLoop)
        var framed = ByteBuffer.recordMark(length: record.readableBytes)
        var body = record
        framed.writeBuffer(&body)
        try await channel.writeAndFlush(framed)
        return try await withTimeout(timeout) { try await future.get() }
    }

    /// Writes raw bytes with no framing of their own.
    func sendRaw(_ bytes: ByteBuffer) async throws { try await channel.writeAndFlush(bytes) }

    /// Registers interest in `xid` before anything is sent.
    func future(for xid: UInt32) -> EventLoopFuture<ByteBuffer> { collector.expect(xid, on: channel.eventLoop) }

    var isActive: Bool { channel.isActive }

    /// What the server called back on this connection, and how it is answered.
    var callbacks: CallbackResponder { collector.callbacks }

    func close() async { try? await channel.close() }
}

struct TimedOut: Error {}

func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask { try await Task.sleep(for: limit); throw TimedOut() }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Hands reply records to whoever waits for their xid.
final class ReplyCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let waiting = Mutex<[UInt32: EventLoopPromise<ByteBuffer>]>([:])
    private let early = Mutex<[UInt32: ByteBuffer]>([:])

    func expect(_ xid: UInt32, on loop: any EventLoop) -> EventLoopFuture<ByteBuffer> {
        let promise = loop.makePromise(of: ByteBuffer.self)
        if let reply = early.withLock({ $0.removeValue(forKey: xid) }) {
            promise.succeed(reply)
        } else {
            waiting.withLock { $0[xid] = promise }
        }
        return promise.futureResult
    }

    /// Answers the server's calls on this connection (an NFSv4.1 back channel).
    let callbacks = CallbackResponder()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let record = unwrapInboundIn(data)
        guard let xid = record.getInteger(at: record.readerIndex, endianness: .big, as: UInt32.self) else { return }
        if record.getInteger(at: record.readerIndex + 4, endianness: .big, as: UInt32.self) == 0 {
            if case .call(let call) = RPCCall.parse(record) {
                var reply = ByteBuffer.recordMark(length: 0)
                let start = reply.writerIndex
                reply.xdrU32(xid); reply.xdrU32(1); reply.xdrU32(0); reply.xdrU32(0); reply.xdrU32(0); reply.xdrU32(0)
                var results = callbacks.answer(procedure: call.procedure, arguments: call.arguments)
                reply.writeBuffer(&results)
                reply.setInteger(UInt32(reply.writerIndex - start) | 0x8000_0000, at: reply.readerIndex, endianness: .big)
                context.writeAndFlush(NIOAny(reply), promise: nil)
            }
            return
        }
        if let promise = waiting.withLock({ $0.removeValue(forKey: xid) }) {
            promise.succeed(record)
        } else {
            early.withLock { $0[xid] = record }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let pending = waiting.withLock { w -> [EventLoopPromise<ByteBuffer>] in defer { w.removeAll() }; return Array(w.values) }
        for promise in pending { promise.fail(ChannelError.ioOnClosedChannel) }
    }
}

/// The accepted/denied parts of an RPC reply header.
struct ParsedReply {
    var xid: UInt32
    var accepted: Bool
    /// accept_stat, or for denied replies reject_stat.
    var stat: UInt32
    var detail: [UInt32]
    /// The results (for accepted SUCCESS replies).
    var body: XDRDecoder

    init(_ record: ByteBuffer) throws {
        var d = XDRDecoder(record)
        xid = try d.u32()
        guard try d.u32() == 1 else { throw XDRError.invalid("not a reply") }
        accepted = try d.u32() == 0
        detail = []
        if accepted {
            _ = try d.u32(); _ = try d.opaque(max: 400)
            stat = try d.u32()
            if stat == 2 { detail = [try d.u32(), try d.u32()] }
        } else {
            stat = try d.u32()
            detail = stat == 0 ? [try d.u32(), try d.u32()] : [try d.u32()]
        }
        body = d
    }
}
