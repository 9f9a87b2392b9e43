import IAM
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// HTTP/1.1 for the management API: each request is read whole (bodies over 1 MiB are refused with 413),
/// handed to `ManagementAPI.handle`, and answered; keep-alive and pipelining as NIO provides them.
public final class HTTPServer: Sendable {
    static let maxBody = 1 << 20
    private let api: ManagementAPI
    private let group: MultiThreadedEventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)

    public init(api: ManagementAPI, threads: Int = 1) {
        self.api = api
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    @discardableResult
    public func start(host: String, port: Int) async throws -> SocketAddress {
        let api = self.api
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(APIRequestHandler(api: api))
                }
            }
            .bind(host: host, port: port).get()
        channel.withLock { $0 = bound }
        return bound.localAddress!
    }

    public func stop() async {
        if let bound = channel.withLock({ $0 }) { try? await bound.close() }
        try? await group.shutdownGracefully()
    }
}

final class APIRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: ManagementAPI
    // Touched on the channel's event loop only.
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(api: ManagementAPI) { self.api = api }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h; body = []; tooLarge = false
        case .body(let chunk):
            if body.count + chunk.readableBytes > HTTPServer.maxBody { tooLarge = true } else { body += chunk.readableBytesView }
        case .end:
            guard let head else { return }
            self.head = nil
            let channel = context.channel
            let keepAlive = head.isKeepAlive
            if tooLarge {
                write(APIResponse(status: 413, headers: [("Content-Type", "application/json")],
                                  body: Array(#"{"ErrorCode":"BadRequest","Message":"Request body too large."}"#.utf8)),
                      keepAlive: false, on: channel)
                return
            }
            let uri = head.uri
            let queryStart = uri.firstIndex(of: "?")
            let request = SignedRequest(method: head.method.rawValue,
                                        path: String(uri[..<(queryStart ?? uri.endIndex)]),
                                        query: queryStart.map { String(uri[uri.index(after: $0)...]) } ?? "",
                                        headers: head.headers.map { ($0.name, $0.value) }, body: body)
            let api = self.api
            Task {
                let response = await api.handle(request)
                channel.eventLoop.execute { self.write(response, keepAlive: keepAlive, on: channel) }
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
