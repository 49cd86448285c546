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
    /// "é" as one code point (NFC): bytes 63 61 66 C3 A9.
    static let composed = "caf\u{E9}"
    /// "e" + combining acute accent (NFD): bytes 63 61 66 65 CC 81.
    static let decomposed = "cafe\u{301}"
    /// Sorts between the two by bytes (66 after 65, before C3), but before both by `String <` (which compares the
    /// NFC form "caf\u{E9}"), so an order by `String` and one by bytes always differ.
    static let between = "caff"

    static func bytes(_ names: [String]) -> [[UInt8]] { names.map { Array($0.utf8) } }

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
            span(1, Self.composed, "server"), span(2, Self.decomposed, "server"), span(3, Self.between, "server"),
            span(4, Self.composed, "client"),
        ]
        try V3Test.withEndpoints([spans]) { endpoints in
            let body = endpoints.operations(tenant: "", items: V3Test.items(["service": "svc"]))
            let expected = #"{"operations":[{"name":""# + Self.decomposed + #"","spanKind":"server"},"#
                + #"{"name":""# + Self.between + #"","spanKind":"server"},"#
                + #"{"name":""# + Self.composed + #"","spanKind":"client"},"#
                + #"{"name":""# + Self.composed + #"","spanKind":"server"}]}"#
            #expect(body == Array(expected.utf8), "\(Self.text(body))")
        }
    }

    // MARK: - V3 trace summary (place 4)

    /// A trace summary counts spans per service by the name's bytes: two spellings are two services, each with its
    /// own span and error counts, listed in byte order.
    @Test func v3SummaryCountsEachSpellingAsItsOwnService() throws {
        let spans = [
            SpanBuilder.span(trace: 9, span: 1, service: Self.composed, operation: "root", startMicros: 1_000),
            SpanBuilder.span(trace: 9, span: 2, parent: 1, service: Self.decomposed, startMicros: 1_001),
            SpanBuilder.span(trace: 9, span: 3, parent: 1, service: Self.composed, startMicros: 1_002, tags: [.bool("error", true)]),
            SpanBuilder.span(trace: 9, span: 4, parent: 1, service: Self.between, startMicros: 1_003),
        ]
        let summary = try #require(V3TraceSummary(spans))
        #expect(Self.bytes(summary.services.map(\.name)) == Self.bytes([Self.decomposed, Self.between, Self.composed]))
        #expect(summary.services.map(\.spanCount) == [1, 1, 2])
        #expect(summary.services.map(\.errorSpanCount) == [0, 0, 1])
        #expect(Array(summary.rootServiceName.utf8) == Array(Self.composed.utf8))
        #expect(summary.spanCount == 4 && summary.errorSpanCount == 1)
    }

    // MARK: - Metrics (place 5)

    /// Repeated `service` parameters are deduplicated by bytes: a second spelling is another service, a repeat of
    /// the same bytes is dropped.
    @Test func metricsRequestKeepsEachSpellingOfAService() throws {
        let query = "service=\(Self.composed)&service=\(Self.decomposed)&service=\(Self.composed)"
        let request = try MetricsRequest.parse(.calls, MetricsQueryTests.items(query), nowNanos: MetricsQueryTests.t0Nanos)
        #expect(Self.bytes(request.services) == Self.bytes([Self.composed, Self.decomposed]))
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
        try Self.writeCalls(store, [(Self.composed, "op", 3), (Self.decomposed, "op", 5), (Self.between, "op", 7)])
        let family = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls,
            request: Self.request(services: [Self.composed, Self.decomposed, Self.between], grouped: false))
        #expect(family.metrics.map { $0.labels.map(\.name) } == [["service_name"], ["service_name"], ["service_name"]])
        #expect(Self.bytes(family.metrics.compactMap { $0.labels.first?.value })
            == Self.bytes([Self.decomposed, Self.between, Self.composed]))
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
        try Self.writeCalls(store, [("api", Self.composed, 3), ("api", Self.decomposed, 5), ("api", Self.between, 7)])
        let family = try MetricsQuery.family(
            store: store, tenant: "", kind: .calls, request: Self.request(services: ["api"], grouped: true))
        #expect(family.name == "service_operation_call_rate")
        #expect(Self.bytes(family.metrics.compactMap { $0.labels.last?.value })
            == Self.bytes([Self.decomposed, Self.between, Self.composed]))
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
        let (body, ids) = Self.processIDs(Process(serviceName: Self.composed), Process(serviceName: Self.decomposed))
        #expect(ids == ["p1", "p2"])
        let expected = #""processes":{"p1":{"serviceName":""# + Self.composed + #"","tags":[]},"#
            + #""p2":{"serviceName":""# + Self.decomposed + #"","tags":[]}}"#
        let listed = Self.containsBytes(body, expected)
        #expect(listed, "\(Self.text(body))")
    }

    /// Process tag keys and string tag values are compared by bytes too: a second spelling of either makes a second
    /// process.
    @Test func uiProcessesTellTagKeyAndValueSpellingsApart() {
        let byKey = Self.processIDs(
            Process(serviceName: "svc", tags: [.string(Self.composed, "x")]),
            Process(serviceName: "svc", tags: [.string(Self.decomposed, "x")]))
        #expect(byKey.ids == ["p1", "p2"])
        let keyListed = Self.containsBytes(
            byKey.body, #""p2":{"serviceName":"svc","tags":[{"key":""# + Self.decomposed + #"","type":"string","value":"x"}]}"#)
        #expect(keyListed, "\(Self.text(byKey.body))")

        let byValue = Self.processIDs(
            Process(serviceName: "svc", tags: [.string("k", Self.composed)]),
            Process(serviceName: "svc", tags: [.string("k", Self.decomposed)]))
        #expect(byValue.ids == ["p1", "p2"])
        let valueListed = Self.containsBytes(
            byValue.body, #""p2":{"serviceName":"svc","tags":[{"key":"k","type":"string","value":""# + Self.decomposed + #""}]}"#)
        #expect(valueListed, "\(Self.text(byValue.body))")

        // The same bytes still share one process.
        let same = Self.processIDs(
            Process(serviceName: "svc", tags: [.string("k", Self.decomposed)]),
            Process(serviceName: "svc", tags: [.string("k", Self.decomposed)]))
        #expect(same.ids == ["p1"])
    }

    // MARK: - Dependencies filter (place 7)

    /// `service=` keeps the links whose parent or child has exactly those bytes, not the other spelling's.
    @Test func dependenciesFilterMatchesTheServiceBytes() {
        let links = [
            DependencyLink(parent: "front", child: Self.composed, callCount: 1),
            DependencyLink(parent: "front", child: Self.decomposed, callCount: 2),
            DependencyLink(parent: Self.decomposed, child: "db", callCount: 3),
        ]
        func filtered(_ service: String) -> [[[UInt8]]] {
            DependenciesQuery.filter(links, service: service).map { Self.bytes([$0.parent, $0.child, "\($0.callCount)"]) }
        }
        #expect(filtered(Self.composed) == [Self.bytes(["front", Self.composed, "1"])])
        #expect(filtered(Self.decomposed) == [Self.bytes(["front", Self.decomposed, "2"]), Self.bytes([Self.decomposed, "db", "3"])])
    }
}
