import NIOCore
import NIOPosix
import Synchronization
import XDR

public struct RPCCallError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Calls a server makes to its peer: over a client's own connection (the NFSv4.1 back channel, RFC 8881
/// §2.10.3.1) or over one it opens to the client (the NFSv4.0 callback, RFC 7530 §3.3). Replies are matched
/// to their calls by xid; a call unanswered in time, or on a connection that closes, fails.
public final class RPCConnection: Sendable {
    private let channel: any Channel
    private let waiting = Mutex<[UInt32: CheckedContinuation<ByteBuffer, any Error>]>([:])
    private let nextXID = Atomic<UInt32>(UInt32.random(in: 1...UInt32.max / 2))

    init(channel: any Channel) {
        self.channel = channel
        channel.closeFuture.whenComplete { [self] _ in failAll(RPCCallError("the connection closed")) }
    }

    public var isActive: Bool { channel.isActive }
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    /// Opens a connection to `host:port` for calls only (what arrives on it is taken as replies).
    public static func connect(host: String, port: Int, timeout: Duration = .seconds(5)) async throws -> RPCConnection {
        let holder = Mutex<RPCConnection?>(nil)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RecordMarkingDecoder(maxRecordSize: 1 << 20)))
                    try channel.pipeline.syncOperations.addHandler(RPCReplyReader { record in
                        holder.withLock { $0 }?.received(record)
                    })
                }
            }
            .connect(host: host, port: port).get()
        let connection = RPCConnection(channel: channel)
        holder.withLock { $0 = connection }
        return connection
    }

    /// Sends a call and returns its results, after an accepted and successful reply header.
    public func call(program: UInt32, version: UInt32, procedure: UInt32, credential: RPCCredential,
                     arguments: ByteBuffer, timeout: Duration) async throws -> XDRDecoder {
        let xid = nextXID.wrappingAdd(1, ordering: .relaxed).newValue
        var record = channel.allocator.buffer(capacity: 64 + arguments.readableBytes)
        record.writeInteger(UInt32(0), endianness: .big)
        record.writeImmutableBuffer(RPCCall.encode(xid: xid, program: program, version: version, procedure: procedure,
                                                   credential: credential, arguments: arguments))
        record.setInteger(UInt32(record.readableBytes - 4) | 0x8000_0000, at: record.readerIndex, endianness: .big)
        let channel = channel
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) { [self] in
            fail(xid, RPCCallError("no reply within \(timeout)"))
        }
        defer { timer.cancel() }
        let reply = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer, any Error>) in
            waiting.withLock { $0[xid] = continuation }
            guard channel.isActive else { fail(xid, RPCCallError("the connection is closed")); return }
            channel.writeAndFlush(record).whenFailure { [self] error in fail(xid, error) }
        }
        return try Self.results(of: reply)
    }

    /// A reply record arrived: it completes the call with its xid (others are dropped).
    func received(_ record: ByteBuffer) {
        guard let xid = record.getInteger(at: record.readerIndex, endianness: .big, as: UInt32.self),
              let continuation = waiting.withLock({ $0.removeValue(forKey: xid) }) else { return }
        continuation.resume(returning: record)
    }

    public func close() { channel.close(promise: nil) }

    private func fail(_ xid: UInt32, _ error: any Error) {
        waiting.withLock { $0.removeValue(forKey: xid) }?.resume(throwing: error)
    }

    private func failAll(_ error: any Error) {
        let pending = waiting.withLock { table in defer { table.removeAll() }; return Array(table.values) }
        for continuation in pending { continuation.resume(throwing: error) }
    }

    /// Skips the reply header (RFC 5531 §9) and fails unless the call was accepted and succeeded.
    public static func results(of record: ByteBuffer) throws -> XDRDecoder {
        var d = XDRDecoder(record)
        _ = try d.u32()
        guard try d.u32() == 1 else { throw RPCCallError("not a reply") }
        guard try d.u32() == 0 else { throw RPCCallError("call denied") }
        _ = try d.u32(); _ = try d.opaque(max: 400)
        let stat = try d.u32()
        guard stat == 0 else { throw RPCCallError("call not accepted: accept_stat \(stat)") }
        return d
    }

    /// Is this record a reply (msg_type 1) rather than a call?
    static func isReply(_ record: ByteBuffer) -> Bool {
        record.getInteger(at: record.readerIndex + 4, endianness: .big, as: UInt32.self) == 1
    }
}

/// Hands every record of an outgoing connection to its RPCConnection as a reply.
final class RPCReplyReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let deliver: @Sendable (ByteBuffer) -> Void

    init(_ deliver: @escaping @Sendable (ByteBuffer) -> Void) { self.deliver = deliver }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { deliver(unwrapInboundIn(data)) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
