import SpoorModel
import SpoorStorage
import Synchronization
import Testing

@testable import SpoorServer

/// `SpanIngestor` hands sanitized spans and their tenant to its sink, and turns the sink's refusals into the answers
/// the collectors give (RESOURCE_EXHAUSTED / 503, UNAVAILABLE, INTERNAL).
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
}
