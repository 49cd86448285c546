import SpoorModel
import SpoorWire
import Testing

@testable import SpoorServer

struct SpanIngestorSanitizeTests {
    private static func span(_ service: String, _ id: UInt64) -> Span {
        Span(
            traceID: TraceID(high: 0, low: 1), spanID: SpanID(id), operationName: "op", references: [], flags: 1,
            startTimeUnixNanos: 1, durationNanos: 1, tags: [], logs: [], process: Process(serviceName: service))
    }

    @Test func onlySpansWithoutAServiceNameAreRenamed() {
        let named = [Self.span("a", 1), Self.span("b", 2)]
        #expect(SpanIngestor.sanitized(named) == named)
        let mixed = [Self.span("a", 1), Self.span("", 2)]
        #expect(SpanIngestor.sanitized(mixed).map(\.process.serviceName) == ["a", ServiceNames.emptyServiceName])
        #expect(SpanIngestor.sanitized(mixed).map(\.spanID) == [SpanID(1), SpanID(2)])
    }
}
