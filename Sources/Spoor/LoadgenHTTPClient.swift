import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal keep-alive HTTP/1.1 client for the load generator: one connection, one POST at a time,
/// reconnecting after the server closes it. Used by a single worker task.
final class LoadgenHTTPConnection {
    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private var channel: (any Channel)?

    init(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.group = group
    }

    /// POSTs `body` to `path` and returns the response status code.
    func post(path: String, contentType: String, body: [UInt8]) async throws -> Int {
        let channel = try await connected()
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Length", value: String(body.count))
        let response = channel.eventLoop.makePromise(of: Int.self)
        let request = LoadgenHTTPRequest(head: head, body: ByteBuffer(bytes: body), response: response)
        // A write that never reaches the handler (closed channel) must still complete the promise;
        // completing it twice is a no-op.
        channel.writeAndFlush(request).whenFailure { response.fail($0) }
        do {
            return try await response.futureResult.get()
        } catch {
            self.channel = nil
            channel.close(promise: nil)
            throw error
        }
    }

    /// Closes the connection, if open.
    func close() async {
        try? await channel?.close()
        channel = nil
    }

    private func connected() async throws -> any Channel {
        if let channel, channel.isActive { return channel }
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(LoadgenHTTPHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        self.channel = channel
        return channel
    }
}

/// One request and the promise of its response status.
struct LoadgenHTTPRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var response: EventLoopPromise<Int>
}

/// Writes requests as head/body/end and completes their promises in order as responses end.
final class LoadgenHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = LoadgenHTTPRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<Int>>()
    private var status = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.response)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body: break
        case .end: waiting.popFirst()?.succeed(status)
        }
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
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
