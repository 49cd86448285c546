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
        let handler = { [ingestor, thriftProtocol, logger, tenancy] (buffer: ByteBuffer) in
            do {
                switch try JaegerThrift.decodeAgentDatagram(buffer, protocol: thriftProtocol) {
                case .emitBatch(let spans), .emitZipkinBatch(let spans):
                    let tag = tenancy.configuration.udpTenantTag
                    let value = spans.first?.process.tags.first(where: { $0.key == tag })?.value.searchString
                    guard let tenant = try? tenancy.tenant(processTagValue: value) else {
                        ingestor.countDropped(spans.count, transport: transport, reason: .tenant)
                        return
                    }
                    ingestor.enqueue(spans, tenant: tenant, transport: transport)
                }
            } catch {
                ingestor.countDropped(1, transport: transport, reason: .decodeError)
                logger.debug("Dropped undecodable datagram", metadata: ["error": "\(error)", "transport": "\(transport.rawValue)"])
            }
        }
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler(onDatagram: handler))
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

/// Passes each datagram's payload to a closure.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let onDatagram: (ByteBuffer) -> Void

    init(onDatagram: @escaping (ByteBuffer) -> Void) { self.onDatagram = onDatagram }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onDatagram(unwrapInboundIn(data).data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Read errors on a datagram socket (e.g. ICMP port unreachable) are not fatal.
    }
}
