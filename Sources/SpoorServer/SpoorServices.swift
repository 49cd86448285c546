import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle
import SpoorQuery
import SpoorStorage
import SpoorWire

/// A `host:port` listen address (`:6831` binds every interface).
package struct HostPort: Sendable, Equatable {
    package var host: String
    package var port: Int

    /// Creates an address.
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `:PORT`, `HOST:PORT` or `[V6]:PORT`.
    package init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }
}

/// Every listen address and limit of the server.
package struct SpoorServerConfiguration: Sendable {
    package var compactUDP: HostPort?
    package var binaryUDP: HostPort?
    package var thriftHTTP: HostPort?
    package var otlpGRPC: HostPort?
    package var otlpHTTP: HostPort?
    package var queryHTTP: HostPort?
    package var jaegerGRPC: HostPort?
    package var samplingHTTP: HostPort?
    package var zipkinHTTP: HostPort?
    package var queryGRPC: HostPort?
    package var admin: HostPort?
    package var queueSpans: Int
    package var queueBytes: Int
    package var maxRequestBytes: Int
    package var tenancy = TenancyConfiguration()
    /// Strategies served on 5778, /api/sampling and SamplingManager.
    package var sampling: SamplingStrategyStore?
    /// How often the strategies file is checked for changes (zero: never).
    package var samplingReloadInterval: Duration = .seconds(10)
    /// Largest clock-skew shift the query adjusters apply, in nanoseconds (0: off, as Jaeger's default).
    package var maxClockSkewAdjustmentNanos: UInt64 = 0
    /// Prefix of every route on the query HTTP port (`--query.base-path`).
    package var basePath: BasePath = .root
    /// Jaeger UI build served on the query HTTP port (`--query.static-files`); nil serves a landing page.
    package var staticFilesPath: String?
    /// UI config substituted into index.html (`--query.ui-config`, `.json` or `.js`).
    package var uiConfigPath: String?

    /// Creates a configuration; a nil address disables that listener.
    package init(
        compactUDP: HostPort?, binaryUDP: HostPort?, thriftHTTP: HostPort?, otlpGRPC: HostPort?, otlpHTTP: HostPort?,
        queryHTTP: HostPort?, admin: HostPort?, queueSpans: Int, queueBytes: Int, maxRequestBytes: Int
    ) {
        self.compactUDP = compactUDP
        self.binaryUDP = binaryUDP
        self.thriftHTTP = thriftHTTP
        self.otlpGRPC = otlpGRPC
        self.otlpHTTP = otlpHTTP
        self.queryHTTP = queryHTTP
        self.admin = admin
        self.queueSpans = queueSpans
        self.queueBytes = queueBytes
        self.maxRequestBytes = maxRequestBytes
    }
}

/// Builds the ordered list of services: writer and retention first (stopped last), then the admin port, then the
/// listeners, and last a watcher that marks the process not-ready as soon as shutdown begins.
package enum SpoorServices {
    /// Creates every service.
    /// - Throws: `UIBundleError` or `UIConfigError` when the UI folder or UI config file cannot be used.
    package static func make(
        store: SpanStore, configuration: SpoorServerConfiguration, logger: Logger, metrics: @escaping @Sendable () -> [UInt8]
    ) throws -> [any Service] {
        let tenancy = TenantResolver(configuration.tenancy)
        let writer = SpanWriter(
            store: store, maxQueuedSpans: configuration.queueSpans, maxQueuedBytes: configuration.queueBytes, logger: logger,
            now: { Clock.unixNanos() })
        let ingestor = SpanIngestor(store: store, writer: writer)
        let listenerCount = [
            configuration.compactUDP, configuration.binaryUDP, configuration.thriftHTTP, configuration.otlpGRPC,
            configuration.otlpHTTP, configuration.queryHTTP, configuration.jaegerGRPC, configuration.samplingHTTP,
            configuration.zipkinHTTP, configuration.queryGRPC,
        ].compactMap { $0 }.count
        let search = TraceSearch(store: store)
        let adjust = TraceAdjusters(maxClockSkewAdjustmentNanos: configuration.maxClockSkewAdjustmentNanos).adjust
        let sampling = configuration.sampling ?? SamplingStrategyStore(logger: logger)
        let readiness = Readiness(listeners: listenerCount)
        var services: [any Service] = [
            writer, RetentionService(store: store, logger: logger, now: { Clock.unixNanos() }),
            SamplingStrategiesReloader(store: sampling, interval: configuration.samplingReloadInterval),
        ]

        if let address = configuration.admin {
            let router = Router()
            AdminRoutes.add(
                to: router, readiness: readiness,
                metrics: {
                    metrics() + Array(KernelUDPCounters.prometheusText().utf8)
                        + Array(StorageMemoryGauges.prometheusText(store: store, writer: writer).utf8)
                })
            services.append(httpApplication(router, address, logger: logger, name: "admin", readiness: nil))
        }
        services += collectors(
            ingestor: ingestor, configuration: configuration, tenancy: tenancy, sampling: sampling, readiness: readiness,
            logger: logger)
        if let address = configuration.samplingHTTP {
            let router = Router()
            SamplingRoutes.add(to: router, store: sampling)
            services.append(httpApplication(router, address, logger: logger, name: "sampling-http", readiness: readiness))
        }
        if let address = configuration.queryHTTP {
            let router = Router()
            // v3 routes first: the v1 routes end with the `/api/**` 404 catch-all.
            V3Routes.add(to: router, search: search, pool: NIOThreadPool.singleton, tenancy: tenancy, logger: logger, adjust: adjust)
            QueryRoutes.add(
                to: router, search: search, pool: NIOThreadPool.singleton, tenancy: tenancy, logger: logger, adjust: adjust)
            let ui = try UIRoutes.load(configuration: configuration, pool: NIOThreadPool.singleton, logger: logger)
            let front = UIBasePathResponderBuilder(router: router, basePath: configuration.basePath, ui: ui)
            services.append(httpApplication(front, address, logger: logger, name: "query-http", readiness: readiness))
        }
        if let address = configuration.queryGRPC {
            services.append(
                GRPCListener(
                    host: address.host, port: address.port,
                    services: [
                        QueryGRPCServiceV2(search: search, tenancy: tenancy, pool: NIOThreadPool.singleton, adjust: adjust),
                        QueryGRPCServiceV3(search: search, tenancy: tenancy, pool: NIOThreadPool.singleton, adjust: adjust),
                        GRPCHealthService(readiness: readiness),
                        GRPCReflectionService(), GRPCReflectionServiceV1Alpha(),
                    ],
                    maxMessageBytes: configuration.maxRequestBytes, readiness: readiness, logger: logger))
        }
        services.append(ShutdownWatcher(readiness: readiness))
        return services
    }

    /// The collector listeners of `configuration` (UDP agents, Thrift HTTP, OTLP HTTP and gRPC, Jaeger gRPC, Zipkin),
    /// each handing its spans to `ingestor`; the Thrift HTTP and Jaeger gRPC ports also serve `sampling`.
    package static func collectors(
        ingestor: SpanIngestor, configuration: SpoorServerConfiguration, tenancy: TenantResolver,
        sampling: SamplingStrategyStore, readiness: Readiness, logger: Logger
    ) -> [any Service] {
        var limits = CollectorLimits()
        limits.maxRequestBytes = configuration.maxRequestBytes
        var services: [any Service] = []
        if let address = configuration.compactUDP {
            services.append(
                UDPAgentListener(
                    host: address.host, port: address.port, protocol: .compact, ingestor: ingestor, readiness: readiness,
                    tenancy: tenancy, logger: logger))
        }
        if let address = configuration.binaryUDP {
            services.append(
                UDPAgentListener(
                    host: address.host, port: address.port, protocol: .binary, ingestor: ingestor, readiness: readiness,
                    tenancy: tenancy, logger: logger))
        }
        if let address = configuration.thriftHTTP {
            let router = Router()
            ThriftHTTPRoutes.add(to: router, ingestor: ingestor, limits: limits, tenancy: tenancy)
            SamplingRoutes.addCollectorRoute(to: router, store: sampling)
            services.append(httpApplication(router, address, logger: logger, name: "collector-http", readiness: readiness))
        }
        if let address = configuration.otlpHTTP {
            let router = Router()
            OTLPHTTPRoutes.add(to: router, ingestor: ingestor, limits: limits, tenancy: tenancy)
            services.append(httpApplication(router, address, logger: logger, name: "otlp-http", readiness: readiness))
        }
        if let address = configuration.otlpGRPC {
            services.append(
                GRPCListener(
                    host: address.host, port: address.port, services: [OTLPGRPCService(ingestor: ingestor, tenancy: tenancy)],
                    maxMessageBytes: configuration.maxRequestBytes, readiness: readiness, logger: logger))
        }
        if let address = configuration.jaegerGRPC {
            services.append(
                GRPCListener(
                    host: address.host, port: address.port,
                    services: [JaegerCollectorService(ingestor: ingestor, tenancy: tenancy), SamplingGRPCService(store: sampling)],
                    maxMessageBytes: configuration.maxRequestBytes, readiness: readiness, logger: logger))
        }
        if let address = configuration.zipkinHTTP {
            let router = Router()
            ZipkinRoutes.add(to: router, ingestor: ingestor, tenancy: tenancy, limits: limits)
            services.append(httpApplication(router, address, logger: logger, name: "zipkin-http", readiness: readiness))
        }
        return services
    }

    private static func httpApplication<Builder: HTTPResponderBuilder>(
        _ router: Builder, _ address: HostPort, logger: Logger, name: String, readiness: Readiness?
    ) -> any Service where Builder.Responder.Context == BasicRequestContext {
        var logger = logger
        logger[metadataKey: "component"] = "\(name)"
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { _ in readiness?.listenerReady(now: Clock.unixSeconds()) },
            logger: logger)
    }
}

/// Marks the process not ready when graceful shutdown begins (health then answers 503).
struct ShutdownWatcher: Service {
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        readiness.stopping()
    }
}
