import CStrataLinux
import Locking
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
    /// The connection the call came on, over which the server may call the client back.
    public var connection: RPCConnection?

    public init(xid: UInt32, credential: RPCCredential, remoteAddress: SocketAddress? = nil,
                localAddress: SocketAddress? = nil, connection: RPCConnection? = nil) {
        self.xid = xid; self.credential = credential; self.remoteAddress = remoteAddress
        self.localAddress = localAddress; self.connection = connection
    }
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
    private let calls = InFlightCalls()
    private let logger = Logger(label: "strata.rpc")
    /// How long a stop waits for calls under way to be answered.
    static let drainTimeout = Duration.seconds(10)

    /// `threads` event loops. Four, on 2 cores, first brought GETATTR p99 at 16 sessions from ~2 ms to ~1 ms
    /// (eight were worse). Two, tried again in whole `bench nfs` runs alternated with four, matched that p99
    /// (0.75-0.83 ms against 0.78-0.88) but lost creates 3 of 3 (9.1-10.0k ops/s against 10.5-11.0k) and
    /// 100-client GETATTR 2 of 3, and won removes only 1 of 3.
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
        let connections = self.connections, calls = self.calls
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
                        RPCConnectionHandler(programs: programs, calls: calls, logger: logger))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLock { $0 = bound }
        return bound.localAddress!
    }

    /// Stops in order: no new connections, no new calls, the calls under way answered (for at most
    /// `drainTimeout`), the connections closed, and only then the event loops, which those calls' tasks run
    /// on and answer through.
    public func stop() async {
        calls.stopTaking()
        if let bound = channel.withLock({ $0 }) { try? await bound.close() }
        for connection in connections.all { connection.setOption(.autoRead, value: false).whenComplete { _ in } }
        let drained = await calls.waitUntilIdle(timeout: Self.drainTimeout)
        for connection in connections.all { try? await connection.close() }
        if drained {
            try? await group.shutdownGracefully()
        } else {
            // A call still under way would resume on a loop that is gone; the loops stay for the process's last moments.
            logger.warning("\(calls.underWay) call(s) still under way after \(Self.drainTimeout); leaving their event loops running")
        }
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
    private let calls: InFlightCalls
    private let logger: Logger
    private static let maxInFlight = 128
    // Touched on the channel's event loop only.
    private var inFlight = 0
    private var executor: EventLoopTaskExecutor?
    /// Made on the connection's first call: calls back to the client go over it, and its replies come here.
    private var connection: RPCConnection?

    init(programs: [UInt32: any RPCProgram], calls: InFlightCalls, logger: Logger) {
        self.programs = programs; self.calls = calls; self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let record = unwrapInboundIn(data)
        let connection = self.connection ?? RPCConnection(channel: context.channel)
        self.connection = connection
        if RPCConnection.isReply(record) { connection.received(record); return }
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
        guard calls.begin() else { return }  // stopping
        let callContext = RPCCallContext(xid: call.xid, credential: call.credential, remoteAddress: channel.remoteAddress,
                                         localAddress: channel.localAddress, connection: connection)
        inFlight += 1
        if inFlight >= Self.maxInFlight { channel.setOption(.autoRead, value: false).whenComplete { _ in } }
        let loop = context.eventLoop
        let executor = self.executor ?? EventLoopTaskExecutor(loop)
        self.executor = executor
        Task.immediate(executorPreference: executor) {
            let reply = await program.call(procedure: call.procedure, version: call.version,
                                           arguments: call.arguments, context: callContext)
            // The task runs on the loop (its executor preference): answer at once, without another trip round it.
            if loop.inEventLoop { self.answered(reply, xid: call.xid, on: channel) } else {
                loop.execute { self.answered(reply, xid: call.xid, on: channel) }
            }
        }
    }

    /// Replies a loop sends between checks whether it should let other threads run (see `answered`).
    static let repliesPerYieldCheck: Int32 = 16

    private func answered(_ reply: RPCReply, xid: UInt32, on channel: any Channel) {
        send(reply, xid: xid, on: channel)
        // A loop whose connections always have a call waiting never blocks, so when the cores are shared
        // (clients on the same machine, other loops) it runs a whole scheduler slice, then waits through the
        // others' slices while every connection it serves waits with it. With 100 clients on 2 cores, its
        // GETATTR p99 fell from 6.4-7.7 to 5.5-6.7 ms (6 of 6 alternated rounds); yielding without the check
        // raised the 16-session p99 from 0.9 to 2.2 ms, because a yield also costs the yielder a slice.
        strata_yield_if_busy(Self.repliesPerYieldCheck)
        calls.end()
        inFlight -= 1
        if inFlight == Self.maxInFlight - 1 { channel.setOption(.autoRead, value: true).whenComplete { _ in } }
    }

    /// Replies of at most this many bytes of results go out as one buffer with their record mark and header.
    static let copiedResults = 16 * 1024

    /// Writes the reply as few buffers as it can: the record mark, the header and small results are one
    /// buffer (one allocation and one `write` instead of three); large results and a READ's data follow it as
    /// they are.
    private func send(_ reply: RPCReply, xid: UInt32, on channel: any Channel) {
        var parts: [ByteBuffer] = []
        switch reply {
        case .success(let results): parts = [results]
        case .successWithTail(let results, let tail): parts = [results] + tail
        default: break
        }
        let copied = parts.first.map { $0.readableBytes <= Self.copiedResults } ?? false
        var head = channel.allocator.buffer(capacity: 4 + Self.largestHeader + (copied ? parts[0].readableBytes : 0))
        head.moveWriterIndex(forwardBy: 4)
        reply.writeHeader(xid: xid, into: &head)
        if copied { head.writeImmutableBuffer(parts.removeFirst()) }
        let length = head.readableBytes - 4 + parts.reduce(0) { $0 + $1.readableBytes }
        head.setInteger(UInt32(length) | 0x8000_0000, at: head.readerIndex, endianness: .big)
        if parts.isEmpty {
            channel.writeAndFlush(head, promise: nil)
            return
        }
        channel.write(head, promise: nil)
        for part in parts { channel.write(part, promise: nil) }
        channel.flush()
    }

    /// The longest reply header (an accepted PROG_MISMATCH: eight words).
    private static let largestHeader = 32

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing connection: \(error)")
        context.close(promise: nil)
    }
}
