import Foundation
import SpoorModel
import SpoorQuery
import SpoorTestSupport
import Testing

/// `V3Endpoints` on a real temporary store: every api_v3 endpoint's body, empty results and errors
/// (spec/query-api.md §4, §6.4).
@Suite(.serialized)
struct V3EndpointsTests {
    /// A window around Jaeger's example_trace (all its spans start at 2017-01-26T16:46:31.639875Z).
    static let exampleWindow = V3Test.items([
        "query.startTimeMin": "2017-01-26T16:46:31Z", "query.startTimeMax": "2017-01-26T16:46:32Z",
    ])

    static func window(_ extra: KeyValuePairs<String, String> = [:]) -> [(name: String, value: String)] {
        exampleWindow + extra.map { (name: $0.key, value: $0.value) }
    }

    static func example() throws -> [Span] { try V3Test.storageTrace("example_trace") }

    // MARK: services, operations

    @Test func servicesListsEveryServiceSorted() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            #expect(
                String(decoding: endpoints.services(tenant: ""), as: UTF8.self)
                    == #"{"services":["example-service-1","example-service-2","example-service-3"]}"#)
        }
    }

    @Test func servicesOfAnEmptyStoreIsAnEmptyArray() throws {
        try V3Test.withEndpoints([]) { endpoints in
            #expect(String(decoding: endpoints.services(tenant: ""), as: UTF8.self) == #"{"services":[]}"#)
        }
    }

    @Test func operationsShowEveryKindWithInternalForUnspecified() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let body = endpoints.operations(tenant: "", items: V3Test.items(["service": "example-service-1"]))
            #expect(
                String(decoding: body, as: UTF8.self)
                    == #"{"operations":[{"name":"example-operation-1","spanKind":"internal"},"#
                    + #"{"name":"example-operation-3","spanKind":"server"},"#
                    + #"{"name":"example-operation-4","spanKind":"client"}]}"#)
        }
    }

    @Test(arguments: [
        (["service": "example-service-1", "spanKind": "server"], ["example-operation-3"]),
        (["service": "example-service-1", "span_kind": "client"], ["example-operation-4"]),
        (["service": "example-service-1", "spanKind": "internal"], ["example-operation-1"]),
        (["service": "example-service-1", "spanKind": "sideways"], []),
        (["service": "example-service-1", "spanKind": ""], ["example-operation-1", "example-operation-3", "example-operation-4"]),
        (["service": "nobody"], []),
        ([:], []),
    ] as [([String: String], [String])])
    func operationsFilterByServiceAndKind(params: [String: String], names: [String]) throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let items = params.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
            let json = try V3Test.object(endpoints.operations(tenant: "", items: items))
            let operations = try #require(json["operations"] as? [[String: Any]])
            #expect(operations.map { $0["name"] as? String } == names)
            #expect(operations.allSatisfy { $0["spanKind"] is String })
        }
    }

    // MARK: trace-summaries

    @Test func summariesOfExampleTraceCountFiveSpansInThreeServices() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let body = try endpoints.traceSummaries(tenant: "", items: Self.window())
            let expected = """
                {"summaries":[{"traceId":"00000000000000000000000000000011",
                "rootServiceName":"example-service-1","rootOperationName":"example-operation-1",
                "minStartTimeUnixNano":"1485449191639875000","maxEndTimeUnixNano":"1485449191639975000",
                "spanCount":5,"errorSpanCount":0,"orphanSpanCount":0,"services":[
                {"name":"example-service-1","spanCount":3,"errorSpanCount":0},
                {"name":"example-service-2","spanCount":1,"errorSpanCount":0},
                {"name":"example-service-3","spanCount":1,"errorSpanCount":0}]}]}
                """
            #expect(try V3Test.canonical(body) == V3Test.canonical(Data(expected.utf8)))
        }
    }

    @Test func summariesAreAnEmptyArrayWhenNothingMatches() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let body = try endpoints.traceSummaries(tenant: "", items: Self.window(["query.serviceName": "nobody"]))
            #expect(String(decoding: body, as: UTF8.self) == #"{"summaries":[]}"#)
        }
    }

    @Test func summariesHonourOperationDurationAndAttributes() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints throws in
            func count(_ extra: KeyValuePairs<String, String>) throws -> Int {
                let json = try V3Test.object(try endpoints.traceSummaries(tenant: "", items: Self.window(extra)))
                return (json["summaries"] as? [Any])?.count ?? -1
            }
            #expect(try count(["query.serviceName": "example-service-2", "query.operationName": "example-operation-2"]) == 1)
            #expect(try count(["query.serviceName": "example-service-2", "query.operationName": "example-operation-1"]) == 0)
            #expect(try count(["query.durationMin": "100us", "query.durationMax": "100us"]) == 1)
            #expect(try count(["query.durationMin": "101us"]) == 0)
            #expect(try count(["query.attributes": #"{"span.kind":"server"}"#]) == 1)
            #expect(try count(["query.attributes": #"{"span.kind":"producer"}"#]) == 0)
        }
    }

    @Test func searchWindowExcludesStartTimeMax() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let atStart: [(name: String, value: String)] = [
                ("query.startTimeMin", "2017-01-26T16:46:30Z"), ("query.startTimeMax", "2017-01-26T16:46:31.639875Z"),
            ]
            #expect(String(decoding: try endpoints.traceSummaries(tenant: "", items: atStart), as: UTF8.self) == #"{"summaries":[]}"#)
            let after: [(name: String, value: String)] = [
                ("query.startTimeMin", "2017-01-26T16:46:31.639875Z"),
                ("query.startTimeMax", "2017-01-26T16:46:31.639875001Z"),
            ]
            let json = try V3Test.object(try endpoints.traceSummaries(tenant: "", items: after))
            #expect((json["summaries"] as? [Any])?.count == 1)
        }
    }

    // MARK: traces

    @Test func tracesSearchReturnsWholeTracesAsOTLP() throws {
        let example = try Self.example()
        try V3Test.withEndpoints([example]) { endpoints in
            let body = try endpoints.traces(tenant: "", items: Self.window(["query.serviceName": "example-service-3"]))
            let decoded = try V3Test.decodeResult(body)
            #expect(decoded.count == 5)
            #expect(Set(decoded) == Set(example))
        }
    }

    @Test func tracesSearchWithNoMatchIsNotFound() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let failure = V3Test.failure { () throws(V3Failure) in
                try endpoints.traces(tenant: "", items: Self.window(["query.serviceName": "nobody"]))
            }
            #expect(failure == .notFound)
            #expect(
                failure.map { String(decoding: $0.body, as: UTF8.self) }
                    == #"{"error":{"httpCode":404,"message":"No traces found"}}"#)
        }
    }

    @Test func searchWithoutServiceNameFindsTracesOfEveryService() throws {
        let base: UInt64 = 1_500_000_000_000_000  // µs, 2017-07-14T02:40:00Z
        let first = SpanBuilder.span(
            trace: 0x101, span: 1, service: "svc-a", startMicros: base, tags: [.string("shared", "yes")])
        let second = SpanBuilder.span(
            trace: 0x102, span: 2, service: "svc-b", startMicros: base + 1, tags: [.string("shared", "yes")])
        let unrelated = SpanBuilder.span(
            trace: 0x103, span: 3, service: "svc-c", startMicros: base + 2, tags: [.string("shared", "no")])
        try V3Test.withEndpoints([[first], [second], [unrelated]]) { endpoints in
            let items = V3Test.items([
                "query.startTimeMin": "2017-07-14T02:00:00Z", "query.startTimeMax": "2017-07-14T03:00:00Z",
                "query.attributes": #"{"shared":"yes"}"#,
            ])
            let summaries = try V3Test.object(try endpoints.traceSummaries(tenant: "", items: items))
            let ids = (summaries["summaries"] as? [[String: Any]] ?? []).compactMap { $0["traceId"] as? String }
            // Newest first.
            #expect(ids == ["00000000000000000000000000000102", "00000000000000000000000000000101"])

            let decoded = try V3Test.decodeResult(try endpoints.traces(tenant: "", items: items))
            #expect(Set(decoded.map(\.process.serviceName)) == ["svc-a", "svc-b"])
        }
    }

    @Test(arguments: [
        ([(name: String, value: String)](), "query.startTimeMin and query.startTimeMax are required"),
        (
            [("query.startTimeMin", "2017-01-26T16:46:32Z"), ("query.startTimeMax", "2017-01-26T16:46:31Z")],
            "query.startTimeMin must be before query.startTimeMax"
        ),
        (
            V3EndpointsTests.window(["query.searchDepth": "x"]),
            #"malformed parameter query.searchDepth: strconv.ParseInt: parsing "x": invalid syntax"#
        ),
        (V3EndpointsTests.window(["query.filter": "x"]), "malformed parameter query.filter: query.filter is not supported"),
    ])
    func badSearchParametersAreBadRequestsOnBothSearchEndpoints(items: [(name: String, value: String)], message: String) throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let fromSummaries = V3Test.failure { () throws(V3Failure) in try endpoints.traceSummaries(tenant: "", items: items) }
            let fromTraces = V3Test.failure { () throws(V3Failure) in try endpoints.traces(tenant: "", items: items) }
            #expect(fromSummaries == .badRequest(message))
            #expect(fromTraces == .badRequest(message))
            #expect(fromSummaries?.httpCode == 400)
        }
    }

    // MARK: traces/{trace_id}

    @Test(arguments: ["11", "0000000000000011", "00000000000000000000000000000011"])
    func traceByIDReturnsTheTraceAsOTLP(id: String) throws {
        let example = try Self.example()
        try V3Test.withEndpoints([example]) { endpoints in
            let body = try endpoints.trace(
                tenant: "", traceID: id,
                items: V3Test.items(["startTime": "2017-01-26T00:00:00Z", "end_time": "2017-01-27T00:00:00Z"]))
            #expect(Set(try V3Test.decodeResult(body)) == Set(example))
        }
    }

    @Test func unknownTraceIDIsNotFound() throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let failure = V3Test.failure { () throws(V3Failure) in
                try endpoints.trace(tenant: "", traceID: "12", items: [])
            }
            #expect(failure == .notFound)
        }
    }

    @Test(arguments: [
        ("xyz", [(name: String, value: String)](), #"malformed parameter trace_id: strconv.ParseUint: parsing "xyz": invalid syntax"#),
        (
            String(repeating: "a", count: 33), [],
            "malformed parameter trace_id: TraceID cannot be longer than 32 hex characters: " + String(repeating: "a", count: 33)
        ),
        ("11", [("startTime", "noon")], #"malformed parameter startTime: parsing time "noon": expected 4-digit year"#),
        ("11", [("end_time", "2017-01-27")], #"malformed parameter end_time: parsing time "2017-01-27": expected 'T' after date"#),
        ("11", [("rawTraces", "maybe")], #"malformed parameter rawTraces: strconv.ParseBool: parsing "maybe": invalid syntax"#),
    ])
    func badTraceRequestsAreBadRequests(id: String, items: [(name: String, value: String)], message: String) throws {
        try V3Test.withEndpoints([try Self.example()]) { endpoints in
            let failure = V3Test.failure { () throws(V3Failure) in try endpoints.trace(tenant: "", traceID: id, items: items) }
            #expect(failure == .badRequest(message))
        }
    }

    // MARK: adjusters, tenants

    @Test func adjustersRunUnlessRawTracesButAlwaysForSummaries() throws {
        let adjust: V3Endpoints.Adjust = { spans in
            spans.map { span in
                var adjusted = span
                adjusted.operationName = "adjusted"
                return adjusted
            }
        }
        try V3Test.withEndpoints([try Self.example()], adjust: adjust) { endpoints in
            func names(_ body: [UInt8]) throws -> Set<String> { Set(try V3Test.decodeResult(body).map(\.operationName)) }
            #expect(try names(try endpoints.traces(tenant: "", items: Self.window())) == ["adjusted"])
            #expect(try names(try endpoints.traces(tenant: "", items: Self.window(["query.rawTraces": "true"]))).count == 4)
            #expect(try names(try endpoints.trace(tenant: "", traceID: "11", items: [])) == ["adjusted"])
            #expect(try names(try endpoints.trace(tenant: "", traceID: "11", items: [("raw_traces", "true")])).count == 4)
            let summaries = try V3Test.object(
                try endpoints.traceSummaries(tenant: "", items: Self.window(["query.rawTraces": "true"])))
            let first = (summaries["summaries"] as? [[String: Any]])?.first
            #expect(first?["rootOperationName"] as? String == "adjusted")
        }
    }

    @Test func otherTenantsSeeNothing() throws {
        try V3Test.withEndpoints([try Self.example()], tenant: "acme") { endpoints in
            #expect(String(decoding: endpoints.services(tenant: "other"), as: UTF8.self) == #"{"services":[]}"#)
            #expect(String(decoding: try endpoints.traceSummaries(tenant: "other", items: Self.window()), as: UTF8.self) == #"{"summaries":[]}"#)
            #expect(V3Test.failure { () throws(V3Failure) in try endpoints.trace(tenant: "other", traceID: "11", items: []) } == .notFound)
            let json = try V3Test.object(try endpoints.traceSummaries(tenant: "acme", items: Self.window()))
            #expect((json["summaries"] as? [Any])?.count == 1)
        }
    }
}
