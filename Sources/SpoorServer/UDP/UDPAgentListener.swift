import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SpoorModel
import SpoorWire

/// A UDP agent port (6831 compact, 6832 binary): one Thrift `emitBatch` message per datagram, no reply.
/// Bad datagrams are dropped and counted; the channel keeps running.
package struct UDPAgentListener: Service {
    private let host: String
    private let port: Int
    private let thriftProtocol: ThriftProtocolKind
    private let ingestor: SpanIngestor
    private let readiness: Readiness
    private let logger: Logger
    private let tenancy: TenantResolver

    /// Creates the listener.
    package init(
        host: String, port: Int, protocol thriftProtocol: ThriftProtocolKind, ingestor: SpanIngestor, readiness: Readiness,
        tenancy: TenantResolver, logger: Logger
    ) {
        self.host = host
        self.port = port
        self.thriftProtocol = thriftProtocol
        self.ingestor = ingestor
        self.readiness = readiness
        self.tenancy = tenancy
        var logger = logger
        logger[metadataKey: "component"] = "udp"
        self.logger = logger
    }

    /// Binds, serves until graceful shutdown, closes.
    package func run() async throws {
        let transport: Transport = thriftProtocol == .compact ? .udpCompact : .udpBinary
        let decode: @Sendable (ByteBuffer) -> (spans: [Span], tenant: String)? = { [ingestor, thriftProtocol, logger, tenancy] buffer in
            do {
                switch try JaegerThrift.decodeAgentDatagram(buffer, protocol: thriftProtocol) {
                case .emitBatch(let spans), .emitZipkinBatch(let spans):
                    let tag = tenancy.configuration.udpTenantTag
                    let value = spans.first?.process.tags.first(where: { $0.key == tag })?.value.searchString
                    guard let tenant = try? tenancy.tenant(processTagValue: value) else {
                        ingestor.countDropped(spans.count, transport: transport, reason: .tenant)
                        return nil
                    }
                    return (spans, tenant)
                }
            } catch {
                ingestor.countDropped(1, transport: transport, reason: .decodeError)
                logger.debug("Dropped undecodable datagram", metadata: ["error": "\(error)", "transport": "\(transport.rawValue)"])
                return nil
            }
        }
        // Encoding and queueing stay on the event loop: under a flood the socket buffer overflows (the kernel counts
        // it) instead of work piling up in memory. Measured: handing batches to the task pool let the event loop
        // decode ~100k spans/s that the writer could not take, and RSS passed 1 GiB.
        let queue: @Sendable ([Span], String) -> Void = { [ingestor] spans, tenant in
            ingestor.enqueue(spans, tenant: tenant, transport: transport)
        }
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler(decode: decode, queue: queue))
                }
            }
            .bind(host: host, port: port)
            .get()
        logger.info("Listening", metadata: ["transport": "\(transport.rawValue)", "port": "\(port)"])
        readiness.listenerReady(now: Clock.unixSeconds())
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Decodes each datagram and gathers the spans per tenant for up to `maxDelay` or `maxSpans`, then queues them as one
/// write. A datagram carries one process's spans (often a handful); queued together, a flood of them costs the
/// writer per-batch index entries instead of per-datagram ones. UDP is never acknowledged, so the delay loses nothing
/// that was promised; the gathered spans are queued when the channel closes.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    /// Spans gathered before they are queued.
    static let maxSpans = 1_000
    /// Longest a span waits to be queued.
    static let maxDelay = TimeAmount.milliseconds(50)

    private let decode: (ByteBuffer) -> (spans: [Span], tenant: String)?
    private let queue: ([Span], String) -> Void
    /// By the tenant's UTF-8 bytes: two Unicode spellings of a tenant name are two tenants, never one batch.
    private var gathered: [[UInt8]: (tenant: String, spans: [Span])] = [:]
    private var gatheredCount = 0
    private var flushTask: Scheduled<Void>?

    init(decode: @escaping (ByteBuffer) -> (spans: [Span], tenant: String)?, queue: @escaping ([Span], String) -> Void) {
        self.decode = decode
        self.queue = queue
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let (spans, tenant) = decode(unwrapInboundIn(data).data), !spans.isEmpty else { return }
        gathered[Array(tenant.utf8), default: (tenant, [])].spans.append(contentsOf: spans)
        gatheredCount += spans.count
        if gatheredCount >= Self.maxSpans {
            flush()
        } else if flushTask == nil {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            flushTask = context.eventLoop.scheduleTask(in: Self.maxDelay) { loopBound.value.flush() }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        flush()
    }

    /// Queues everything gathered.
    private func flush() {
        flushTask?.cancel()
        flushTask = nil
        let batches = gathered
        gathered = [:]
        gatheredCount = 0
        for batch in batches.values { queue(batch.spans, batch.tenant) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Read errors on a datagram socket (e.g. ICMP port unreachable) are not fatal.
    }
}

