import SpoorModel
import SpoorStorage
import SpoorTestSupport
import Synchronization
import Testing

@testable import SpoorServer

/// `SpanIngestor` hands sanitized spans and their tenant to its sink, turns the sink's refusals into the answers the
/// collectors give (RESOURCE_EXHAUSTED / 503, UNAVAILABLE, INTERNAL), and counts what it received and dropped per
/// transport.
struct SpanIngestorSinkTests {
    final class RecordingSink: SpanSink {
        let calls = Mutex<[(spans: [Span], tenant: String)]>([])
        let failure: StorageError?
        let accepting: Bool

        init(failure: StorageError? = nil, accepting: Bool = true) {
            self.failure = failure
            self.accepting = accepting
        }

        func write(_ spans: [Span], tenant: String) async throws(StorageError) {
            calls.withLock { $0.append((spans, tenant)) }
            if let failure { throw failure }
        }

        func enqueue(_ spans: [Span], tenant: String) -> Bool {
            calls.withLock { $0.append((spans, tenant)) }
            return accepting
        }
    }

    private static func span(_ service: String, _ id: UInt64) -> Span {
        Span(
            traceID: TraceID(high: 0, low: 1), spanID: SpanID(id), operationName: "op", references: [], flags: 1,
            startTimeUnixNanos: 1, durationNanos: 1, tags: [], logs: [], process: Process(serviceName: service))
    }

    @Test func writesAndQueuesReachTheSinkSanitizedWithTheirTenant() async throws {
        let sink = RecordingSink()
        let ingestor = SpanIngestor(sink: sink)
        try await ingestor.ingest([Self.span("a", 1), Self.span("", 2)], tenant: "t1", transport: .otlpGRPC)
        ingestor.enqueue([Self.span("", 3)], tenant: "t2", transport: .udpCompact)
        let calls = sink.calls.withLock { $0 }
        #expect(calls.map(\.tenant) == ["t1", "t2"])
        #expect(calls[0].spans.map(\.process.serviceName) == ["a", ServiceNames.emptyServiceName])
        #expect(calls[0].spans.map(\.spanID) == [SpanID(1), SpanID(2)])
        #expect(calls[1].spans.map(\.process.serviceName) == [ServiceNames.emptyServiceName])
    }

    @Test(arguments: [StorageError.overloaded, .closed, .corrupt("x")])
    func sinkRefusalsBecomeTheCollectorsAnswers(_ failure: StorageError) async {
        let ingestor = SpanIngestor(sink: RecordingSink(failure: failure))
        do {
            try await ingestor.ingest([Self.span("a", 1)], tenant: "", transport: .thriftHTTP)
            Issue.record("the sink's \(failure) was not reported")
        } catch {
            switch (failure, error) {
            case (.overloaded, .overloaded), (.closed, .unavailable): break
            case (.corrupt, .storage(let message)): #expect(message == failure.description)
            default: Issue.record("\(failure) became \(error)")
            }
        }
    }

    // The metric names and dimension values are what dashboards and alerts query: spelled out here, not taken from
    // `Transport` and `DropReason`, so renaming one fails a test.
    private static let received = "spoor_collector_spans_received_total"
    private static let dropped = "spoor_collector_spans_dropped_total"
    private static let rejected = "spoor_collector_requests_rejected_total"

    private static func spans(_ count: Int) -> [Span] {
        (1...count).map { span("a", UInt64($0)) }
    }

    @Test func everyTransportAndReasonIsExportedBeforeItIsCounted() {
        let metrics = RecordingMetrics()
        _ = SpanIngestor(sink: RecordingSink(), factory: metrics)
        let transports = [
            "udp_compact", "udp_binary", "thrift_http", "otlp_http", "otlp_grpc", "jaeger_grpc", "zipkin_http",
        ]
        let reasons = ["decode_error", "queue_full", "shutting_down", "write_error", "unsupported", "tenant"]
        #expect(metrics.created(Self.received) == Set(transports.map { ["transport": $0] }))
        #expect(
            metrics.created(Self.dropped)
                == Set(transports.flatMap { transport in reasons.map { ["transport": transport, "reason": $0] } }))
        #expect(metrics.counts(Self.received).isEmpty)
        #expect(metrics.counts(Self.dropped).isEmpty)
    }

    @Test func storedSpansAreCountedReceivedPerTransportAndNotDropped() async throws {
        let metrics = RecordingMetrics()
        let ingestor = SpanIngestor(sink: RecordingSink(), factory: metrics)
        try await ingestor.ingest(Self.spans(3), tenant: "", transport: .thriftHTTP)
        try await ingestor.ingest(Self.spans(2), tenant: "", transport: .otlpGRPC)
        try await ingestor.ingest(Self.spans(4), tenant: "t", transport: .thriftHTTP)
        #expect(metrics.counts(Self.received) == [["transport": "thrift_http"]: 7, ["transport": "otlp_grpc"]: 2])
        #expect(metrics.counts(Self.dropped).isEmpty)
    }

    @Test(arguments: [
        (StorageError.overloaded, "queue_full"), (.closed, "shutting_down"), (.corrupt("x"), "write_error"),
    ])
    func refusedWritesAreCountedDroppedWithTheirReason(_ failure: StorageError, _ reason: String) async {
        let metrics = RecordingMetrics()
        let ingestor = SpanIngestor(sink: RecordingSink(failure: failure), factory: metrics)
        await #expect(throws: IngestError.self) {
            try await ingestor.ingest(Self.spans(3), tenant: "", transport: .otlpGRPC)
        }
        try? await ingestor.ingest(Self.spans(2), tenant: "", transport: .zipkinHTTP)
        #expect(metrics.counts(Self.received) == [["transport": "otlp_grpc"]: 3, ["transport": "zipkin_http"]: 2])
        #expect(
            metrics.counts(Self.dropped) == [
                ["transport": "otlp_grpc", "reason": reason]: 3, ["transport": "zipkin_http", "reason": reason]: 2,
            ])
    }

    @Test(arguments: [true, false])
    func queuedSpansRefusedBySinkAreCountedDroppedQueueFull(_ accepting: Bool) {
        let metrics = RecordingMetrics()
        let ingestor = SpanIngestor(sink: RecordingSink(accepting: accepting), factory: metrics)
        ingestor.enqueue(Self.spans(4), tenant: "", transport: .udpCompact)
        ingestor.enqueue(Self.spans(1), tenant: "", transport: .udpBinary)
        #expect(metrics.counts(Self.received) == [["transport": "udp_compact"]: 4, ["transport": "udp_binary"]: 1])
        let drops: [[String: String]: Int64] = [
            ["transport": "udp_compact", "reason": "queue_full"]: 4,
            ["transport": "udp_binary", "reason": "queue_full"]: 1,
        ]
        #expect(metrics.counts(Self.dropped) == (accepting ? [:] : drops))
    }

    @Test func countedDropsAndRejectionsGoToTheirLabelledCounters() {
        let metrics = RecordingMetrics()
        let ingestor = SpanIngestor(sink: RecordingSink(), factory: metrics)
        ingestor.countDropped(5, transport: .udpCompact, reason: .tenant)
        ingestor.countDropped(1, transport: .udpBinary, reason: .decodeError)
        ingestor.countDropped(2, transport: .udpCompact, reason: .tenant)
        ingestor.countDropped(3, transport: .zipkinHTTP, reason: .unsupported)
        ingestor.countRejected(transport: .otlpHTTP, code: "415")
        ingestor.countRejected(transport: .jaegerGRPC, code: "resource_exhausted")
        ingestor.countRejected(transport: .otlpHTTP, code: "415")
        ingestor.countRejected(transport: .otlpHTTP, code: "400")
        #expect(
            metrics.counts(Self.dropped) == [
                ["transport": "udp_compact", "reason": "tenant"]: 7,
                ["transport": "udp_binary", "reason": "decode_error"]: 1,
                ["transport": "zipkin_http", "reason": "unsupported"]: 3,
            ])
        #expect(
            metrics.counts(Self.rejected) == [
                ["transport": "otlp_http", "code": "415"]: 2, ["transport": "otlp_http", "code": "400"]: 1,
                ["transport": "jaeger_grpc", "code": "resource_exhausted"]: 1,
            ])
        #expect(metrics.counts(Self.received).isEmpty)
    }
}
