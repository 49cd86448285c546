import SpoorModel
import SpoorStorage
import SpoorTestSupport
import Testing

@testable import SpoorQuery

/// The query side tells names apart by their UTF-8 bytes, as the store and Jaeger do. Swift's `String ==` treats
/// canonically equivalent spellings ("caf\u{E9}" and "cafe\u{301}") as equal, and `<` orders them by their NFC form,
/// so a set, dictionary or sort keyed by `String` merged two services, operations or processes, or listed them in an
/// order Jaeger does not use.
///
/// Every comparison below is on bytes: `#expect(a == b)` on strings would itself treat the two spellings as equal.
struct NameSpellingTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Whether `haystack` holds the UTF-8 bytes of `needle` (`String.contains` may compare canonically).
    static func containsBytes(_ haystack: [UInt8], _ needle: String) -> Bool {
        let target = Array(needle.utf8)
        guard target.count <= haystack.count else { return false }
        return (0...(haystack.count - target.count)).contains { haystack[$0..<$0 + target.count].elementsEqual(target) }
    }

    // MARK: - V3 operations (place 1)

    /// `GET /api/v3/operations` lists both spellings of an operation of the same kind (the old dedupe set merged
    /// them) and sorts by bytes, then by shown kind.
    @Test func v3OperationsKeepBothSpellingsSortedByBytes() throws {
        let start: UInt64 = 1_400_000_000_000_000
        func span(_ id: UInt64, _ operation: String, _ kind: String) -> Span {
            SpanBuilder.span(
                trace: id, span: 1, service: "svc", operation: operation, startMicros: start + id,
                tags: [.string("span.kind", kind)])
        }
        let spans = [
            span(1, Spellings.composed, "server"), span(2, Spellings.decomposed, "server"), span(3, Spellings.between, "server"),
            span(4, Spellings.composed, "client"),
        ]
        try V3Test.withEndpoints([spans]) { endpoints in
            let body = endpoints.operations(tenant: "", items: V3Test.items(["service": "svc"]))
            let expected = #"{"operations":[{"name":""# + Spellings.decomposed + #"","spanKind":"server"},"#
                + #"{"name":""# + Spellings.between + #"","spanKind":"server"},"#
                + #"{"name":""# + Spellings.composed + #"","spanKind":"client"},"#
                + #"{"name":""# + Spellings.composed + #"","spanKind":"server"}]}"#
            #expect(body == Array(expected.utf8), "\(Self.text(body))")
        }
    }

    // MARK: - V3 trace summary (place 4)

    /// A trace summary counts spans per service by the name's bytes: two spellings are two services, each with its
    /// own span and error counts, listed in byte order.
    @Test func v3SummaryCountsEachSpellingAsItsOwnService() throws {
        let spans = [
            SpanBuilder.span(trace: 9, span: 1, service: Spellings.composed, operation: "root", startMicros: 1_000),
            SpanBuilder.span(trace: 9, span: 2, parent: 1, service: Spellings.decomposed, startMicros: 1_001),
            SpanBuilder.span(trace: 9, span: 3, parent: 1, service: Spellings.composed, startMicros: 1_002, tags: [.bool("error", true)]),
            SpanBuilder.span(trace: 9, span: 4, parent: 1, service: Spellings.between, startMicros: 1_003),
        ]
        let summary = try #require(V3TraceSummary(spans))
        #expect(Spellings.bytes(summary.services.map(\.name)) == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed]))
        #expect(summary.services.map(\.spanCount) == [1, 1, 2])
        #expect(summary.services.map(\.errorSpanCount) == [0, 0, 1])
        #expect(Array(summary.rootServiceName.utf8) == Array(Spellings.composed.utf8))
        #expect(summary.spanCount == 4 && summary.errorSpanCount == 1)
    }

    // MARK: - Metrics (place 5)

    /// Repeated `service` parameters are deduplicated by bytes: a second spelling is another service, a repeat of
    /// the same bytes is dropped.
    @Test func metricsRequestKeepsEachSpellingOfAService() throws {
        let query = "service=\(Spellings.composed)&service=\(Spellings.decomposed)&service=\(Spellings.composed)"
        let request = try MetricsRequest.parse(.calls, MetricsQueryTests.items(query), nowNanos: MetricsQueryTests.t0Nanos)
        #expect(Spellings.bytes(request.services) == Spellings.bytes([Spellings.composed, Spellings.decomposed]))
    }

    /// Writes server spans in minute 0 after t0: `count` calls of `service`/`operation` each.
    private static func writeCalls(_ store: SpanStore, _ calls: [(service: String, operation: String, count: Int)]) throws {
        var spans: [Span] = []
        var trace: UInt64 = 0
        let t0Micros = MetricsQueryTests.t0Seconds * 1_000_000
        for call in calls {
            for i in 0..<call.count {
                trace += 1
                spans.append(
                    SpanBuilder.span(
                        trace: trace, span: 1, service: call.service, operation: call.operation,
                        startMicros: t0Micros + UInt64(i) * 1_000_000, durationMicros: 1_000, tags: [.string("span.kind", "server")]))
            }
        }
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: MetricsQueryTests.t0Nanos + 3_600 * MetricsQueryTests.second)
    }

    /// Points every minute over 10 minutes with 10-minute windows; the last point counts every call of minute 0.
    private static func request(services: [String], grouped: Bool) -> MetricsRequest {
        var request = MetricsRequest(
            services: services, endNanos: MetricsQueryTests.t0Nanos + 600 * MetricsQueryTests.second,
            lookbackNanos: 600 * MetricsQueryTests.second, stepNanos: 60 * MetricsQueryTests.second,
            ratePerNanos: 600 * MetricsQueryTests.second)
        request.groupByOperation = grouped
        return request
    }

    /// Over a store, each spelling of a requested service gives its own series (the old `[String: …]` of rollups kept
    /// one of them), and series are ordered by the service's bytes.
    @Test func metricsGiveOneSeriesPerServiceSpellingInByteOrder() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        defer { store.close() }
        try Self.writeCalls(store, [(Spellings.composed, "op", 3), (Spellings.decomposed, "op", 5), (Spellings.between, "op", 7)])
        let family = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls,
            request: Self.request(services: [Spellings.composed, Spellings.decomposed, Spellings.between], grouped: false))
        #expect(family.metrics.map { $0.labels.map(\.name) } == [["service_name"], ["service_name"], ["service_name"]])
        #expect(Spellings.bytes(family.metrics.compactMap { $0.labels.first?.value })
            == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed]))
        let lastPoints: [Double?] = family.metrics.map { $0.points.last?.value }
        let expectedLast: [Double?] = [5.0 / 600, 7.0 / 600, 3.0 / 600]
        #expect(lastPoints == expectedLast)
    }

    /// Grouped by operation, each spelling of an operation is its own series (the old `[String: …]` per series
    /// merged their calls), ordered by the operation's bytes.
    @Test func metricsGroupedByOperationKeepEachOperationSpelling() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        defer { store.close() }
        try Self.writeCalls(store, [("api", Spellings.composed, 3), ("api", Spellings.decomposed, 5), ("api", Spellings.between, 7)])
        let family = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls, request: Self.request(services: ["api"], grouped: true))
        #expect(family.name == "service_operation_call_rate")
        #expect(Spellings.bytes(family.metrics.compactMap { $0.labels.last?.value })
            == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed]))
        #expect(family.metrics.allSatisfy { $0.labels.first == MetricLabel(name: "service_name", value: "api") })
        let lastPoints: [Double?] = family.metrics.map { $0.points.last?.value }
        let expectedLast: [Double?] = [5.0 / 600, 7.0 / 600, 3.0 / 600]
        #expect(lastPoints == expectedLast)
    }

    // MARK: - UI model processes (place 6)

    /// The `processes` of a v1 trace: `p1`/`p2` for the given processes of two spans, each span pointing at its own.
    private static func processIDs(_ first: Process, _ second: Process) -> (body: [UInt8], ids: [String]) {
        let spans = [first, second].enumerated().map { index, process in
            Span(
                traceID: TraceID(high: 0, low: 1), spanID: SpanID(UInt64(index + 1)), operationName: "op",
                startTimeUnixNanos: 1_000_000_000, durationNanos: 1_000, process: process)
        }
        let body = UIJSON.traces([spans])
        let ids = ["p1", "p2", "p3"].filter { containsBytes(body, #""processID":"\#($0)""#) }
        return (body, ids)
    }

    /// Two processes whose service names differ only in spelling are two processes, `p1` and `p2`, each with its own
    /// name (the old key merged them into `p1`).
    @Test func uiProcessesTellServiceSpellingsApart() {
        let (body, ids) = Self.processIDs(Process(serviceName: Spellings.composed), Process(serviceName: Spellings.decomposed))
        #expect(ids == ["p1", "p2"])
        let expected = #""processes":{"p1":{"serviceName":""# + Spellings.composed + #"","tags":[]},"#
            + #""p2":{"serviceName":""# + Spellings.decomposed + #"","tags":[]}}"#
        let listed = Self.containsBytes(body, expected)
        #expect(listed, "\(Self.text(body))")
    }

    /// Process tag keys and string tag values are compared by bytes too: a second spelling of either makes a second
    /// process.
    @Test func uiProcessesTellTagKeyAndValueSpellingsApart() {
        let byKey = Self.processIDs(
            Process(serviceName: "svc", tags: [.string(Spellings.composed, "x")]),
            Process(serviceName: "svc", tags: [.string(Spellings.decomposed, "x")]))
        #expect(byKey.ids == ["p1", "p2"])
        let keyListed = Self.containsBytes(
            byKey.body, #""p2":{"serviceName":"svc","tags":[{"key":""# + Spellings.decomposed + #"","type":"string","value":"x"}]}"#)
        #expect(keyListed, "\(Self.text(byKey.body))")

        let byValue = Self.processIDs(
            Process(serviceName: "svc", tags: [.string("k", Spellings.composed)]),
            Process(serviceName: "svc", tags: [.string("k", Spellings.decomposed)]))
        #expect(byValue.ids == ["p1", "p2"])
        let valueListed = Self.containsBytes(
            byValue.body, #""p2":{"serviceName":"svc","tags":[{"key":"k","type":"string","value":""# + Spellings.decomposed + #""}]}"#)
        #expect(valueListed, "\(Self.text(byValue.body))")

        // The same bytes still share one process.
        let same = Self.processIDs(
            Process(serviceName: "svc", tags: [.string("k", Spellings.decomposed)]),
            Process(serviceName: "svc", tags: [.string("k", Spellings.decomposed)]))
        #expect(same.ids == ["p1"])
    }

    // MARK: - Dependencies filter (place 7)

    /// `service=` keeps the links whose parent or child has exactly those bytes, not the other spelling's.
    @Test func dependenciesFilterMatchesTheServiceBytes() {
        let links = [
            DependencyLink(parent: "front", child: Spellings.composed, callCount: 1),
            DependencyLink(parent: "front", child: Spellings.decomposed, callCount: 2),
            DependencyLink(parent: Spellings.decomposed, child: "db", callCount: 3),
        ]
        func filtered(_ service: String) -> [[[UInt8]]] {
            DependenciesQuery.filter(links, service: service).map { Spellings.bytes([$0.parent, $0.child, "\($0.callCount)"]) }
        }
        #expect(filtered(Spellings.composed) == [Spellings.bytes(["front", Spellings.composed, "1"])])
        #expect(filtered(Spellings.decomposed) == [Spellings.bytes(["front", Spellings.decomposed, "2"]), Spellings.bytes([Spellings.decomposed, "db", "3"])])
    }
}
