import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import Testing

/// Whole-trace duration search (last span end − first span start), answered from the per-trace summary.
struct TraceDurationSearchTests {
    static let t0: UInt64 = 1_767_225_600_000_000  // µs

    /// Trace 1 spans 1 s over two spans of 10 ms each; trace 2 is one 50 ms span.
    private func withStore(_ body: (TraceSearch) throws -> Void) throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        defer { store.close() }
        let spans = [
            SpanBuilder.span(trace: 1, span: 1, service: "api", startMicros: Self.t0, durationMicros: 10_000),
            SpanBuilder.span(trace: 1, span: 2, parent: 1, service: "db", startMicros: Self.t0 + 990_000, durationMicros: 10_000),
            SpanBuilder.span(trace: 2, span: 1, service: "api", startMicros: Self.t0 + 5_000, durationMicros: 50_000),
        ]
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.t0 * 1000)
        try body(TraceSearch(store: store))
    }

    private func query(min: UInt64? = nil, max: UInt64? = nil, service: String? = "api") -> TraceQuery {
        var q = TraceQuery(serviceName: service, startTimeMinUnixNanos: 0, startTimeMaxUnixNanos: .max)
        q.traceDurationMinNanos = min
        q.traceDurationMaxNanos = max
        return q
    }

    private func found(_ search: TraceSearch, _ query: TraceQuery) throws -> Set<UInt64> {
        Set(try search.find(tenant: "", query: query).compactMap { $0.first?.traceID.low })
    }

    @Test func minimumTraceDurationKeepsOnlyLongTraces() throws {
        try withStore { search in
            let r1 = try found(search, query(min: 500_000_000))
            #expect(r1 == [1])
        }
    }

    @Test func maximumTraceDurationKeepsOnlyShortTraces() throws {
        try withStore { search in
            let r2 = try found(search, query(max: 100_000_000))
            #expect(r2 == [2])
            // Span durations alone (10 ms each) would have let trace 1 through.
            let r3 = try found(search, query(min: 40_000_000, max: 60_000_000))
            #expect(r3 == [2])
        }
    }

    @Test func boundsAreInclusiveAndWorkAcrossServices() throws {
        try withStore { search in
            let r4 = try found(search, query(min: 1_000_000_000, max: 1_000_000_000))
            #expect(r4 == [1])
            let r5 = try found(search, query(min: 1_000_000_001))
            #expect(r5 == [])
            let r6 = try found(search, query(min: 1, service: nil))
            #expect(r6 == [1, 2])
        }
    }

    @Test func v1ParametersAndTagsBoxSetTheBounds() throws {
        let now: UInt64 = Self.t0 * 1000
        guard case .search(let q, _) = try V1SearchRequest.parseV1Search(
            [("service", "api"), ("minTraceDuration", "500ms"), ("maxTraceDuration", "2s")], now: now)
        else {
            Issue.record("expected a search")
            return
        }
        #expect(q.traceDurationMinNanos == 500_000_000)
        #expect(q.traceDurationMaxNanos == 2_000_000_000)
        guard case .search(let fromTags, _) = try V1SearchRequest.parseV1Search(
            [("service", "api"), ("tags", #"{"spoor.trace.minDuration":"1s","http.method":"GET"}"#)], now: now)
        else {
            Issue.record("expected a search")
            return
        }
        #expect(fromTags.traceDurationMinNanos == 1_000_000_000)
        #expect(fromTags.tags == [TagFilter(key: "http.method", value: "GET")])
        #expect(throws: QueryParameterError.self) {
            try V1SearchRequest.parseV1Search([("service", "api"), ("minTraceDuration", "2s"), ("maxTraceDuration", "1s")], now: now)
        }
    }
}
