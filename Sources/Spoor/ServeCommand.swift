import ArgumentParser
import Foundation
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SpoorModel
import SpoorQuery
import SpoorServer
import SpoorStorage

/// `spoor serve`: storage, ingest, retention, then every listener, in one ServiceGroup.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the collectors, the store and the query API.",
        discussion: """
            Served: UDP 6831 (Thrift compact) and 6832 (Thrift binary), HTTP 14268 (Thrift, /api/sampling), \
            Jaeger gRPC 14250 (PostSpans, SamplingManager), Zipkin 9411, OTLP gRPC 4317 and HTTP 4318, sampling 5778, \
            query HTTP 16686 (v1 JSON API and api_v3), query gRPC 16685 (api_v2 and api_v3 QueryService), \
            admin 14269.
            """
    )

    @Option(
        name: .customLong("config-file"),
        help: """
            YAML file of flag values: keys are the flag names, dotted or nested (collector.otlp.grpc.host-port: \
            ":4317"); flags on the command line override it.
            """)
    var configFile: String?  // read before parsing (ConfigFile.expand)

    @Option(name: .customLong("data-dir"), help: "Directory of the embedded RocksDB store.")
    var dataDir = "./data"

    @Option(name: .customLong("retention"), help: "Keep spans this long (Go duration, e.g. 72h, 30m).")
    var retention = "72h"

    @Option(
        name: .customLong("query.max-clock-skew-adjustment"),
        help: "Largest clock-skew correction applied to a span when showing a trace (Go duration; 0s = off).")
    var maxClockSkewAdjustment = "0s"

    @Flag(name: .customLong("storage.sync-writes"), help: "fsync every acknowledged write (survives power loss, not only a crash).")
    var syncWrites = false

    @Option(name: .customLong("processor.jaeger-compact.server-host-port"), help: "UDP Thrift compact agent port.")
    var compactHostPort = ":6831"

    @Option(name: .customLong("processor.jaeger-binary.server-host-port"), help: "UDP Thrift binary agent port.")
    var binaryHostPort = ":6832"

    @Option(name: .customLong("collector.http-server.host-port"), help: "HTTP Thrift collector (POST /api/traces).")
    var collectorHTTPHostPort = ":14268"

    @Option(name: .customLong("collector.grpc-server.host-port"), help: "Jaeger gRPC collector (PostSpans) and SamplingManager.")
    var collectorGRPCHostPort = ":14250"

    @Option(name: .customLong("collector.otlp.grpc.host-port"), help: "OTLP gRPC receiver.")
    var otlpGRPCHostPort = ":4317"

    @Option(name: .customLong("collector.otlp.http.host-port"), help: "OTLP HTTP receiver (POST /v1/traces).")
    var otlpHTTPHostPort = ":4318"

    @Option(name: .customLong("collector.zipkin.host-port"), help: "Zipkin receiver (/api/v1/spans, /api/v2/spans).")
    var zipkinHostPort = ":9411"

    @Option(name: .customLong("http-server.host-port"), help: "Remote sampling HTTP (/sampling and legacy /).")
    var samplingHostPort = ":5778"

    @Option(name: .customLong("sampling.strategies-file"), help: "Jaeger sampling strategies JSON file (default: probabilistic 0.001).")
    var samplingStrategiesFile: String?

    @Option(name: .customLong("sampling.strategies-reload-interval"), help: "How often to reload the strategies file when it changes (Go duration; 0 = never).")
    var samplingReloadInterval = "10s"

    @Option(name: .customLong("query.http-server.host-port"), help: "Query HTTP API and UI.")
    var queryHTTPHostPort = ":16686"

    @Option(name: .customLong("query.base-path"), help: "URL prefix of every query HTTP route and the UI, e.g. /jaeger.")
    var queryBasePath = "/"

    @Option(name: .customLong("query.static-files"), help: "Folder of a Jaeger UI build to serve on the query HTTP port (index.html, static/; .gz files work).")
    var queryStaticFiles: String?

    @Option(name: .customLong("query.ui-config"), help: "Jaeger UI config file (.json, or .js defining function UIConfig()); re-read every 10s.")
    var queryUIConfig: String?

    @Option(name: .customLong("query.grpc-server.host-port"), help: "Query gRPC API (jaeger.api_v2 and api_v3 QueryService).")
    var queryGRPCHostPort = ":16685"

    @Option(name: .customLong("admin.http.host-port"), help: "Admin: health on / and Prometheus /metrics.")
    var adminHostPort = ":14269"

    @Option(name: .customLong("collector.queue-size"), help: "Spans waiting to be written before ingest is refused (503 / RESOURCE_EXHAUSTED / UDP drop).")
    var queueSize = 100_000

    @Option(name: .customLong("collector.queue-size-memory"), help: "MiB of memory held by spans waiting to be written (keys, values, bookkeeping) before ingest is refused.")
    var queueSizeMemoryMiB = 64

    @Option(name: .customLong("collector.max-request-bytes"), help: "Largest HTTP body or gRPC message accepted.")
    var maxRequestBytes = 16 << 20

    @Flag(name: .customLong("multi-tenancy.enabled"), help: "Require a tenant header on every HTTP/gRPC path and isolate tenants.")
    var multiTenancyEnabled = false

    @Option(name: .customLong("multi-tenancy.header"), help: "Header (HTTP) or metadata key (gRPC) naming the tenant.")
    var multiTenancyHeader = "x-tenant"

    @Option(name: .customLong("multi-tenancy.tenants"), help: "Comma-separated allowed tenants; empty accepts any non-empty tenant.")
    var multiTenancyTenants = ""

    @Option(name: .customLong("multi-tenancy.udp-tenant-tag"), help: "Process tag that names a UDP batch's tenant.")
    var udpTenantTag = "tenant"

    @Option(name: .customLong("log-level"), help: "debug, info, warn or error.")
    var logLevel = "info"

    func validate() throws {
        var problems: [String] = []
        if (try? GoDuration.parse(retention)) == nil { problems.append("--retention: invalid duration \"\(retention)\"") }
        if (try? GoDuration.parse(maxClockSkewAdjustment)) == nil {
            problems.append("--query.max-clock-skew-adjustment: invalid duration \"\(maxClockSkewAdjustment)\"")
        }
        if (try? GoDuration.parse(samplingReloadInterval)) == nil {
            problems.append("--sampling.strategies-reload-interval: invalid duration \"\(samplingReloadInterval)\"")
        }
        for (flag, value) in hostPorts where HostPort(value) == nil {
            problems.append("--\(flag): invalid host:port \"\(value)\"")
        }
        if queueSize <= 0 { problems.append("--collector.queue-size must be positive") }
        if queueSizeMemoryMiB <= 0 { problems.append("--collector.queue-size-memory must be positive") }
        if maxRequestBytes <= 0 { problems.append("--collector.max-request-bytes must be positive") }
        if multiTenancyHeader.isEmpty || HTTPField.Name(multiTenancyHeader) == nil {
            problems.append("--multi-tenancy.header: invalid header name \"\(multiTenancyHeader)\"")
        }
        do {
            _ = try BasePath(validating: queryBasePath)
        } catch {
            problems.append("--query.base-path: \(error)")
        }
        if Logger.Level(flag: logLevel) == nil { problems.append("--log-level: unknown level \"\(logLevel)\"") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "; ")) }
    }

    private var hostPorts: [(String, String)] {
        [
            ("processor.jaeger-compact.server-host-port", compactHostPort),
            ("processor.jaeger-binary.server-host-port", binaryHostPort),
            ("collector.http-server.host-port", collectorHTTPHostPort),
            ("collector.otlp.grpc.host-port", otlpGRPCHostPort),
            ("collector.grpc-server.host-port", collectorGRPCHostPort),
            ("http-server.host-port", samplingHostPort),
            ("collector.zipkin.host-port", zipkinHostPort),
            ("query.grpc-server.host-port", queryGRPCHostPort),
            ("collector.otlp.http.host-port", otlpHTTPHostPort),
            ("query.http-server.host-port", queryHTTPHostPort),
            ("admin.http.host-port", adminHostPort),
        ]
    }

    func run() async throws {
        let level = Logger.Level(flag: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "spoor")

        var storeConfig = StoreConfiguration()
        storeConfig.retentionNanos = try GoDuration.parse(retention)
        storeConfig.syncWrites = syncWrites
        try createDirectory(dataDir)
        let store = try SpanStore(path: dataDir, configuration: storeConfig, logger: logger)
        defer { store.close() }

        var server = SpoorServerConfiguration(
            compactUDP: HostPort(compactHostPort), binaryUDP: HostPort(binaryHostPort),
            thriftHTTP: HostPort(collectorHTTPHostPort), otlpGRPC: HostPort(otlpGRPCHostPort),
            otlpHTTP: HostPort(otlpHTTPHostPort), queryHTTP: HostPort(queryHTTPHostPort), admin: HostPort(adminHostPort),
            queueSpans: queueSize, queueBytes: queueSizeMemoryMiB << 20, maxRequestBytes: maxRequestBytes)
        server.jaegerGRPC = HostPort(collectorGRPCHostPort)
        server.samplingHTTP = HostPort(samplingHostPort)
        server.zipkinHTTP = HostPort(zipkinHostPort)
        server.queryGRPC = HostPort(queryGRPCHostPort)
        if let path = samplingStrategiesFile {
            server.sampling = try SamplingStrategyStore(path: path, logger: logger)
        }
        server.samplingReloadInterval = .nanoseconds(Int64(clamping: try GoDuration.parse(samplingReloadInterval)))
        server.maxClockSkewAdjustmentNanos = try GoDuration.parse(maxClockSkewAdjustment)
        server.tenancy.enabled = multiTenancyEnabled
        server.tenancy.header = multiTenancyHeader
        server.tenancy.tenants = Set(
            multiTenancyTenants.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { ExactString($0) })
        server.tenancy.udpTenantTag = udpTenantTag
        server.basePath = try BasePath(validating: queryBasePath)
        server.staticFilesPath = queryStaticFiles.flatMap { $0.isEmpty ? nil : $0 }
        server.uiConfigPath = queryUIConfig.flatMap { $0.isEmpty ? nil : $0 }
        let services = try SpoorServices.make(store: store, configuration: server, logger: logger) { registry.emitToBuffer() }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("Stopped")
    }

    private func createDirectory(_ path: String) throws {
        var isDirectory = false
        if directoryExists(path, &isDirectory), isDirectory { return }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw ValidationError("cannot create data directory \(path)")
        }
    }

    private func directoryExists(_ path: String, _ isDirectory: inout Bool) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        return true
    }
}

extension Logger.Level {
    init?(flag: String) {
        switch flag.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warning
        case "error": self = .error
        case "fatal", "critical": self = .critical
        default: return nil
        }
    }
}
