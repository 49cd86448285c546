import Foundation
import NIOCore
import SpoorModel
import SpoorQuery
import SpoorTestSupport
import SpoorWire
import Testing

/// `POST /api/transform`: OTLP/JSON decoded by SpoorWire, rendered by `TransformEndpoint`.
struct TransformEndpointTests {
    static func decode(_ json: Data) throws -> [Span] {
        try OTLPDecoder.decodeJSON(ByteBuffer(bytes: json))
    }

    @Test func jaegersOTLPFixtureTransformsToItsExpectedResponse() throws {
        let spans = try Self.decode(UIModelFixtures.data("otlp2jaeger-in"))
        let body = TransformEndpoint.body(spans)
        #expect(try UIModelFixtures.canonical(Data(body)) == UIModelFixtures.canonical(fixture: "otlp2jaeger-out"))
    }

    @Test func spansAreGroupedByTraceInFirstSeenOrder() {
        let spans = [
            SpanBuilder.span(trace: 2, span: 1, service: "a", operation: "x", startMicros: 10),
            SpanBuilder.span(trace: 1, span: 2, service: "a", operation: "y", startMicros: 5),
            SpanBuilder.span(trace: 2, span: 3, service: "b", operation: "z", startMicros: 1),
        ]
        let traces = TransformEndpoint.traces(spans)
        #expect(traces.map { $0.map(\.spanID) } == [[SpanID(1), SpanID(3)], [SpanID(2)]])
        #expect(traces.map { $0.first?.traceID } == [TraceID(high: 0, low: 2), TraceID(high: 0, low: 1)])
    }

    @Test(arguments: ["{", "[1,2]", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#])
    func invalidOTLPJSONIsA400WithJaegersPrefix(json: String) throws {
        let detail: String
        do throws(OTLPError) {
            _ = try OTLPDecoder.decodeJSON(ByteBuffer(string: json))
            Issue.record("decoding \(json) should fail")
            return
        } catch {
            detail = error.description
        }
        let body = TransformEndpoint.malformedBody(detail)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let errors = try #require(object["errors"] as? [[String: Any]])
        #expect(errors.first?["code"] as? Int == 400)
        let message = try #require(errors.first?["msg"] as? String)
        #expect(message == "cannot unmarshal OTLP : " + detail)
        #expect(!detail.isEmpty)
        #expect(object["data"] is NSNull)
    }

    @Test func emptyRequestGivesNoTraces() throws {
        let spans = try Self.decode(Data(#"{"resourceSpans":[]}"#.utf8))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(TransformEndpoint.body(spans))) as? [String: Any])
        #expect((object["data"] as? [Any])?.isEmpty == true)
    }
}
