import SpoorModel
import Testing

@testable import SpoorQuery

struct TraceIDParamTests {
    @Test(arguments: [
        ("1", TraceID(high: 0, low: 1)),
        ("00000000000000ff", TraceID(high: 0, low: 0xff)),
        ("ABCdef", TraceID(high: 0, low: 0xabcdef)),
        ("10000000000000000", TraceID(high: 1, low: 0)),
        ("83a9efd15c1c98a977e0711cc93ee28b", TraceID(high: 0x83a9_efd1_5c1c_98a9, low: 0x77e0_711c_c93e_e28b)),
        // base64 fallback (Jaeger v2.20): 16 and 8 bytes, std and URL alphabets, padding optional.
        ("AAAAAAAAAAAAAAAAAAAAAQ==", TraceID(high: 0, low: 1)),
        ("AAAAAAAAAAAAAAAAAAAAAQ", TraceID(high: 0, low: 1)),
        ("AAAAAAAAAP8=", TraceID(high: 0, low: 0xff)),
        ("_____________________w", TraceID(high: UInt64.max, low: UInt64.max)),
        ("/////////////////////w==", TraceID(high: UInt64.max, low: UInt64.max)),
    ])
    func parsesHexThenBase64(text: String, id: TraceID) throws {
        #expect(try TraceIDParam.parse(text) == id)
    }

    @Test(arguments: [
        ("", #"strconv.ParseUint: parsing "": invalid syntax"#),
        ("xyz", #"strconv.ParseUint: parsing "xyz": invalid syntax"#),
        ("ZZZZZZZZZZZZZZZZZZZZ", #"strconv.ParseUint: parsing "ZZZZ": invalid syntax"#),  // base64 of 15 bytes
        ("zz0000000000000000", #"strconv.ParseUint: parsing "zz": invalid syntax"#),
        ("000000000000000000000000000000zz", #"strconv.ParseUint: parsing "00000000000000zz": invalid syntax"#),
        (
            "000000000000000000000000000000001",
            "TraceID cannot be longer than 32 hex characters: 000000000000000000000000000000001"
        ),
    ])
    func rejectsWithGoMessage(text: String, message: String) {
        #expect(throws: QueryParameterError(message: message)) { try TraceIDParam.parse(text) }
    }
}

struct V1SearchRequestTests {
    /// 2024-01-01T00:00:00Z in Unix nanoseconds.
    static let now: UInt64 = 1_704_067_200_000_000_000
    static let twoDays: UInt64 = 172_800_000_000_000

    private static func parse(_ query: String) throws(QueryParameterError) -> V1SearchRequest {
        let items = query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        return try V1SearchRequest.parseV1Search(items, now: now)
    }

    private static func search(_ query: String) throws -> (TraceQuery, raw: Bool) {
        guard case .search(let q, let raw) = try parse(query) else {
            Issue.record("expected a search for \(query)")
            throw QueryParameterError(message: "not a search")
        }
        return (q, raw)
    }

    @Test func serviceAloneGetsEveryDefault() throws {
        let result = try Self.parse("service=frontend")
        let expected = TraceQuery(
            serviceName: "frontend", startTimeMinUnixNanos: Self.now - Self.twoDays, startTimeMaxUnixNanos: Self.now,
            limit: 100)
        #expect(result == .search(expected, raw: false))
    }

    @Test func everyFilterIsParsed() throws {
        let (q, raw) = try Self.search(
            "service=frontend&operation=HTTP GET&start=1700000000000000&end=1700000060000000&limit=20"
                + "&minDuration=1.5ms&maxDuration=2s&raw=true&lookback=1h&prettyPrint=true")
        #expect(q.serviceName == "frontend")
        #expect(q.operationName == "HTTP GET")
        #expect(q.startTimeMinUnixNanos == 1_700_000_000_000_000_000)
        #expect(q.startTimeMaxUnixNanos == 1_700_000_060_000_000_000)
        #expect(q.limit == 20)
        #expect(q.durationMinNanos == 1_500_000)
        #expect(q.durationMaxNanos == 2_000_000_000)
        #expect(raw)
    }

    @Test func emptyValuesMeanAbsent() throws {
        let (q, raw) = try Self.search(
            "service=s&operation=&start=&end&limit=&minDuration&maxDuration=&tags=&tag=&traceID=&raw=")
        #expect(
            q
                == TraceQuery(
                    serviceName: "s", startTimeMinUnixNanos: Self.now - Self.twoDays, startTimeMaxUnixNanos: Self.now))
        #expect(!raw)
    }

    @Test func firstOccurrenceOfSingleValuedParameterWins() throws {
        let (q, _) = try Self.search("service=a&service=b&limit=5&limit=7")
        #expect(q.serviceName == "a")
        #expect(q.limit == 5)
    }

    @Test(arguments: ["0", "-3"])
    func nonPositiveLimitMeansDefault(limit: String) throws {
        #expect(try Self.search("service=s&limit=\(limit)").0.limit == 100)
    }

    @Test func zeroAndNegativeDurationsBoundNothingBelow() throws {
        let (q, _) = try Self.search("service=s&minDuration=0s&maxDuration=0")
        #expect(q.durationMinNanos == nil)
        #expect(q.durationMaxNanos == nil)
        let (negative, _) = try Self.search("service=s&minDuration=-1s")
        #expect(negative.durationMinNanos == nil)
        let (onlyMax, _) = try Self.search("service=s&maxDuration=-1s")
        #expect(onlyMax.durationMaxNanos == 0)
    }

    @Test func timesAreClampedToTheUnsignedNanosecondRange() throws {
        let (q, _) = try Self.search("service=s&start=-5&end=9223372036854775807")
        #expect(q.startTimeMinUnixNanos == 0)
        #expect(q.startTimeMaxUnixNanos == UInt64.max)
        let early = try V1SearchRequest.parseV1Search([(name: "service", value: "s")], now: 5)
        #expect(
            early
                == .search(TraceQuery(serviceName: "s", startTimeMinUnixNanos: 0, startTimeMaxUnixNanos: 5), raw: false)
        )
    }

    @Test func tagAndTagsAreMergedWithJSONWinningAndSortedByKey() throws {
        let (q, _) = try Self.search(
            #"service=s&tag=http.url:http://x:80/a&tag=error:false&tags={"error":"true","b":"1"}&tags={"a":"2"}&tag=k:"#
        )
        #expect(
            q.tags == [
                TagFilter(key: "a", value: "2"), TagFilter(key: "b", value: "1"),
                TagFilter(key: "error", value: "true"),
                TagFilter(key: "http.url", value: "http://x:80/a"), TagFilter(key: "k", value: ""),
            ])
    }

    @Test func nullTagsObjectAddsNothing() throws {
        #expect(try Self.search("service=s&tags=null").0.tags.isEmpty)
    }

    @Test func traceIDSwitchesToMultiGetAndMakesServiceOptional() throws {
        #expect(
            try Self.parse("traceID=1&traceID=AbC&raw=1")
                == .multiGet([TraceID(high: 0, low: 1), TraceID(high: 0, low: 0xabc)], raw: true))
        #expect(
            try Self.parse("service=s&operation=o&traceID=2&limit=3")
                == .multiGet([TraceID(high: 0, low: 2)], raw: false))
    }

    @Test func tagsOrDurationsAloneSearchEveryService() throws {
        guard case .search(let byTag, _) = try Self.parse("tag=error:true") else {
            Issue.record("expected a search")
            return
        }
        #expect(byTag.serviceName == nil)
        #expect(byTag.tags == [TagFilter(key: "error", value: "true")])
        guard case .search(let byDuration, _) = try Self.parse("minDuration=1ms&operation=x") else {
            Issue.record("expected a search")
            return
        }
        #expect(byDuration.serviceName == nil)
        #expect(byDuration.durationMinNanos == 1_000_000)
        guard case .search(let byTraceDuration, _) = try Self.parse("maxTraceDuration=2s") else {
            Issue.record("expected a search")
            return
        }
        #expect(byTraceDuration.traceDurationMaxNanos == 2_000_000_000)
    }

    @Test(arguments: [
        ("", "parameter 'service' is required"),
        ("operation=x", "parameter 'service' is required"),
        ("service=&traceID=", "parameter 'service' is required"),
        ("service=s&start=abc", #"unable to parse param 'start': strconv.ParseInt: parsing "abc": invalid syntax"#),
        ("service=s&end=1.5", #"unable to parse param 'end': strconv.ParseInt: parsing "1.5": invalid syntax"#),
        (
            "service=s&end=99999999999999999999",
            #"unable to parse param 'end': strconv.ParseInt: parsing "99999999999999999999": value out of range"#
        ),
        ("service=s&limit=ten", #"strconv.ParseInt: parsing "ten": invalid syntax"#),
        ("service=s&limit=2147483648", #"strconv.ParseInt: parsing "2147483648": value out of range"#),
        ("service=s&minDuration=5", #"unable to parse param 'minDuration': time: missing unit in duration "5""#),
        ("service=s&minDuration=abc", #"unable to parse param 'minDuration': time: invalid duration "abc""#),
        ("service=s&maxDuration=1x", #"unable to parse param 'maxDuration': time: unknown unit "x" in duration "1x""#),
        ("service=s&minDuration=2s&maxDuration=1s", "'maxDuration' should be greater than 'minDuration'"),
        ("service=s&tag=novalue", "malformed 'tag' parameter, expecting key:value, received: novalue"),
        (
            #"service=s&tags={"a":1}"#,
            #"malformed 'tags' parameter, cannot unmarshal JSON: value of "a" is not a string"#
        ),
        ("service=s&tags={bad", "malformed 'tags' parameter, cannot unmarshal JSON: invalid JSON"),
        (
            #"service=s&tags=["a"]"#,
            "malformed 'tags' parameter, cannot unmarshal JSON: expected a JSON object of strings"
        ),
        ("traceID=xyz", #"cannot parse traceID param: strconv.ParseUint: parsing "xyz": invalid syntax"#),
        (
            "traceID=1&traceID=000000000000000000000000000000001",
            "cannot parse traceID param: TraceID cannot be longer than 32 hex characters: 000000000000000000000000000000001"
        ),
        ("service=s&raw=yes", #"unable to parse param 'raw': strconv.ParseBool: parsing "yes": invalid syntax"#),
        // Parse errors come before the service check, as in Jaeger.
        ("start=x", #"unable to parse param 'start': strconv.ParseInt: parsing "x": invalid syntax"#),
        ("traceID=1&limit=x", #"strconv.ParseInt: parsing "x": invalid syntax"#),
    ])
    func rejectsWithJaegersMessage(query: String, message: String) {
        #expect(throws: QueryParameterError(message: message)) { try Self.parse(query) }
    }
}
