import NIOCore
import NIOPosix
import ONCRPC
import XDR

public struct RPCClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One TCP connection to an ONC RPC server; many calls may be outstanding, each matched to its reply by xid.
public final class RPCClient: Sendable {
    private let channel: any Channel
    public let credential: RPCCredential

    public static func connect(host: String, port: Int, group: any EventLoopGroup,
                               credential: RPCCredential = .sys(AuthSysParameters(uid: 0, gid: 0))) async throws -> RPCClient {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RecordMarkingDecoder(maxRecordSize: 16 << 20)))
                    try channel.pipeline.syncOperations.addHandler(RPCClientHandler(credential: credential))
                }
            }
            .connect(host: host, port: port).get()
        return RPCClient(channel: channel, credential: credential)
    }

    private init(channel: any Channel, credential: RPCCredential) {
        self.channel = channel; self.credential = credential
        executor = EventLoopTaskExecutor(channel.eventLoop)
    }

    /// Runs tasks on this connection's event loop. A caller that prefers it sends from the loop and is resumed
    /// there by its reply, with no thread switch either way.
    public let executor: EventLoopTaskExecutor

    /// Sends one call and returns the reply's results (after an accepted, successful reply header).
    public func call(program: UInt32 = 100_003, version: UInt32 = 4, procedure: UInt32, arguments: ByteBuffer) async throws -> XDRDecoder {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let call = PendingCall(program: program, version: version, procedure: procedure, arguments: arguments, promise: promise)
        // A call that never reaches the socket fails here; one that did fails when the connection closes.
        channel.writeAndFlush(call).whenFailure { promise.fail($0) }
        return try RPCConnection.results(of: try await promise.futureResult.get())
    }

    public func close() async { try? await channel.close() }
}

struct PendingCall: Sendable {
    var program: UInt32, version: UInt32, procedure: UInt32
    var arguments: ByteBuffer
    var promise: EventLoopPromise<ByteBuffer>
}

/// Assigns xids, frames calls, and completes each call's promise with its reply record. Runs on the
/// channel's event loop only, so its table needs no lock.
final class RPCClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PendingCall
    typealias OutboundOut = ByteBuffer

    private var nextXID: UInt32 = 1
    private var waiting: [UInt32: EventLoopPromise<ByteBuffer>] = [:]
    /// The credential and verifier as every call carries them, encoded once for the connection.
    private let authentication: [UInt8]

    /// Arguments up to this size go out in one buffer with the header; larger ones after it, not copied.
    static let copiedArguments = 64 * 1024

    init(credential: RPCCredential) {
        var b = ByteBuffer()
        credential.encodeWithVerifier(into: &b)
        authentication = Array(b.readableBytesView)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        let xid = nextXID
        nextXID &+= 1
        waiting[xid] = call.promise
        let copied = call.arguments.readableBytes <= Self.copiedArguments
        var header = context.channel.allocator.buffer(capacity: 28 + authentication.count + (copied ? call.arguments.readableBytes : 0))
        header.writeInteger(UInt32(0), endianness: .big)  // record mark, filled in below
        header.xdrU32(xid); header.xdrU32(0); header.xdrU32(2)
        header.xdrU32(call.program); header.xdrU32(call.version); header.xdrU32(call.procedure)
        header.writeBytes(authentication)
        let length = header.readableBytes - 4 + call.arguments.readableBytes
        header.setInteger(UInt32(length) | 0x8000_0000, at: header.readerIndex, endianness: .big)
        if copied {
            header.writeImmutableBuffer(call.arguments)
            context.write(wrapOutboundOut(header), promise: promise)
        } else {
            // A large payload (a 1 MiB WRITE) goes out after its header, never copied.
            context.write(wrapOutboundOut(header), promise: nil)
            context.write(wrapOutboundOut(call.arguments), promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let record = unwrapInboundIn(data)
        guard let xid = record.getInteger(at: record.readerIndex, endianness: .big, as: UInt32.self),
              let promise = waiting.removeValue(forKey: xid) else { return }
        promise.succeed(record)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        let pending = waiting
        waiting.removeAll()
        for promise in pending.values { promise.fail(error) }
    }
}
