import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Who sent a call, for programs that need to know.
public struct RPCCallContext: Sendable {
    public var xid: UInt32
    public var credential: RPCCredential
    public var remoteAddress: SocketAddress?
    public var localAddress: SocketAddress?
}

/// An ONC RPC program served by an `RPCServer`.
public protocol RPCProgram: Sendable {
    var program: UInt32 { get }
    var versions: ClosedRange<UInt32> { get }
    /// Runs one procedure; returns the reply (results already encoded for `.success`).
    func call(procedure: UInt32, version: UInt32, arguments: ByteBuffer, context: RPCCallContext) async -> RPCReply
}

/// Decides whether a new connection from `remote` to `local` may proceed (security groups hook in here).
public typealias ConnectionFilter = @Sendable (_ remote: SocketAddress?, _ local: SocketAddress?) -> Bool

/// An ONC RPC server over TCP. Calls on one connection run concurrently and are answered as they finish
/// (RFC 5531 lets replies come in any order); a connection with too many calls in flight stops being read.
public final class RPCServer: Sendable {
    public let maxRecordSize: Int
    private let programs: [UInt32: any RPCProgram]
    private let group: MultiThreadedEventLoopGroup
    private let filter: ConnectionFilter?
    private let channel = Mutex<(any Channel)?>(nil)
    private let connections = ConnectionSet()
    private let logger = Logger(label: "strata.rpc")

    public init(programs: [any RPCProgram], maxRecordSize: Int = 2 << 20, threads: Int = 4,
                filter: ConnectionFilter? = nil) {
        self.programs = Dictionary(programs.map { ($0.program, $0) }, uniquingKeysWith: { a, _ in a })
        self.maxRecordSize = maxRecordSize
        self.filter = filter
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Binds and starts accepting; returns the bound address (useful with port 0).
    @discardableResult
    public func start(host: String, port: Int) async throws -> SocketAddress {
        let programs = self.programs, maxRecordSize = self.maxRecordSize, filter = self.filter, logger = self.logger
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { channel in
                if let filter, !filter(channel.remoteAddress, channel.localAddress) {
                    return channel.close()
                }
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(RecordMarkingDecoder(maxRecordSize: maxRecordSize)))
                    try channel.pipeline.syncOperations.addHandler(
                        RPCConnectionHandler(programs: programs, logger: logger))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLock { $0 = bound }
        return bound.localAddress!
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        if let bound = channel.withLock({ $0 }) { try? await bound.close() }
        for connection in connections.all { try? await connection.close() }
        try? await group.shutdownGracefully()
    }
}

/// The open connections of a server, so stopping it closes them too.
final class ConnectionSet: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in _ = channels.withLock { $0.removeValue(forKey: id) } }
    }

    var all: [any Channel] { channels.withLock { Array($0.values) } }
}

/// Per connection: parses calls, runs them as tasks, writes replies with their record marks.
final class RPCConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let programs: [UInt32: any RPCProgram]
    private let logger: Logger
    private static let maxInFlight = 128
    // Touched on the channel's event loop only.
    private var inFlight = 0
    private var executor: EventLoopTaskExecutor?

    init(programs: [UInt32: any RPCProgram], logger: Logger) { self.programs = programs; self.logger = logger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let record = unwrapInboundIn(data)
        let call: RPCCall
        switch RPCCall.parse(record) {
        case .ignore: return
        case .reject(let xid, let reply): send(reply, xid: xid, on: context.channel); return
        case .call(let c): call = c
        }
        guard let program = programs[call.program] else { send(.programUnavailable, xid: call.xid, on: context.channel); return }
        guard program.versions.contains(call.version) else {
            send(.programMismatch(low: program.versions.lowerBound, high: program.versions.upperBound), xid: call.xid, on: context.channel)
            return
        }
        let channel = context.channel
        let callContext = RPCCallContext(xid: call.xid, credential: call.credential,
                                         remoteAddress: channel.remoteAddress, localAddress: channel.localAddress)
        inFlight += 1
        if inFlight >= Self.maxInFlight { channel.setOption(.autoRead, value: false).whenComplete { _ in } }
        let loop = context.eventLoop
        let executor = self.executor ?? EventLoopTaskExecutor(loop)
        self.executor = executor
        Task(executorPreference: executor) {
            let reply = await program.call(procedure: call.procedure, version: call.version,
                                           arguments: call.arguments, context: callContext)
            loop.execute {
                self.send(reply, xid: call.xid, on: channel)
                self.inFlight -= 1
                if self.inFlight == Self.maxInFlight - 1 { channel.setOption(.autoRead, value: true).whenComplete { _ in } }
            }
        }
    }

    private func send(_ reply: RPCReply, xid: UInt32, on channel: any Channel) {
        let header = reply.header(xid: xid)
        var parts: [ByteBuffer] = []
        switch reply {
        case .success(let results): parts = [results]
        case .successWithTail(let results, let tail): parts = [results] + tail
        default: break
        }
        let length = header.readableBytes + parts.reduce(0) { $0 + $1.readableBytes }
        channel.write(ByteBuffer.recordMark(length: length), promise: nil)
        channel.write(header, promise: nil)
        for part in parts { channel.write(part, promise: nil) }
        channel.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing connection: \(error)")
        context.close(promise: nil)
    }
}
