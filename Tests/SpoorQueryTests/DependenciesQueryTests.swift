import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import Testing

/// `GET /api/dependencies`: parameters, the v1 JSON body, and links over a real store (spec/query-api.md §3.8, §7.1).
struct DependenciesQueryTests {
    /// 2026-01-01T00:00:00Z in µs and ms.
    static let t0Micros: UInt64 = 1_767_225_600_000_000
    static let t0Millis = t0Micros / 1_000
    static let t0Nanos = t0Micros * 1_000
    static let hourNanos: UInt64 = 3_600 * 1_000_000_000

    static func items(_ query: String) -> [(name: String, value: String)] { MetricsQueryTests.items(query) }

    static func body(_ links: [DependencyLink]) -> String { String(decoding: UIJSON.dependencies(links), as: UTF8.self) }

    // MARK: - Parameters

    @Test func defaultsAreNowAndTwentyFourHours() throws {
        let request = try DependenciesRequest.parse([], nowNanos: Self.t0Nanos)
        #expect(request == DependenciesRequest(startNanos: Self.t0Nanos - 24 * Self.hourNanos, endNanos: Self.t0Nanos, service: nil))
    }

    @Test func endTsAndLookbackAreMilliseconds() throws {
        let request = try DependenciesRequest.parse(
            Self.items("endTs=\(Self.t0Millis)&lookback=604800000&service=frontend"), nowNanos: 1)
        #expect(request.endNanos == Self.t0Nanos)
        #expect(request.startNanos == Self.t0Nanos - 7 * 24 * Self.hourNanos)
        #expect(request.service == "frontend")
        // Empty values mean absent; a lookback reaching before 1970 starts at the epoch.
        let lenient = try DependenciesRequest.parse(Self.items("endTs=&lookback=&service="), nowNanos: 42 * Self.hourNanos)
        #expect(lenient == DependenciesRequest(startNanos: 18 * Self.hourNanos, endNanos: 42 * Self.hourNanos, service: nil))
        let early = try DependenciesRequest.parse(Self.items("endTs=1000&lookback=5000"), nowNanos: 0)
        #expect(early.startNanos == 0 && early.endNanos == 1_000_000_000)
    }

    static let parameterErrors: [(query: String, message: String)] = [
        ("endTs=foo", #"unable to parse param 'endTs': strconv.ParseInt: parsing "foo": invalid syntax"#),
        ("endTs=1.5", #"unable to parse param 'endTs': strconv.ParseInt: parsing "1.5": invalid syntax"#),
        ("endTs=99999999999999999999", #"unable to parse param 'endTs': strconv.ParseInt: parsing "99999999999999999999": value out of range"#),
        ("lookback=1h", #"unable to parse param 'lookback': strconv.ParseInt: parsing "1h": invalid syntax"#),
        ("lookback=9223372036855", "unable to parse param 'lookback': duration out of range: '9223372036855'"),
    ]

    @Test(arguments: parameterErrors)
    func badParametersGiveJaegersMessages(_ testCase: (query: String, message: String)) {
        #expect(throws: QueryParameterError(message: testCase.message)) {
            try DependenciesRequest.parse(Self.items(testCase.query), nowNanos: Self.t0Nanos)
        }
    }

    // MARK: - JSON

    @Test func bodyIsTheV1EnvelopeWithLinks() {
        #expect(Self.body([]) == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#)
        let links = [
            DependencyLink(parent: "frontend", child: "driver", callCount: 3),
            DependencyLink(parent: "a\"b", child: "c", callCount: 18_446_744_073_709_551_615),
        ]
        #expect(Self.body(links) == #"{"data":[{"parent":"frontend","child":"driver","callCount":3},"#
            + #"{"parent":"a\"b","child":"c","callCount":18446744073709551615}],"total":0,"limit":0,"offset":0,"errors":null}"#)
        #expect(String(decoding: UIJSON.minStep(millis: 60_000), as: UTF8.self)
            == #"{"data":60000,"total":0,"limit":0,"offset":0,"errors":null}"#)
    }

    @Test func serviceFilterKeepsLinksWithTheServiceAtEitherEnd() {
        let links = [
            DependencyLink(parent: "driver", child: "redis", callCount: 2),
            DependencyLink(parent: "frontend", child: "driver", callCount: 3),
            DependencyLink(parent: "frontend", child: "route", callCount: 5),
        ]
        #expect(DependenciesQuery.filter(links, service: "driver") == Array(links[0...1]))
        #expect(DependenciesQuery.filter(links, service: "route") == [links[2]])
        #expect(DependenciesQuery.filter(links, service: "nobody").isEmpty)
        #expect(DependenciesQuery.filter(links, service: nil) == links)
        #expect(DependenciesQuery.filter(links, service: "") == links)
    }

    // MARK: - Over a store

    /// frontend→driver ×3, frontend→route ×5, driver→redis ×2 near t0 (one trace per call), plus frontend→driver once
    /// more three hours later.
    static func writeDataset(_ store: SpanStore) throws {
        var spans: [Span] = []
        var trace: UInt64 = 0
        func call(_ parent: String, _ child: String, at micros: UInt64) {
            trace += 1
            spans.append(SpanBuilder.span(trace: trace, span: 1, service: parent, startMicros: micros))
            spans.append(SpanBuilder.span(trace: trace, span: 2, parent: 1, service: child, startMicros: micros + 5))
        }
        for i in 0..<3 { call("frontend", "driver", at: t0Micros + UInt64(i) * 1_000_000) }
        for i in 0..<5 { call("frontend", "route", at: t0Micros + 60_000_000 + UInt64(i) * 1_000_000) }
        for i in 0..<2 { call("driver", "redis", at: t0Micros + 120_000_000 + UInt64(i) * 1_000_000) }
        call("frontend", "driver", at: t0Micros + 3 * 3_600_000_000)
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: t0Nanos + 4 * hourNanos)
    }

    @Test func storeLinksHaveExactCallCountsAndRespectWindowAndService() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try Self.writeDataset(store)

        // One hour ending 30 minutes after t0: the late call is outside.
        let hour = try DependenciesRequest.parse(
            Self.items("endTs=\(Self.t0Millis + 1_800_000)&lookback=3600000"), nowNanos: 0)
        let links = try DependenciesQuery.links(store: store, tenant: "", request: hour)
        #expect(links == [
            DependencyLink(parent: "driver", child: "redis", callCount: 2),
            DependencyLink(parent: "frontend", child: "driver", callCount: 3),
            DependencyLink(parent: "frontend", child: "route", callCount: 5),
        ])
        #expect(Self.body(links) == #"{"data":[{"parent":"driver","child":"redis","callCount":2},"#
            + #"{"parent":"frontend","child":"driver","callCount":3},{"parent":"frontend","child":"route","callCount":5}],"#
            + #""total":0,"limit":0,"offset":0,"errors":null}"#)

        // The UI's week window holds the late call too.
        let week = try DependenciesRequest.parse(
            Self.items("endTs=\(Self.t0Millis + 5 * 3_600_000)&lookback=604800000&service=driver"), nowNanos: 0)
        #expect(try DependenciesQuery.links(store: store, tenant: "", request: week) == [
            DependencyLink(parent: "driver", child: "redis", callCount: 2),
            DependencyLink(parent: "frontend", child: "driver", callCount: 4),
        ])

        // A window before the data, a negative lookback, and another tenant hold nothing.
        let before = try DependenciesRequest.parse(Self.items("endTs=\(Self.t0Millis - 60_000)&lookback=3600000"), nowNanos: 0)
        #expect(try DependenciesQuery.links(store: store, tenant: "", request: before).isEmpty)
        let negative = try DependenciesRequest.parse(Self.items("endTs=\(Self.t0Millis)&lookback=-3600000"), nowNanos: 0)
        #expect(try DependenciesQuery.links(store: store, tenant: "", request: negative).isEmpty)
        #expect(try DependenciesQuery.links(store: store, tenant: "other", request: hour).isEmpty)
    }
}
