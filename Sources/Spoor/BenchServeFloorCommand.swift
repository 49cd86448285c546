import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import SpoorModel
import SpoorServer
import SpoorStorage
import Synchronization

/// `spoor bench-serve-floor`: the collectors of `spoor serve` (the same listeners, limits and decoders) in front of
/// `ChunkOnlyStore`, which writes each request's spans as one chunk record per trace through the WAL and indexes
/// nothing. Driven by `spoor loadgen`, it measures the floor of ingest through the network: what a server that
/// acknowledged only durable spans would cost per span with no index at all. Not a store to query.
struct BenchServeFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-serve-floor",
        abstract: "Serve the collectors with nothing indexed (a chunk record per trace through the WAL): ingest's floor.")

    @Option(name: .customLong("data-dir"), help: "Store directory (created when missing; the chunks are not queryable).")
    var dataDir = "./bench-floor-data"

    @Option(name: .customLong("collector.otlp.grpc.host-port"), help: "OTLP gRPC listen address (empty: off).")
    var otlpGRPCHostPort = ":4317"

    @Option(name: .customLong("collector.otlp.http.host-port"), help: "OTLP HTTP listen address (empty: off).")
    var otlpHTTPHostPort = ":4318"

    @Option(name: .customLong("collector.http-server.host-port"), help: "Jaeger Thrift HTTP listen address (empty: off).")
    var thriftHTTPHostPort = ":14268"

    @Option(name: .customLong("collector.max-request-bytes"), help: "Largest HTTP body or gRPC message accepted.")
    var maxRequestBytes = 16 << 20

    @Option(help: "Threads encoding and writing chunks.")
    var writers = 2

    func validate() throws {
        guard maxRequestBytes > 0, writers > 0 else { throw ValidationError("--collector.max-request-bytes and --writers must be positive") }
        for (flag, value) in [
            ("collector.otlp.grpc.host-port", otlpGRPCHostPort), ("collector.otlp.http.host-port", otlpHTTPHostPort),
            ("collector.http-server.host-port", thriftHTTPHostPort),
        ] where !value.isEmpty && HostPort(value) == nil {
            throw ValidationError("--\(flag) must be HOST:PORT or :PORT (empty turns it off), not \(value)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "spoor-bench-floor")
        logger.logLevel = .warning
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let store = try ChunkOnlyStore(path: dataDir)
        let pool = NIOThreadPool(numberOfThreads: writers)
        pool.start()
        let sink = FloorSink(store: store, pool: pool)
        let server = SpoorServerConfiguration(
            compactUDP: nil, binaryUDP: nil, thriftHTTP: HostPort(thriftHTTPHostPort), otlpGRPC: HostPort(otlpGRPCHostPort),
            otlpHTTP: HostPort(otlpHTTPHostPort), queryHTTP: nil, admin: nil, queueSpans: 0, queueBytes: 0,
            maxRequestBytes: maxRequestBytes)
        let listeners = [server.thriftHTTP, server.otlpGRPC, server.otlpHTTP].compactMap { $0 }.count
        let services = SpoorServices.collectors(
            ingestor: SpanIngestor(sink: sink), configuration: server, tenancy: TenantResolver(server.tenancy),
            sampling: SamplingStrategyStore(logger: logger), readiness: Readiness(listeners: listeners), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await pool.shutdownGracefully()
            store.close()
            throw error
        }
        try await pool.shutdownGracefully()
        store.close()
        print(
            "bench-serve-floor: \(sink.storedSpans.load(ordering: .relaxed)) spans stored in "
                + "\(sink.storedChunks.load(ordering: .relaxed)) chunk records")
    }
}

/// Writes each request's spans with `ChunkOnlyStore.write` on a thread pool (RocksDB writes block), answering once they
/// are in the WAL, as the server's writer does. The pool's queue is not bounded (nothing is refused as overloaded):
/// fine for a load generator with a fixed number of requests in flight, not for open-ended load.
final class FloorSink: SpanSink {
    let store: ChunkOnlyStore
    let pool: NIOThreadPool
    let storedSpans = Atomic<Int>(0)
    let storedChunks = Atomic<Int>(0)

    init(store: ChunkOnlyStore, pool: NIOThreadPool) {
        self.store = store
        self.pool = pool
    }

    func write(_ spans: [Span], tenant: String) async throws(StorageError) {
        let written: Int
        do {
            written = try await pool.runIfActive { [store] in try store.write(tenant: tenant, spans: spans) }
        } catch let error as RocksError {
            throw .rocks(error)
        } catch {
            throw .closed  // the pool stopped: shutting down
        }
        storedSpans.add(spans.count, ordering: .relaxed)
        storedChunks.add(written, ordering: .relaxed)
    }

    func enqueue(_ spans: [Span], tenant: String) -> Bool {
        false  // no UDP listener here
    }
}
