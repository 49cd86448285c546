import Foundation
import SpoorModel
import Testing

@testable import SpoorQuery

/// Foundation also has a `Process`.
private typealias Process = SpoorModel.Process

/// Hand cases for the v1 UI JSON (spec/query-api.md §3, §5).
struct UIJSONTests {
    private static func span(
        trace: TraceID = TraceID(high: 0, low: 1), id: UInt64 = 2, flags: UInt32 = 0,
        tags: [Attribute] = [], process: Process = Process(serviceName: "svc"), warnings: [String] = []
    ) -> Span {
        Span(
            traceID: trace, spanID: SpanID(id), operationName: "op", flags: flags,
            startTimeUnixNanos: 1_485_467_191_639_875_139, durationNanos: 5_999, tags: tags,
            process: process, warnings: warnings)
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private static func dataTrace(_ bytes: [UInt8]) throws -> [String: Any] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let data = try #require(root["data"] as? [[String: Any]])
        return try #require(data.first)
    }

    private static func firstSpan(_ bytes: [UInt8]) throws -> [String: Any] {
        let spans = try #require(try dataTrace(bytes)["spans"] as? [[String: Any]])
        return try #require(spans.first)
    }

    private static func firstTagValue(_ bytes: [UInt8]) throws -> Any? {
        let tags = try #require(try firstSpan(bytes)["tags"] as? [[String: Any]])
        return try #require(tags.first)["value"]
    }

    @Test func traceWithZeroHighHalfRendersSixteenHexDigits() {
        let ref = SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 0xff), spanID: SpanID(0xab))
        var s = Self.span()
        s.references = [ref]
        let out = Self.text(UIJSON.traces([[s]]))
        #expect(
            out
                == #"{"data":[{"traceID":"0000000000000001","spans":[{"traceID":"0000000000000001","#
                + #""spanID":"0000000000000002","operationName":"op","references":[{"refType":"FOLLOWS_FROM","#
                + #""traceID":"00000000000000ff","spanID":"00000000000000ab"}],"startTime":1485467191639875,"#
                + #""duration":5,"tags":[],"logs":[],"processID":"p1","warnings":null}],"#
                + #""processes":{"p1":{"serviceName":"svc","tags":[]}},"warnings":null}],"#
                + #""total":0,"limit":0,"offset":0,"errors":null}"#)
    }

    @Test func traceWithNonZeroHighHalfRendersThirtyTwoHexDigits() throws {
        var s = Self.span(trace: TraceID(high: 1, low: 2))
        s.references = [SpanReference(refType: .childOf, traceID: TraceID(high: 3, low: 4), spanID: SpanID(5))]
        let span = try Self.firstSpan(UIJSON.traces([[s]]))
        #expect(try Self.dataTrace(UIJSON.traces([[s]]))["traceID"] as? String == "00000000000000010000000000000002")
        #expect(span["traceID"] as? String == "00000000000000010000000000000002")
        let ref = try #require((span["references"] as? [[String: Any]])?.first)
        #expect(ref["refType"] as? String == "CHILD_OF")
        #expect(ref["traceID"] as? String == "00000000000000030000000000000004")
        #expect(ref["spanID"] as? String == "0000000000000005")
    }

    @Test func flagsAreOmittedWhenZeroAndWrittenOtherwise() throws {
        #expect(try Self.firstSpan(UIJSON.traces([[Self.span(flags: 0)]]))["flags"] == nil)
        #expect(try Self.firstSpan(UIJSON.traces([[Self.span(flags: 3)]]))["flags"] as? Int == 3)
        #expect(!Self.text(UIJSON.traces([[Self.span()]])).contains("parentSpanID"))
    }

    @Test(arguments: [
        (Int64(9_007_199_254_740_991), "9007199254740991"),
        (Int64(-9_007_199_254_740_991), "-9007199254740991"),
        (Int64(9_007_199_254_740_992), #""9007199254740992""#),
        (Int64(-9_007_199_254_740_992), #""-9007199254740992""#),
        (Int64.max, #""9223372036854775807""#),
        (Int64.min, #""-9223372036854775808""#),
    ])
    func int64BeyondJavaScriptSafeRangeIsAString(value: Int64, json: String) {
        let out = Self.text(UIJSON.traces([[Self.span(tags: [.int64("n", value)])]]))
        #expect(out.contains(#"{"key":"n","type":"int64","value":\#(json)}"#))
    }

    @Test func binaryIsStandardBase64WithPadding() throws {
        let tags = [
            Attribute(key: "a", value: .binary([0, 0, 0x30, 0x39])),
            Attribute(key: "b", value: .binary([0xfb, 0xff])),
            Attribute(key: "c", value: .binary([])),
        ]
        let out = Self.text(UIJSON.traces([[Self.span(tags: tags)]]))
        #expect(out.contains(#"{"key":"a","type":"binary","value":"AAAwOQ=="}"#))
        #expect(out.contains(#"{"key":"b","type":"binary","value":"+/8="}"#))
        #expect(out.contains(#"{"key":"c","type":"binary","value":""}"#))
    }

    @Test(arguments: [
        (Double.nan, #""NaN""#), (Double.infinity, #""Infinity""#), (-Double.infinity, #""-Infinity""#),
        (72.5, "72.5"), (3.0, "3"), (0.1, "0.1"),
    ])
    func floatsAreNumbersAndNonFiniteAreStrings(value: Double, json: String) {
        let out = Self.text(UIJSON.traces([[Self.span(tags: [.float64("f", value)])]]))
        #expect(out.contains(#"{"key":"f","type":"float64","value":\#(json)}"#))
    }

    @Test func equalProcessesShareAnIdInFirstSeenOrder() throws {
        let a = Process(serviceName: "a", tags: [.string("host", "h1")])
        let aOtherHost = Process(serviceName: "a", tags: [.string("host", "h2")])
        let aReordered = Process(serviceName: "a", tags: [.string("x", "1"), .string("host", "h1")])
        let aReordered2 = Process(serviceName: "a", tags: [.string("host", "h1"), .string("x", "1")])
        let nanTags = Process(serviceName: "n", tags: [.float64("f", .nan)])
        let processes = [a, aOtherHost, a, aReordered, aReordered2, nanTags, nanTags, aOtherHost]
        let spans = processes.enumerated().map { Self.span(id: UInt64($0.offset + 1), process: $0.element) }

        let trace = try Self.dataTrace(UIJSON.traces([spans]))

        let ids = try #require(trace["spans"] as? [[String: Any]]).map { $0["processID"] as? String }
        #expect(ids == ["p1", "p2", "p1", "p3", "p4", "p5", "p5", "p2"])
        let table = try #require(trace["processes"] as? [String: [String: Any]])
        #expect(table.keys.sorted() == ["p1", "p2", "p3", "p4", "p5"])
        #expect(table["p2"]?["serviceName"] as? String == "a")
        #expect((table["p2"]?["tags"] as? [[String: Any]])?.first?["value"] as? String == "h2")
    }

    @Test func processIdsRestartForEachTrace() throws {
        let first = [Self.span(process: Process(serviceName: "x"))]
        let second = [Self.span(trace: TraceID(high: 0, low: 9), process: Process(serviceName: "y"))]
        let out = Self.text(UIJSON.traces([first, second]))
        #expect(out.contains(#""processes":{"p1":{"serviceName":"x","tags":[]}}"#))
        #expect(out.contains(#""processes":{"p1":{"serviceName":"y","tags":[]}}"#))
    }

    @Test func warningsAreNullWhenEmptyAndListedOtherwise() throws {
        let plain = Self.text(UIJSON.traces([[Self.span()]]))
        #expect(plain.contains(#""processID":"p1","warnings":null}"#))
        #expect(plain.hasSuffix(#""warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}"#))

        let warned = Self.text(UIJSON.traces([[Self.span(warnings: ["clock skew adjusted", "dup \"id\""])]]))
        #expect(warned.contains(#""warnings":["clock skew adjusted","dup \"id\""]"#))

        let traceWarned = Self.text(
            UIJSON.traces([(spans: [Self.span()], warnings: ["w"])], notFound: [], pretty: false))
        #expect(traceWarned.contains(#""tags":[]}},"warnings":["w"]}]"#))
    }

    @Test func timesAreMicrosecondsTruncated() throws {
        var s = Self.span()
        s.logs = [SpanLog(timestampUnixNanos: 1_999, fields: [.string("event", "x")])]
        let span = try Self.firstSpan(UIJSON.traces([[s]]))
        #expect(span["startTime"] as? Int == 1_485_467_191_639_875)
        #expect(span["duration"] as? Int == 5)
        #expect((span["logs"] as? [[String: Any]])?.first?["timestamp"] as? Int == 1)
    }

    @Test func missingTracesAreListedInErrorsWithoutCode() {
        let out = Self.text(UIJSON.traces([], notFound: [TraceID(high: 0, low: 0xa), TraceID(high: 1, low: 0)]))
        #expect(
            out
                == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":["#
                + #"{"msg":"trace not found","traceID":"000000000000000a"},"#
                + #"{"msg":"trace not found","traceID":"00000000000000010000000000000000"}]}"#)
    }

    @Test func emptyTraceIsSkipped() {
        #expect(Self.text(UIJSON.traces([[]])) == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#)
    }

    @Test func stringListHasTotalAndNeverNullData() {
        #expect(
            Self.text(UIJSON.stringList(["a", "b\"c"]))
                == #"{"data":["a","b\"c"],"total":2,"limit":0,"offset":0,"errors":null}"#)
        #expect(Self.text(UIJSON.stringList([])) == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#)
    }

    @Test func operationsListNameAndSpanKind() {
        let out = Self.text(UIJSON.operations([(name: "GET /", spanKind: "server"), (name: "x", spanKind: "")]))
        #expect(
            out
                == #"{"data":[{"name":"GET /","spanKind":"server"},{"name":"x","spanKind":""}],"#
                + #""total":2,"limit":0,"offset":0,"errors":null}"#)
    }

    @Test func errorEnvelopeHasCodeAndMessage() {
        #expect(
            Self.text(UIJSON.error(code: 400, message: "parameter 'service' is required"))
                == #"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}"#
        )
        #expect(
            Self.text(UIJSON.error(code: 0, message: "x"))
                == #"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"msg":"x"}]}"#)
    }

    @Test func prettyPrintIndentsWithFourSpaces() {
        let out = Self.text(UIJSON.error(code: 404, message: "trace not found", pretty: true))
        #expect(
            out == """
                {
                    "data": null,
                    "total": 0,
                    "limit": 0,
                    "offset": 0,
                    "errors": [
                        {
                            "code": 404,
                            "msg": "trace not found"
                        }
                    ]
                }
                """)
    }

    @Test func prettyTraceParsesToTheSameDocumentAsCompact() throws {
        var s = Self.span(tags: [.string("k", "v"), .bool("error", true)], warnings: ["w"])
        s.logs = [SpanLog(timestampUnixNanos: 5_000, fields: [])]
        let compact = UIJSON.traces([[s, s]], notFound: [TraceID(high: 0, low: 7)])
        let pretty = UIJSON.traces([[s, s]], notFound: [TraceID(high: 0, low: 7)], pretty: true)
        #expect(pretty.contains(UInt8(ascii: "\n")))
        #expect(try UIModelFixtures.canonical(Data(pretty)) == UIModelFixtures.canonical(Data(compact)))
        #expect(Self.text(pretty).contains("\n                    \"tags\": []\n"))  // process p1, depth 5
        #expect(Self.text(pretty).contains(#""fields": []"#))
    }
}
