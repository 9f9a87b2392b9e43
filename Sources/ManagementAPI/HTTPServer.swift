import IAM
import JSONValue
import Locking
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// HTTP/1.1 for the management API: each request is read whole (bodies over 1 MiB are refused with 413,
/// at once when the request declares one), handed to `ManagementAPI.handle`, and answered; keep-alive and
/// pipelining as NIO provides them. A request whose bytes stop coming for `stallTimeout` is answered 408
/// and its connection closed, so a client cannot hold a connection with a half-sent request.
public final class HTTPServer: Sendable {
    static let maxBody = 1 << 20
    static let stallTimeout = TimeAmount.seconds(5)
    private let api: ManagementAPI
    private let group: MultiThreadedEventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)
    private let requests = InFlightCalls()

    public init(api: ManagementAPI, threads: Int = 1) {
        self.api = api
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    @discardableResult
    public func start(host: String, port: Int) async throws -> SocketAddress {
        let api = self.api, requests = self.requests
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(APIRequestHandler(api: api, requests: requests))
                }
            }
            .bind(host: host, port: port).get()
        channel.withLock { $0 = bound }
        return bound.localAddress!
    }

    /// Stops taking requests, lets those under way answer (for a few seconds at most), then shuts the event
    /// loop down: a request's answer is written on its loop.
    public func stop() async {
        requests.stopTaking()
        if let bound = channel.withLock({ $0 }) { try? await bound.close() }
        if await requests.waitUntilIdle(timeout: .seconds(10)) { try? await group.shutdownGracefully() }
    }
}

final class APIRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: ManagementAPI
    private let requests: InFlightCalls
    // Touched on the channel's event loop only.
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// A request already answered (refused) whose remaining parts are ignored until the connection closes.
    private var refused = false
    private var stall: Scheduled<Void>?

    init(api: ManagementAPI, requests: InFlightCalls) { self.api = api; self.requests = requests }

    private static func error(_ status: Int, _ code: String, _ message: String) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)],
                    body: JSON.object(["ErrorCode": .string(code), "Message": .string(message)]).serialized())
    }

    private func refuse(_ response: APIResponse, on channel: any Channel) {
        refused = true
        head = nil
        body = []
        stall?.cancel()
        write(response, keepAlive: false, on: channel)
    }

    /// (Re)arms the timer that answers a request whose bytes stop coming.
    private func watchForStall(_ context: ChannelHandlerContext) {
        stall?.cancel()
        let channel = context.channel
        stall = context.eventLoop.scheduleTask(in: HTTPServer.stallTimeout) { [self] in
            guard head != nil, !refused else { return }
            refuse(Self.error(408, "RequestTimeout", "The request was not received in time."), on: channel)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h; body = []; tooLarge = false
            if let declared = h.headers.first(name: "content-length").flatMap({ Int($0) }), declared > HTTPServer.maxBody {
                refuse(Self.error(413, "BadRequest", "Request body too large: \(declared) bytes declared, at most \(HTTPServer.maxBody)."),
                       on: context.channel)
                return
            }
            watchForStall(context)
        case .body(let chunk):
            if body.count + chunk.readableBytes > HTTPServer.maxBody { tooLarge = true } else { body += chunk.readableBytesView }
            watchForStall(context)
        case .end:
            stall?.cancel()
            guard let head else { return }
            self.head = nil
            let channel = context.channel
            let keepAlive = head.isKeepAlive
            if tooLarge {
                refuse(Self.error(413, "BadRequest", "Request body too large."), on: channel)
                return
            }
            let uri = head.uri
            let queryStart = uri.firstIndex(of: "?")
            let request = SignedRequest(method: head.method.rawValue,
                                        path: String(uri[..<(queryStart ?? uri.endIndex)]),
                                        query: queryStart.map { String(uri[uri.index(after: $0)...]) } ?? "",
                                        headers: head.headers.map { ($0.name, $0.value) }, body: body)
            let api = self.api, requests = self.requests
            guard requests.begin() else {  // the server is stopping
                refuse(Self.error(503, "ServiceUnavailable", "The server is stopping."), on: channel)
                return
            }
            Task {
                let response = await api.handle(request)
                channel.eventLoop.execute {
                    self.write(response, keepAlive: keepAlive, on: channel)
                    requests.end()
                }
            }
        }
    }

    private func write(_ response: APIResponse, keepAlive: Bool, on channel: any Channel) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if !response.body.isEmpty { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil) }
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stall?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        stall?.cancel()
        context.close(promise: nil)
    }
}
