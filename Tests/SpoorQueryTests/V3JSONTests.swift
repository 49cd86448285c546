import Foundation
import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorQuery

/// Foundation also has a `Process`.
private typealias Process = SpoorModel.Process

/// `V3JSON` and `OTLPSpanView`: the api_v3 bodies (spec/query-api.md §4, spec/ingest.md §4.3).
struct V3JSONTests {
    static let traceID = TraceID(high: 1, low: 2)

    /// Three spans covering every mapping rule; `Fixtures/v3/rich-trace-otlp.json` is their expected body.
    static func richTrace() -> [Span] {
        let checkout = Process(
            serviceName: "checkout",
            tags: [.string("hostname", "h1"), .string("jaeger.version", "Go-2.30.0"), .string("ip", "10.0.0.1")])
        let root = Span(
            traceID: traceID, spanID: SpanID(0x10), operationName: "GET /checkout",
            references: [
                SpanReference(refType: .childOf, traceID: traceID, spanID: SpanID(0x0f)),
                SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 0xaa), spanID: SpanID(0xbb)),
            ],
            flags: 1, startTimeUnixNanos: 1_000_000_000_123, durationNanos: 5_000,
            tags: [
                .string("otel.scope.name", "shop-lib"), .string("otel.scope.version", "1.2.0"),
                .string("http.method", "GET"), .int64("db.big", 1 << 60), .float64("ratio", 0.25), .bool("cached", true),
                Attribute(key: "blob", value: .binary([0, 1, 2, 255])), .string("span.kind", "server"),
                .string("otel.status_code", "ERROR"), .bool("error", true),
                .string("otel.status_description", "card declined"), .string("w3c.tracestate", "vendor=x"),
            ],
            logs: [
                SpanLog(timestampUnixNanos: 1_000_000_001_000, fields: [.string("event", "retry"), .int64("attempt", 2)]),
                SpanLog(timestampUnixNanos: 1_000_000_002_000, fields: [.string("note", "no name")]),
            ],
            process: checkout)
        let child = Span(
            traceID: traceID, spanID: SpanID(0x11), operationName: "SELECT orders",
            references: [SpanReference(refType: .childOf, traceID: traceID, spanID: SpanID(0x10))],
            startTimeUnixNanos: 1_000_000_001_000, durationNanos: 1_000,
            tags: [.int64("http.status_code", 404), .bool("error", false), .string("span.kind", "client")],
            process: checkout)
        let anonymous = Span(
            traceID: traceID, spanID: SpanID(0x12), operationName: "",
            startTimeUnixNanos: 1_000_000_003_000, durationNanos: 0,
            tags: [.string("span.kind", "sideways"), .string("otel.status_code", "OK")],
            process: Process(serviceName: ServiceNames.otlpNoServiceName))
        return [root, child, anonymous]
    }

    // MARK: Exact small bodies

    @Test func servicesIsAnArrayEvenWhenEmpty() {
        #expect(String(decoding: V3JSON.services([]), as: UTF8.self) == #"{"services":[]}"#)
        #expect(String(decoding: V3JSON.services(["a", "b\""]), as: UTF8.self) == #"{"services":["a","b\""]}"#)
    }

    @Test func operationsCarryNameAndKindWithInternalForUnspecified() {
        #expect(String(decoding: V3JSON.operations([]), as: UTF8.self) == #"{"operations":[]}"#)
        let body = V3JSON.operations([("GET /x", .server), ("work", .unspecified), ("send", .producer)])
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"operations":[{"name":"GET /x","spanKind":"server"},{"name":"work","spanKind":"internal"},"#
                + #"{"name":"send","spanKind":"producer"}]}"#)
    }

    @Test func noSummariesIsAnEmptyArray() {
        #expect(String(decoding: V3JSON.summaries([]), as: UTF8.self) == #"{"summaries":[]}"#)
        #expect(String(decoding: V3JSON.summaries([[]]), as: UTF8.self) == #"{"summaries":[]}"#)
    }

    @Test func noTracesIsAnEmptyResourceSpansList() {
        #expect(String(decoding: V3JSON.traces([]), as: UTF8.self) == #"{"result":{"resourceSpans":[]}}"#)
    }

    @Test(arguments: [
        (400, "query.startTimeMin and query.startTimeMax are required"),
        (404, "No traces found"),
        (500, "storage is closed"),
    ])
    func errorBodyIsTheGatewayShape(code: Int, message: String) throws {
        let body = V3JSON.error(httpCode: code, message: message)
        #expect(String(decoding: body, as: UTF8.self) == #"{"error":{"httpCode":\#(code),"message":"\#(message)"}}"#)
    }

    @Test func failuresMapToStatusAndBody() {
        #expect(V3Failure.notFound.httpCode == 404)
        #expect(String(decoding: V3Failure.notFound.body, as: UTF8.self) == #"{"error":{"httpCode":404,"message":"No traces found"}}"#)
        #expect(V3Failure.badRequest("x").httpCode == 400)
        #expect(V3Failure.storage("disk").httpCode == 500 && V3Failure.storage("disk").message == "disk")
    }

    // MARK: Traces

    @Test func richTraceMatchesTheGoldenOTLPBody() throws {
        let body = V3JSON.traces([Self.richTrace()])
        #expect(try V3Test.canonical(body) == V3Test.canonical(V3Test.fixture("v3/rich-trace-otlp.json")))
    }

    @Test func tracesAreGroupedPerTraceThenProcessThenScope() throws {
        let a = SpanBuilder.span(trace: 1, span: 1, service: "a", startMicros: 1_000)
        let b = SpanBuilder.span(trace: 1, span: 2, service: "b", startMicros: 1_000)
        let a2 = SpanBuilder.span(trace: 1, span: 3, service: "a", startMicros: 1_000, tags: [.string("otel.scope.name", "lib")])
        let other = SpanBuilder.span(trace: 2, span: 4, service: "a", startMicros: 1_000)
        let result = try #require(try V3Test.object(V3JSON.traces([[a, b, a2], [other]]))["result"] as? [String: Any])
        let resourceSpans = try #require(result["resourceSpans"] as? [[String: Any]])
        #expect(resourceSpans.count == 3)
        let scopes = try #require(resourceSpans[0]["scopeSpans"] as? [[String: Any]])
        #expect(scopes.count == 2)
        #expect((scopes[1]["scope"] as? [String: Any])?["name"] as? String == "lib")
    }

    @Test func nanosecondTimesAreStringsAndIdsAreHex() throws {
        let span = SpanBuilder.span(trace: 0xabc, span: 7, parent: 3, service: "s", startMicros: 1_000)
        let result = try #require(try V3Test.object(V3JSON.traces([[span]]))["result"] as? [String: Any])
        let resource = try #require((result["resourceSpans"] as? [[String: Any]])?.first)
        let scope = try #require((resource["scopeSpans"] as? [[String: Any]])?.first)
        let json = try #require((scope["spans"] as? [[String: Any]])?.first)
        #expect(json["traceId"] as? String == "00000000000000000000000000000abc")
        #expect(json["spanId"] as? String == "0000000000000007")
        #expect(json["parentSpanId"] as? String == "0000000000000003")
        #expect(json["startTimeUnixNano"] as? String == "1000000")
        #expect(json["endTimeUnixNano"] as? String == "1010000")
        for key in ["attributes", "events", "links"] { #expect(json[key] is [Any], "\(key)") }
    }

    // MARK: OTLPSpanView

    @Test func followsFromParentStaysALinkSoItsTypeSurvives() {
        let trace = TraceID(high: 0, low: 9)
        var span = SpanBuilder.span(trace: 9, span: 2, service: "s", startMicros: 1_000)
        span.references = [SpanReference(refType: .followsFrom, traceID: trace, spanID: SpanID(1))]
        let view = OTLPSpanView(span)
        #expect(view.parentSpanID == SpanID(1))
        #expect(view.links.map(\.spanID) == [SpanID(1)])
        #expect(view.links.first?.attributes == [.string("opentracing.ref_type", "follows_from")])
    }

    @Test(arguments: [
        ([Attribute.bool("error", true), .string("http.status_message", "bad gateway")], 2, "bad gateway"),
        ([.string("otel.status_code", "error"), .string("otel.status_description", "x")], 2, "x"),
        ([.string("otel.status_code", "Ok")], 1, ""),
        ([.int64("http.status_code", 503)], 2, ""),
        ([.string("http.status_code", "500"), .string("http.status_message", "oops")], 2, "oops"),
        ([.int64("http.status_code", 404)], 0, ""),
        ([.int64("http.status_code", 200)], 0, ""),
        ([.bool("error", false), .string("otel.status_code", "OK")], 1, ""),
        ([.string("error", "true")], 0, ""),
    ])
    func statusComesFromErrorThenStatusCodeThenHTTP(tags: [Attribute], code: Int, message: String) {
        var span = SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: 1_000)
        span.tags = tags
        let view = OTLPSpanView(span)
        #expect(view.statusCode.rawValue == code)
        #expect(view.statusMessage == message)
    }

    @Test func statusTagsAreRemovedButHTTPTagsStay() {
        var span = SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: 1_000)
        span.tags = [
            .bool("error", true), .string("otel.status_code", "ERROR"), .string("otel.status_description", "d"),
            .int64("http.status_code", 500), .string("http.status_message", "m"),
        ]
        #expect(OTLPSpanView(span).attributes == [.int64("http.status_code", 500), .string("http.status_message", "m")])
    }

    @Test func olderLibraryTagsNameTheScope() {
        var span = SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: 1_000)
        span.tags = [.string("otel.library.name", "old"), .string("otel.library.version", "0.1"), .string("k", "v")]
        let view = OTLPSpanView(span)
        #expect(view.scopeName == "old" && view.scopeVersion == "0.1" && view.attributes == [.string("k", "v")])
    }

    @Test func resourceKeepsHostNameWhenBothHostTagsExist() {
        let process = Process(serviceName: "s", tags: [.string("hostname", "a"), .string("host.name", "b")])
        #expect(
            OTLPResourceView.attributes(of: process) == [
                .string("service.name", "s"), .string("hostname", "a"), .string("host.name", "b"),
            ])
    }

    // MARK: Summaries

    @Test func summaryFindsRootOrphansErrorsAndSortedServices() throws {
        let spans = [
            SpanBuilder.span(trace: 5, span: 2, parent: 1, service: "zeta", startMicros: 1_010, durationMicros: 5),
            SpanBuilder.span(trace: 5, span: 1, service: "alpha", operation: "root", startMicros: 1_000),
            SpanBuilder.span(trace: 5, span: 3, parent: 99, service: "zeta", startMicros: 990, durationMicros: 100),
            SpanBuilder.span(
                trace: 5, span: 4, service: "alpha", operation: "late root", startMicros: 1_005, tags: [.bool("error", true)]),
        ]
        let summary = try #require(V3TraceSummary(spans))
        #expect(summary.rootServiceName == "alpha" && summary.rootOperationName == "root")
        #expect(summary.minStartTimeUnixNanos == 990_000 && summary.maxEndTimeUnixNanos == 1_090_000)
        #expect(summary.spanCount == 4 && summary.errorSpanCount == 1 && summary.orphanSpanCount == 1)
        #expect(
            summary.services == [
                .init(name: "alpha", spanCount: 2, errorSpanCount: 1), .init(name: "zeta", spanCount: 2, errorSpanCount: 0),
            ])

        let json = try #require((try V3Test.object(V3JSON.summaries([spans]))["summaries"] as? [[String: Any]])?.first)
        #expect(json["traceId"] as? String == "00000000000000000000000000000005")
        #expect(json["minStartTimeUnixNano"] as? String == "990000")
        #expect(json["maxEndTimeUnixNano"] as? String == "1090000")
        #expect(json["spanCount"] as? Int == 4 && json["errorSpanCount"] as? Int == 1 && json["orphanSpanCount"] as? Int == 1)
        let services = try #require(json["services"] as? [[String: Any]])
        #expect(services.map { $0["name"] as? String } == ["alpha", "zeta"])
        #expect(services.map { $0["spanCount"] as? Int } == [2, 2])
    }

    @Test func summaryWithoutARootHasEmptyRootNames() throws {
        let spans = [SpanBuilder.span(trace: 5, span: 2, parent: 1, service: "s", startMicros: 1_000)]
        let json = try #require((try V3Test.object(V3JSON.summaries([spans]))["summaries"] as? [[String: Any]])?.first)
        #expect(json["rootServiceName"] as? String == "" && json["rootOperationName"] as? String == "")
        #expect(json["orphanSpanCount"] as? Int == 1)
    }
}
