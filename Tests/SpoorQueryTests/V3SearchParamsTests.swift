import SpoorModel
import Testing

@testable import SpoorQuery

/// `V3SearchParams` and `RFC3339`: the api_v3 search parameters (spec/query-api.md §4).
struct V3SearchParamsTests {
    static let t0: UInt64 = 1_787_220_000 * 1_000_000_000  // 2026-08-20T10:00:00Z

    static func window(_ extra: KeyValuePairs<String, String> = [:]) -> [(name: String, value: String)] {
        [("query.startTimeMin", "2026-08-20T10:00:00Z"), ("query.startTimeMax", "2026-08-20T11:00:00Z")]
            + extra.map { (name: $0.key, value: $0.value) }
    }

    static func message(_ items: [(name: String, value: String)]) -> String? {
        do {
            _ = try V3SearchParams.parseRequest(items)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: RFC 3339

    @Test(arguments: [
        ("2026-08-20T10:00:00Z", V3SearchParamsTests.t0),
        ("2026-08-20T10:00:00.123Z", V3SearchParamsTests.t0 + 123_000_000),
        ("2026-08-20T10:00:00.000001Z", V3SearchParamsTests.t0 + 1_000),
        ("2026-08-20T10:00:00.123456789Z", V3SearchParamsTests.t0 + 123_456_789),
        ("2026-08-20T10:00:00.1234567891234Z", V3SearchParamsTests.t0 + 123_456_789),
        ("2026-08-20t10:00:00z", V3SearchParamsTests.t0),
        ("2026-08-20T12:30:00+02:30", V3SearchParamsTests.t0),
        ("2026-08-20T05:00:00.5-05:00", V3SearchParamsTests.t0 + 500_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", 0),
        ("2024-02-29T23:59:59Z", 1_709_251_199 * 1_000_000_000),
        ("2000-03-01T00:00:00Z", 951_868_800 * 1_000_000_000),
        ("9999-12-31T23:59:59Z", UInt64.max),
    ] as [(String, UInt64)])
    func rfc3339ParsesToUnixNanoseconds(text: String, nanos: UInt64) throws {
        #expect(try RFC3339.parseUnixNanos(text) == nanos)
    }

    @Test func rfc3339KeepsSecondsBeforeTheEpochSigned() throws {
        let parsed = try RFC3339.parse("1969-12-31T23:59:59.25Z")
        #expect(parsed.seconds == -1 && parsed.nanos == 250_000_000)
    }

    @Test(arguments: [
        "", "2026-08-20", "2026-08-20T10:00:00", "2026-08-20 10:00:00Z", "2026-8-20T10:00:00Z",
        "2026-08-20T10:00:00.Z", "2026-08-20T10:00:00+0200", "2026-08-20T10:00:00+02", "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z", "2023-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-08-20T24:00:00Z",
        "2026-08-20T10:60:00Z", "2026-08-20T10:00:60Z", "2026-08-20T10:00:00+24:00", "2026-08-20T10:00:00Zjunk",
        "1787220000", "２026-08-20T10:00:00Z",
    ])
    func rfc3339RejectsMalformedTimes(text: String) {
        #expect(throws: QueryParameterError.self) { try RFC3339.parseUnixNanos(text) }
    }

    @Test func rfc3339ErrorQuotesTheInput() {
        #expect(throws: QueryParameterError(message: "parsing time \"2026-13-01T00:00:00Z\": month out of range")) {
            try RFC3339.parseUnixNanos("2026-13-01T00:00:00Z")
        }
    }

    // MARK: Names

    @Test func parsesEveryCanonicalCamelCaseName() throws {
        let params = try V3SearchParams.parseRequest(
            Self.window([
                "query.serviceName": "frontend", "query.operationName": "GET /x", "query.durationMin": "1.5ms",
                "query.durationMax": "2s", "query.searchDepth": "20", "query.attributes": #"{"b":"2","a":"1"}"#,
                "query.rawTraces": "true",
            ]))
        let expected = TraceQuery(
            serviceName: "frontend", operationName: "GET /x",
            tags: [TagFilter(key: "a", value: "1"), TagFilter(key: "b", value: "2")],
            startTimeMinUnixNanos: Self.t0, startTimeMaxUnixNanos: Self.t0 + 3_600_000_000_000 - 1,
            durationMinNanos: 1_500_000, durationMaxNanos: 2_000_000_000, limit: 20)
        #expect(params == V3SearchParams(query: expected, rawTraces: true))
    }

    @Test func acceptsTheSnakeCaseAliases() throws {
        let items: [(name: String, value: String)] = [
            ("query.service_name", "frontend"), ("query.operation_name", "GET /x"),
            ("query.start_time_min", "2026-08-20T10:00:00Z"), ("query.start_time_max", "2026-08-20T11:00:00Z"),
            ("query.duration_min", "1ms"), ("query.duration_max", "1s"), ("query.num_traces", "7"),
            ("query.raw_traces", "1"),
        ]
        let params = try V3SearchParams.parseRequest(items)
        #expect(params.query.serviceName == "frontend")
        #expect(params.query.operationName == "GET /x")
        #expect(params.query.startTimeMinUnixNanos == Self.t0)
        #expect(params.query.durationMinNanos == 1_000_000 && params.query.durationMaxNanos == 1_000_000_000)
        #expect(params.query.limit == 7)
        #expect(params.rawTraces)
        #expect(try V3SearchParams.parse(Self.window(["query.search_depth": "9"])).limit == 9)
    }

    @Test func canonicalNameWinsOverItsAlias() throws {
        let query = try V3SearchParams.parse(
            Self.window(["query.service_name": "alias", "query.serviceName": "canonical"]))
        #expect(query.serviceName == "canonical")
    }

    @Test func emptyValuesMeanAbsent() throws {
        let query = try V3SearchParams.parse(
            Self.window([
                "query.serviceName": "", "query.operationName": "", "query.durationMin": "", "query.searchDepth": "",
                "query.attributes": "", "query.filter": "",
            ]))
        #expect(query.serviceName == nil && query.operationName == nil && query.durationMinNanos == nil)
        #expect(query.limit == TraceQuery.defaultLimit && query.tags.isEmpty)
    }

    @Test func missingServiceSearchesEveryService() throws {
        #expect(try V3SearchParams.parse(Self.window()).serviceName == nil)
    }

    @Test func windowExcludesStartTimeMax() throws {
        let query = try V3SearchParams.parse([
            ("query.startTimeMin", "2026-08-20T10:00:00Z"), ("query.startTimeMax", "2026-08-20T10:00:00.000000001Z"),
        ])
        #expect(query.startTimeMinUnixNanos == Self.t0 && query.startTimeMaxUnixNanos == Self.t0)
    }

    @Test func zeroOrNegativeBoundsMeanDefaults() throws {
        let query = try V3SearchParams.parse(
            Self.window(["query.durationMin": "0", "query.durationMax": "-1s", "query.searchDepth": "-3"]))
        #expect(query.durationMinNanos == nil && query.durationMaxNanos == nil)
        #expect(query.limit == 100)
        #expect(try V3SearchParams.parse(Self.window(["query.searchDepth": "0"])).limit == 100)
    }

    @Test func attributesNullMeansNoFilters() throws {
        #expect(try V3SearchParams.parse(Self.window(["query.attributes": "null"])).tags.isEmpty)
    }

    // MARK: Errors

    @Test(arguments: [
        [(name: String, value: String)](),
        [("query.startTimeMin", "2026-08-20T10:00:00Z")],
        [("query.startTimeMax", "2026-08-20T10:00:00Z")],
        [("query.startTimeMin", ""), ("query.startTimeMax", "2026-08-20T10:00:00Z")],
    ])
    func bothStartTimesAreRequired(items: [(name: String, value: String)]) {
        #expect(Self.message(items) == "query.startTimeMin and query.startTimeMax are required")
    }

    @Test(arguments: ["2026-08-20T10:00:00Z", "2026-08-20T09:00:00Z"])
    func startTimeMinMustBeBeforeMax(max: String) {
        #expect(
            Self.message([("query.startTimeMin", "2026-08-20T10:00:00Z"), ("query.startTimeMax", max)])
                == "query.startTimeMin must be before query.startTimeMax")
    }

    @Test(arguments: [
        (
            [("query.startTimeMin", "yesterday"), ("query.startTimeMax", "2026-08-20T10:00:00Z")],
            #"malformed parameter query.startTimeMin: parsing time "yesterday": expected 4-digit year"#
        ),
        (
            [("query.start_time_min", "2026-08-20T10:00:00Z"), ("query.start_time_max", "2026-08-20T10:00:00")],
            #"malformed parameter query.start_time_max: parsing time "2026-08-20T10:00:00": missing time zone (Z or ±hh:mm)"#
        ),
        (
            V3SearchParamsTests.window(["query.durationMin": "abc"]),
            #"malformed parameter query.durationMin: time: invalid duration "abc""#
        ),
        (
            V3SearchParamsTests.window(["query.duration_max": "10"]),
            #"malformed parameter query.duration_max: time: missing unit in duration "10""#
        ),
        (
            V3SearchParamsTests.window(["query.searchDepth": "many"]),
            #"malformed parameter query.searchDepth: strconv.ParseInt: parsing "many": invalid syntax"#
        ),
        (
            V3SearchParamsTests.window(["query.num_traces": "99999999999"]),
            #"malformed parameter query.num_traces: strconv.ParseInt: parsing "99999999999": value out of range"#
        ),
        (V3SearchParamsTests.window(["query.attributes": "{not json"]), "malformed parameter query.attributes: invalid JSON"),
        (
            V3SearchParamsTests.window(["query.attributes": #"{"http.status_code":200}"#]),
            #"malformed parameter query.attributes: value of "http.status_code" is not a string"#
        ),
        (
            V3SearchParamsTests.window(["query.attributes": #"["a"]"#]),
            "malformed parameter query.attributes: expected a JSON object of strings"
        ),
        (
            V3SearchParamsTests.window(["query.rawTraces": "yes"]),
            #"malformed parameter query.rawTraces: strconv.ParseBool: parsing "yes": invalid syntax"#
        ),
        (
            V3SearchParamsTests.window(["query.filter": #"{"name":"eq"}"#]),
            "malformed parameter query.filter: query.filter is not supported"
        ),
    ])
    func badParametersGiveExactMessages(items: [(name: String, value: String)], expected: String) {
        #expect(Self.message(items) == expected)
    }

    @Test func filterIsRejectedEvenWithoutAWindow() {
        #expect(Self.message([("query.filter", "x")]) == "malformed parameter query.filter: query.filter is not supported")
    }
}
