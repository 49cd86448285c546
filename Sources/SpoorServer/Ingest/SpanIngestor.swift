import Logging
import Metrics
import SpoorModel
import SpoorStorage

/// Transports spans arrive on; a closed set, used as a metric dimension.
package enum Transport: String, Sendable, CaseIterable {
    case udpCompact = "udp_compact"
    case udpBinary = "udp_binary"
    case thriftHTTP = "thrift_http"
    case otlpHTTP = "otlp_http"
    case otlpGRPC = "otlp_grpc"
    case jaegerGRPC = "jaeger_grpc"
    case zipkinHTTP = "zipkin_http"
}

/// Why spans were not stored; a closed set, used as a metric dimension.
package enum DropReason: String, Sendable, CaseIterable {
    case decodeError = "decode_error"
    case queueFull = "queue_full"
    case shuttingDown = "shutting_down"
    case writeError = "write_error"
    case unsupported
    case tenant
}

/// Outcome of an acknowledged ingest.
package enum IngestError: Error, Sendable {
    /// The queue is full: tell the client to retry later.
    case overloaded
    /// The server is stopping.
    case unavailable
    /// RocksDB failed.
    case storage(String)
}

/// Where an ingestor's spans go: the store's writer (`IndexedSink`), or a stand-in measuring the least a store can do
/// (`spoor bench-serve-floor`).
package protocol SpanSink: Sendable {
    /// Stores spans; returns once they are durable (in the WAL).
    func write(_ spans: [Span], tenant: String) async throws(StorageError)
    /// Queues spans without waiting (UDP); false when they were refused.
    func enqueue(_ spans: [Span], tenant: String) -> Bool
}

/// The server's sink: every span indexed by `SpanStore.prepare`, then written by the group-committing `SpanWriter`.
package struct IndexedSink: SpanSink {
    let store: SpanStore
    let writer: SpanWriter

    package func write(_ spans: [Span], tenant: String) async throws(StorageError) {
        _ = try await writer.write(store.prepare(tenant: tenant, spans: spans))
    }

    package func enqueue(_ spans: [Span], tenant: String) -> Bool {
        writer.enqueue(store.prepare(tenant: tenant, spans: spans))
    }
}

/// Normalises decoded spans and hands them to the sink, counting per transport.
package struct SpanIngestor: Sendable {
    private let sink: any SpanSink
    private let metrics: IngestMetrics

    /// Creates an ingestor writing to the store through `writer`.
    package init(store: SpanStore, writer: SpanWriter, factory: any MetricsFactory = MetricsSystem.factory) {
        self.init(sink: IndexedSink(store: store, writer: writer), factory: factory)
    }

    /// Creates an ingestor writing to `sink`.
    package init(sink: any SpanSink, factory: any MetricsFactory = MetricsSystem.factory) {
        self.sink = sink
        self.metrics = IngestMetrics(factory: factory)
    }

    /// Writes spans and returns once they are in the WAL (HTTP and gRPC transports).
    package func ingest(_ spans: [Span], tenant: String, transport: Transport) async throws(IngestError) {
        metrics.received(transport).increment(by: spans.count)
        do {
            try await sink.write(Self.sanitized(spans), tenant: tenant)
        } catch {
            switch error {
            case .overloaded:
                metrics.dropped(transport, .queueFull).increment(by: spans.count)
                throw .overloaded
            case .closed:
                metrics.dropped(transport, .shuttingDown).increment(by: spans.count)
                throw .unavailable
            default:
                metrics.dropped(transport, .writeError).increment(by: spans.count)
                throw .storage(error.description)
            }
        }
    }

    /// Queues spans without waiting (UDP); counts them as dropped when the queue is full.
    package func enqueue(_ spans: [Span], tenant: String, transport: Transport) {
        metrics.received(transport).increment(by: spans.count)
        if !sink.enqueue(Self.sanitized(spans), tenant: tenant) {
            metrics.dropped(transport, .queueFull).increment(by: spans.count)
        }
    }

    /// Counts spans (or one datagram) dropped before ingest.
    package func countDropped(_ count: Int, transport: Transport, reason: DropReason) {
        metrics.dropped(transport, reason).increment(by: count)
    }

    /// Counts a request refused with an error status.
    package func countRejected(transport: Transport, code: String) {
        metrics.rejected(transport, code).increment()
    }

    /// The spans with `sanitized(_:)` applied; the same array (no copy) when every span already has a service name.
    static func sanitized(_ spans: [Span]) -> [Span] {
        spans.contains { $0.process.serviceName.isEmpty } ? spans.map(sanitized) : spans
    }

    /// Jaeger's collector sanitizers: every span has a usable service name.
    static func sanitized(_ span: Span) -> Span {
        guard span.process.serviceName.isEmpty else { return span }
        var span = span
        span.process.serviceName = ServiceNames.emptyServiceName
        return span
    }
}

struct IngestMetrics: Sendable {
    private let receivedCounters: [Transport: Counter]
    private let droppedCounters: [String: Counter]
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        var received: [Transport: Counter] = [:]
        var dropped: [String: Counter] = [:]
        for transport in Transport.allCases {
            received[transport] = Counter(
                label: "spoor_collector_spans_received_total", dimensions: [("transport", transport.rawValue)], factory: factory)
            for reason in DropReason.allCases {
                dropped["\(transport.rawValue)/\(reason.rawValue)"] = Counter(
                    label: "spoor_collector_spans_dropped_total",
                    dimensions: [("transport", transport.rawValue), ("reason", reason.rawValue)], factory: factory)
            }
        }
        receivedCounters = received
        droppedCounters = dropped
    }

    func received(_ transport: Transport) -> Counter {
        receivedCounters[transport] ?? Counter(label: "spoor_collector_spans_received_total", factory: factory)
    }

    func dropped(_ transport: Transport, _ reason: DropReason) -> Counter {
        droppedCounters["\(transport.rawValue)/\(reason.rawValue)"]
            ?? Counter(label: "spoor_collector_spans_dropped_total", factory: factory)
    }

    func rejected(_ transport: Transport, _ code: String) -> Counter {
        Counter(
            label: "spoor_collector_requests_rejected_total", dimensions: [("transport", transport.rawValue), ("code", code)],
            factory: factory)
    }
}
