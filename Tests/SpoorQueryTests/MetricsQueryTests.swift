import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import Testing

/// `/api/metrics/*`: parameters (Jaeger's messages), point computation on synthetic rollups, the MetricFamily JSON,
/// and the whole path over a real store (spec/query-api.md §7.2).
struct MetricsQueryTests {
    /// 2026-01-01T00:00:00Z.
    static let t0Seconds: UInt64 = 1_767_225_600
    static let t0Nanos = t0Seconds * 1_000_000_000
    static let second: UInt64 = 1_000_000_000

    /// `a=1&b=2` → query items (no decoding needed in these tests).
    static func items(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&").map { part in
            guard let eq = part.firstIndex(of: "=") else { return (String(part), "") }
            return (String(part[..<eq]), String(part[part.index(after: eq)...]))
        }
    }

    /// A rollup of `count` spans of one duration, the first `errors` of them errors.
    static func rollup(count: Int, errors: Int = 0, durationNanos: UInt64) -> SpanRollup {
        var rollup = SpanRollup()
        for i in 0..<count { rollup.add(durationNanos: durationNanos, isError: i < errors) }
        return rollup
    }

    static func slot(_ minute: UInt64, _ rollup: SpanRollup, operation: String = "GET /", kind: SpanKind = .server) -> RollupSlot {
        RollupSlot(slotStartSeconds: t0Seconds + 60 * minute, operation: operation, kind: kind, rollup: rollup)
    }

    /// Points at t0, t0+1m, t0+2m; windows of two minutes.
    static let twoMinuteRequest = MetricsRequest(
        services: ["api"], quantile: 0.95, endNanos: t0Nanos + 120 * second, lookbackNanos: 120 * second,
        stepNanos: 60 * second, ratePerNanos: 120 * second)

    static func json(_ family: MetricFamily) -> String { String(decoding: MetricsJSON.family(family), as: UTF8.self) }

    // MARK: - Parameters

    static let parameterErrors: [(kind: MetricKind, query: String, message: String)] = [
        (.latencies, "service=a", #"unable to parse param 'quantile': strconv.ParseFloat: parsing "": invalid syntax"#),
        (.latencies, "service=a&quantile=foo", #"unable to parse param 'quantile': strconv.ParseFloat: parsing "foo": invalid syntax"#),
        (.latencies, "quantile=0.5", "unable to parse param 'service': please provide at least one service name"),
        (.calls, "", "unable to parse param 'service': please provide at least one service name"),
        (.errors, "lookback=60000", "unable to parse param 'service': please provide at least one service name"),
        (.calls, "service=a&groupByOperation=foo",
         #"unable to parse param 'groupByOperation': strconv.ParseBool: parsing "foo": invalid syntax"#),
        (.calls, "service=a&spanKind=foo", "unable to parse param 'spanKind': unsupported span kind: 'foo'"),
        (.calls, "service=a&spanKind=server&spanKind=", "unable to parse param 'spanKind': unsupported span kind: ''"),
        (.calls, "service=a&spanKind=Server", "unable to parse param 'spanKind': unsupported span kind: 'Server'"),
        (.calls, "service=a&endTs=foo", #"unable to parse param 'endTs': strconv.ParseInt: parsing "foo": invalid syntax"#),
        (.calls, "service=a&lookback=foo", #"unable to parse param 'lookback': strconv.ParseInt: parsing "foo": invalid syntax"#),
        (.calls, "service=a&step=foo", #"unable to parse param 'step': strconv.ParseInt: parsing "foo": invalid syntax"#),
        (.calls, "service=a&ratePer=foo", #"unable to parse param 'ratePer': strconv.ParseInt: parsing "foo": invalid syntax"#),
        (.calls, "service=a&lookback=0", "unable to parse param 'lookback': must be greater than zero"),
        (.calls, "service=a&step=-60000", "unable to parse param 'step': must be greater than zero"),
        (.calls, "service=a&ratePer=0", "unable to parse param 'ratePer': must be greater than zero"),
        (.calls, "service=a&lookback=9223372036855", "unable to parse param 'lookback': duration out of range: '9223372036855'"),
        (.calls, "service=a&step=-9223372036854775807",
         "unable to parse param 'step': duration out of range: '-9223372036854775807'"),
        (.calls, "service=a&lookback=3600000&step=1",
         "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"),
    ]

    @Test(arguments: parameterErrors)
    func badParametersGiveJaegersMessages(_ testCase: (kind: MetricKind, query: String, message: String)) {
        #expect(throws: QueryParameterError(message: testCase.message)) {
            try MetricsRequest.parse(testCase.kind, Self.items(testCase.query), nowNanos: Self.t0Nanos)
        }
    }

    @Test func defaultsAreOneHourFiveSecondsTenMinutesServerAndNow() throws {
        let request = try MetricsRequest.parse(.calls, Self.items("service=frontend"), nowNanos: Self.t0Nanos + 123)
        #expect(request.services == ["frontend"])
        #expect(request.endNanos == Self.t0Nanos + 123)
        #expect(request.lookbackNanos == 3_600 * Self.second)
        #expect(request.stepNanos == 5 * Self.second)
        #expect(request.ratePerNanos == 600 * Self.second)
        #expect(request.spanKinds == [.server])
        #expect(request.groupByOperation == false)
        #expect(request.quantile == 0)
        #expect(request.pointCount == 721)
    }

    @Test func extremeEndTimesAreClampedNotTrapped() throws {
        let late = try MetricsRequest.parse(.calls, Self.items("service=a&endTs=9223372036854775807&lookback=60000"), nowNanos: 0)
        #expect(late.endNanos == UInt64.max / 1_000_000 * 1_000_000)
        let early = try MetricsRequest.parse(.calls, Self.items("service=a&endTs=-5&lookback=60000&step=60000"), nowNanos: 0)
        #expect(early.endNanos == 0 && early.startNanos == 0 && early.pointCount == 1)
        let family = MetricsComputation.family(.calls, request: late, rollups: ["a": Self.twoMinutes], slotSeconds: 60)
        #expect(family.metrics.isEmpty)
    }

    @Test func uiRequestParsesEveryParameter() throws {
        let query = "service=frontend&service=driver&service=frontend&endTs=1767225600000&groupByOperation=true"
            + "&lookback=3600000&quantile=0.75&ratePer=600000&spanKind=server&spanKind=client&step=60000"
        let request = try MetricsRequest.parse(.latencies, Self.items(query), nowNanos: 1)
        #expect(request.services == ["frontend", "driver"])
        #expect(request.quantile == 0.75)
        #expect(request.groupByOperation)
        #expect(request.spanKinds == [.server, .client])
        #expect(request.endNanos == Self.t0Nanos)
        #expect(request.startNanos == Self.t0Nanos - 3_600 * Self.second)
        #expect(request.stepNanos == 60 * Self.second)
        #expect(request.pointCount == 61)
    }

    @Test func everyJaegerSpanKindIsAccepted() throws {
        let query = "service=a&spanKind=unspecified&spanKind=internal&spanKind=server&spanKind=client&spanKind=producer"
            + "&spanKind=consumer"
        let request = try MetricsRequest.parse(.errors, Self.items(query), nowNanos: Self.t0Nanos)
        #expect(request.spanKinds == Set(SpanKind.allCases))
    }

    @Test func quantileIsParsedAsGoParseFloatDoes() throws {
        #expect(try GoStrconv.parseFloat("0.95") == 0.95)
        #expect(try GoStrconv.parseFloat(".5") == 0.5)
        #expect(try GoStrconv.parseFloat("5.") == 5)
        #expect(try GoStrconv.parseFloat("-1E-2") == -0.01)
        #expect(try GoStrconv.parseFloat("+Inf") == .infinity)
        #expect(try GoStrconv.parseFloat("NaN").isNaN)
        #expect(throws: QueryParameterError(message: #"strconv.ParseFloat: parsing "1e": invalid syntax"#)) {
            try GoStrconv.parseFloat("1e")
        }
        #expect(throws: QueryParameterError(message: #"strconv.ParseFloat: parsing " 1": invalid syntax"#)) {
            try GoStrconv.parseFloat(" 1")
        }
        #expect(throws: QueryParameterError(message: #"strconv.ParseFloat: parsing "1e400": value out of range"#)) {
            try GoStrconv.parseFloat("1e400")
        }
    }

    // MARK: - Names and help

    @Test func familyNamesAndHelpFollowJaeger() {
        #expect(MetricKind.latencies.familyName(grouped: false) == "service_latencies")
        #expect(MetricKind.calls.familyName(grouped: false) == "service_call_rate")
        #expect(MetricKind.errors.familyName(grouped: false) == "service_error_rate")
        #expect(MetricKind.latencies.familyName(grouped: true) == "service_operation_latencies")
        #expect(MetricKind.calls.familyName(grouped: true) == "service_operation_call_rate")
        #expect(MetricKind.errors.familyName(grouped: true) == "service_operation_error_rate")
        #expect(MetricKind.latencies.help(grouped: false, quantile: 0.95) == "0.95th quantile latency, grouped by service")
        #expect(MetricKind.latencies.help(grouped: true, quantile: 0.5)
            == "0.50th quantile latency, grouped by service & operation")
        #expect(MetricKind.calls.help(grouped: false, quantile: 0) == "calls/sec, grouped by service")
        #expect(MetricKind.errors.help(grouped: true, quantile: 0)
            == "error rate, computed as a fraction of errors/sec over calls/sec, grouped by service & operation")
    }

    // MARK: - Point computation

    /// Minute 0: 60 calls of 5 ms, 6 errors; minute 1: 120 calls of 8 ms, no errors.
    static let twoMinutes = [
        slot(0, rollup(count: 60, errors: 6, durationNanos: 5_000_000)),
        slot(1, rollup(count: 120, durationNanos: 8_000_000)),
    ]

    @Test func callRateIsCallsInTheWindowOverRatePerAndEmptyWindowsAreZero() {
        let family = MetricsComputation.family(
            .calls, request: Self.twoMinuteRequest, rollups: ["api": Self.twoMinutes], slotSeconds: 60)
        #expect(family.name == "service_call_rate")
        #expect(family.metrics.count == 1)
        #expect(family.metrics.first?.labels == [MetricLabel(name: "service_name", value: "api")])
        // t0: window [t0-2m, t0) is empty; t0+1m: minute 0 only; t0+2m: both minutes.
        #expect(family.metrics.first?.points.map(\.value) == [0, 60.0 / 120, 180.0 / 120])
        #expect(family.metrics.first?.points.map(\.timestampNanos) == [
            Self.t0Nanos, Self.t0Nanos + 60 * Self.second, Self.t0Nanos + 120 * Self.second,
        ])
    }

    @Test func errorRateIsAFractionOfCallsWithNoPointWithoutCalls() {
        let family = MetricsComputation.family(
            .errors, request: Self.twoMinuteRequest, rollups: ["api": Self.twoMinutes], slotSeconds: 60)
        #expect(family.metrics.first?.points.map(\.value) == [6.0 / 60, 6.0 / 180])
        #expect(family.metrics.first?.points.map(\.timestampNanos) == [Self.t0Nanos + 60 * Self.second, Self.t0Nanos + 120 * Self.second])
    }

    @Test func errorRateIsZeroValuedWhenThereAreCallsButNoErrors() {
        let calm = [Self.slot(0, Self.rollup(count: 10, durationNanos: 1_000_000))]
        let family = MetricsComputation.family(.errors, request: Self.twoMinuteRequest, rollups: ["api": calm], slotSeconds: 60)
        #expect(family.metrics.count == 1)
        #expect(family.metrics.first?.points.map(\.value) == [0, 0])
    }

    @Test func latencyIsExactWhenEveryDurationIsEqualAndClampedToTheLongest() throws {
        let family = MetricsComputation.family(
            .latencies, request: Self.twoMinuteRequest, rollups: ["api": Self.twoMinutes], slotSeconds: 60)
        #expect(family.name == "service_latencies")
        #expect(family.help == "0.95th quantile latency, grouped by service")
        // t0+1m: only 5 ms calls; t0+2m: the 95th percentile lies among the 8 ms calls (the longest).
        #expect(family.metrics.first?.points.map(\.value) == [5, 8])

        var low = Self.twoMinuteRequest
        low.quantile = 0.25
        let quartile = MetricsComputation.family(.latencies, request: low, rollups: ["api": Self.twoMinutes], slotSeconds: 60)
        let last = try #require(quartile.metrics.first?.points.last?.value)
        // The 45th of 180 durations is a 5 ms one; the histogram answers within one bucket (≈ 9 %).
        #expect(last >= 5 * 0.91 && last <= 5 * 1.09)
    }

    @Test func groupByOperationGivesOneSeriesPerOperationSortedWithBothLabels() {
        var request = Self.twoMinuteRequest
        request.groupByOperation = true
        let slots = [
            Self.slot(0, Self.rollup(count: 12, durationNanos: 1_000_000), operation: "b-op"),
            Self.slot(0, Self.rollup(count: 6, durationNanos: 1_000_000), operation: "a-op", kind: .server),
            Self.slot(1, Self.rollup(count: 6, durationNanos: 1_000_000), operation: "a-op", kind: .client),
        ]
        let family = MetricsComputation.family(.calls, request: request, rollups: ["web": slots, "idle": []], slotSeconds: 60)
        #expect(family.name == "service_operation_call_rate")
        #expect(family.help == "calls/sec, grouped by service & operation")
        #expect(family.metrics.map(\.labels) == [
            [MetricLabel(name: "service_name", value: "web"), MetricLabel(name: "operation", value: "a-op")],
            [MetricLabel(name: "service_name", value: "web"), MetricLabel(name: "operation", value: "b-op")],
        ])
        // Kinds of one operation are merged.
        #expect(family.metrics.first?.points.map(\.value) == [0, 6.0 / 120, 12.0 / 120])
        #expect(family.metrics.last?.points.map(\.value) == [0, 12.0 / 120, 12.0 / 120])
    }

    @Test func servicesWithoutCallsInAnyWindowHaveNoSeries() {
        // A slot after the last point, and a slot long before the first window.
        let outside = [
            Self.slot(5, Self.rollup(count: 3, durationNanos: 1_000_000)),
            RollupSlot(slotStartSeconds: Self.t0Seconds - 3_600, operation: "x", kind: .server,
                       rollup: Self.rollup(count: 3, durationNanos: 1_000_000)),
        ]
        for kind in MetricKind.allCases {
            let family = MetricsComputation.family(kind, request: Self.twoMinuteRequest, rollups: ["api": outside], slotSeconds: 60)
            #expect(family.metrics.isEmpty)
            #expect(Self.json(family).hasSuffix(#""metrics":[]}"#))
        }
    }

    @Test func ratePerIsRoundedUpToWholeSlots() {
        #expect(MetricsComputation.windowNanos(ratePerNanos: 600 * Self.second, slotSeconds: 60) == 600 * Self.second)
        #expect(MetricsComputation.windowNanos(ratePerNanos: 90 * Self.second, slotSeconds: 60) == 120 * Self.second)
        #expect(MetricsComputation.windowNanos(ratePerNanos: 600 * Self.second, slotSeconds: 3_600) == 3_600 * Self.second)
        // With hour slots, a 10-minute rate is computed over the whole hour.
        let request = MetricsRequest(
            services: ["api"], endNanos: Self.t0Nanos + 3_600 * Self.second, lookbackNanos: 3_600 * Self.second,
            stepNanos: 3_600 * Self.second, ratePerNanos: 600 * Self.second)
        let hourly = [RollupSlot(slotStartSeconds: Self.t0Seconds, operation: "x", kind: .server,
                                 rollup: Self.rollup(count: 7_200, durationNanos: 1_000_000))]
        let family = MetricsComputation.family(.calls, request: request, rollups: ["api": hourly], slotSeconds: 3_600)
        #expect(family.metrics.first?.points.map(\.value) == [0, 2])
    }

    @Test func resolutionIsMinutesUpToFortyEightHours() {
        func request(lookbackHours: UInt64, ratePerMinutes: UInt64) -> MetricsRequest {
            MetricsRequest(
                services: ["a"], endNanos: Self.t0Nanos, lookbackNanos: lookbackHours * 3_600 * Self.second,
                stepNanos: 60 * Self.second, ratePerNanos: ratePerMinutes * 60 * Self.second)
        }
        #expect(MetricsComputation.resolution(for: request(lookbackHours: 47, ratePerMinutes: 60)) == .minute)
        #expect(MetricsComputation.resolution(for: request(lookbackHours: 48, ratePerMinutes: 10)) == .hour)
        #expect(MetricsComputation.resolution(for: request(lookbackHours: 1, ratePerMinutes: 10)) == .minute)
    }

    /// The sliding window must give what merging every window's slots from scratch gives.
    @Test(arguments: [1, 2, 3])
    func slidingWindowMatchesMergingEachWindow(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        var slots: [RollupSlot] = []
        for minute in 0..<90 where generator.next() % 3 != 0 {
            var rollup = SpanRollup()
            for _ in 0..<(1 + generator.next() % 20) {
                rollup.add(durationNanos: 1_000_000 + generator.next() % 500_000_000, isError: generator.next() % 7 == 0)
            }
            slots.append(RollupSlot(slotStartSeconds: Self.t0Seconds + 60 * UInt64(minute), operation: "op", kind: .server, rollup: rollup))
        }
        let request = MetricsRequest(
            services: ["api"], quantile: 0.9, endNanos: Self.t0Nanos + 5_400 * Self.second + 17_000_000,
            lookbackNanos: 5_000 * Self.second, stepNanos: 45 * Self.second, ratePerNanos: 600 * Self.second)
        for kind in MetricKind.allCases {
            let fast = MetricsComputation.family(kind, request: request, rollups: ["api": slots], slotSeconds: 60)
            var expected: [MetricPoint] = []
            for index in 0..<request.pointCount {
                let t = request.startNanos + index * request.stepNanos
                var merged = SpanRollup()
                for slot in slots where slot.slotStartSeconds * Self.second < t && slot.slotStartSeconds * Self.second >= t - 600 * Self.second {
                    merged.merge(slot.rollup)
                }
                switch kind {
                case .calls: expected.append(MetricPoint(timestampNanos: t, value: Double(merged.count) / 600))
                case .errors where merged.count > 0:
                    expected.append(MetricPoint(timestampNanos: t, value: Double(merged.errors) / Double(merged.count)))
                case .latencies where merged.count > 0:
                    expected.append(MetricPoint(timestampNanos: t, value: (merged.quantileNanos(0.9) ?? 0) / 1e6))
                default: break
                }
            }
            #expect(fast.metrics.first?.points == expected)
        }
    }

    // MARK: - JSON

    @Test func familyJSONHasTheExactProto3Shape() {
        let family = MetricsComputation.family(
            .calls, request: Self.twoMinuteRequest, rollups: ["api": Self.twoMinutes], slotSeconds: 60)
        #expect(Self.json(family) == #"{"name":"service_call_rate","type":"GAUGE","help":"calls/sec, grouped by service","#
            + #""metrics":[{"labels":[{"name":"service_name","value":"api"}],"metricPoints":["#
            + #"{"gaugeValue":{"doubleValue":0},"timestamp":"2026-01-01T00:00:00Z"},"#
            + #"{"gaugeValue":{"doubleValue":0.5},"timestamp":"2026-01-01T00:01:00Z"},"#
            + #"{"gaugeValue":{"doubleValue":1.5},"timestamp":"2026-01-01T00:02:00Z"}]}]}"#)
        let empty = MetricFamily(name: "service_operation_latencies", help: "h", metrics: [])
        #expect(Self.json(empty) == #"{"name":"service_operation_latencies","type":"GAUGE","help":"h","metrics":[]}"#)
    }

    @Test func timestampsAreRFC3339UTCWithProtoFractions() throws {
        #expect(RFC3339.formatUTC(unixNanos: Self.t0Nanos) == "2026-01-01T00:00:00Z")
        #expect(RFC3339.formatUTC(unixNanos: Self.t0Nanos + 500_000_000) == "2026-01-01T00:00:00.500Z")
        #expect(RFC3339.formatUTC(unixNanos: Self.t0Nanos + 250_000) == "2026-01-01T00:00:00.000250Z")
        #expect(RFC3339.formatUTC(unixNanos: Self.t0Nanos + 7) == "2026-01-01T00:00:00.000000007Z")
        #expect(RFC3339.formatUTC(unixNanos: 0) == "1970-01-01T00:00:00Z")
        // Round trip through the parser for dates around leap days and year ends.
        for text in ["2024-02-29T23:59:59Z", "2000-03-01T00:00:00Z", "1999-12-31T12:34:56.789Z", "2500-12-31T23:59:59Z"] {
            #expect(RFC3339.formatUTC(unixNanos: try RFC3339.parseUnixNanos(text)) == text)
        }
    }

    // MARK: - Over a store

    /// frontend: 20 server calls of 10 ms in minute 0 (4 errors), 10 server calls of 2 ms in minute 3, and client
    /// calls (not counted by default); driver: 5 server calls.
    static func writeDataset(_ store: SpanStore) throws {
        var spans: [Span] = []
        var trace: UInt64 = 0
        func add(_ service: String, _ operation: String, kind: String, startMicros: UInt64, durationMicros: UInt64, error: Bool = false) {
            trace += 1
            var tags: [Attribute] = [.string("span.kind", kind)]
            if error { tags.append(.bool("error", true)) }
            spans.append(SpanBuilder.span(
                trace: trace, span: 1, service: service, operation: operation, startMicros: startMicros,
                durationMicros: durationMicros, tags: tags))
        }
        let t0Micros = t0Seconds * 1_000_000
        for i in 0..<20 {
            add("frontend", "GET /dispatch", kind: "server", startMicros: t0Micros + UInt64(i) * 1_000_000, durationMicros: 10_000, error: i % 5 == 0)
        }
        for i in 0..<10 {
            add("frontend", "GET /config", kind: "server", startMicros: t0Micros + 180_000_000 + UInt64(i) * 1_000_000, durationMicros: 2_000)
        }
        for i in 0..<7 {
            add("frontend", "call driver", kind: "client", startMicros: t0Micros + UInt64(i) * 1_000_000, durationMicros: 1_000, error: true)
        }
        for i in 0..<5 {
            add("driver", "find", kind: "server", startMicros: t0Micros + UInt64(i) * 1_000_000, durationMicros: 2_000)
        }
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: t0Nanos + 3_600 * second)
    }

    @Test func storeBackedMetricsGiveExactRatesAndQuantiles() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try Self.writeDataset(store)
        // UI-style: points every minute over 10 minutes, 10-minute windows.
        let query = "service=frontend&endTs=\((Self.t0Seconds + 600) * 1_000)&lookback=600000&step=60000&ratePer=600000&quantile=0.95"

        let calls = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls, request: MetricsRequest.parse(.calls, Self.items(query), nowNanos: 0))
        // t0: nothing before; t0+1m … t0+3m: the 20 dispatch calls; t0+4m …: 30 calls.
        let callCounts: [Double] = [0, 20, 20, 20, 30, 30, 30, 30, 30, 30, 30]
        let expectedCalls = callCounts.map { $0 / 600 }
        #expect(calls.metrics.count == 1)
        #expect(calls.metrics.first?.points.map(\.value) == expectedCalls)

        let errors = try MetricsQuery.family(
            store: store, tenant: "", kind: .errors, request: MetricsRequest.parse(.errors, Self.items(query), nowNanos: 0))
        let expectedErrors: [Double] = Array(repeating: 4.0 / 20, count: 3) + Array(repeating: 4.0 / 30, count: 7)
        #expect(errors.metrics.first?.points.map(\.value) == expectedErrors)

        let latencies = try MetricsQuery.family(
            store: store, tenant: "", kind: .latencies, request: MetricsRequest.parse(.latencies, Self.items(query), nowNanos: 0))
        // p95 lies among the 10 ms dispatch calls (the longest, so exact) in every window.
        #expect(latencies.metrics.first?.points.map(\.value) == Array(repeating: 10, count: 10))
        let p05 = try MetricsQuery.family(
            store: store, tenant: "", kind: .latencies,
            request: MetricsRequest.parse(.latencies, Self.items(query + "&quantile=0.05").filter { $0.value != "0.95" }, nowNanos: 0))
        // Once the 2 ms config calls join, p5 lies among them (the shortest, so exact).
        #expect(p05.help == "0.05th quantile latency, grouped by service")
        #expect(p05.metrics.first?.points.map(\.value) == [10, 10, 10, 2, 2, 2, 2, 2, 2, 2])

        // Grouped by operation, client spans included: one series per operation, sorted.
        let grouped = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls,
            request: MetricsRequest.parse(.calls, Self.items(query + "&groupByOperation=true&spanKind=server&spanKind=client"), nowNanos: 0))
        #expect(grouped.metrics.map { $0.labels.last?.value } == ["GET /config", "GET /dispatch", "call driver"])
        #expect(grouped.metrics.last?.points.last?.value == 7.0 / 600)

        // Two services: one series each, sorted by name; an unknown service adds none.
        let both = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls,
            request: MetricsRequest.parse(.calls, Self.items(query + "&service=driver&service=nobody"), nowNanos: 0))
        #expect(both.metrics.map { $0.labels.first?.value } == ["driver", "frontend"])
        #expect(both.metrics.first?.points.last?.value == 5.0 / 600)

        // Another tenant sees nothing.
        let other = try MetricsQuery.family(
            store: store, tenant: "other", kind: .calls, request: MetricsRequest.parse(.calls, Self.items(query), nowNanos: 0))
        #expect(other.metrics.isEmpty)
    }
}
