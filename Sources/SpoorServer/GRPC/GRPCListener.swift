import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// Runs a gRPC server (plaintext HTTP/2) as a Service with graceful shutdown.
package struct GRPCListener: Service {
    private let host: String
    private let port: Int
    private let services: [any RegistrableRPCService]
    private let maxMessageBytes: Int
    private let readiness: Readiness
    private let logger: Logger

    /// Creates the listener.
    package init(
        host: String, port: Int, services: [any RegistrableRPCService], maxMessageBytes: Int, readiness: Readiness, logger: Logger
    ) {
        self.host = host
        self.port = port
        self.services = services
        self.maxMessageBytes = maxMessageBytes
        self.readiness = readiness
        var logger = logger
        logger[metadataKey: "component"] = "grpc"
        self.logger = logger
    }

    /// Serves until graceful shutdown.
    package func run() async throws {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = maxMessageBytes
        config.compression.enabledAlgorithms = [.gzip, .deflate]
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port), transportSecurity: .plaintext, config: config)
        let server = GRPCServer(transport: transport, services: services)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await withGracefulShutdownHandler {
                    try await server.serve()
                } onGracefulShutdown: {
                    server.beginGracefulShutdown()
                }
            }
            if let address = try await transport.listeningAddress.ipv4 {
                logger.info("Listening", metadata: ["transport": "grpc", "port": "\(address.port)"])
            }
            readiness.listenerReady(now: Clock.unixSeconds())
        }
    }
}
