import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// Write-time dependency links, metric rollups and the archive.
struct RollupStoreTests {
    static let hour: UInt64 = 3600 * 1_000_000_000
    static let minute: UInt64 = 60 * 1_000_000_000
    /// 2026-01-01T00:00:00Z in µs.
    static let t0: UInt64 = 1_767_225_600_000_000
    static let t0Nanos = t0 * 1000

    private func write(_ store: SpanStore, _ spans: [Span], tenant: String = "", now: UInt64 = t0Nanos + 2 * hour) throws {
        _ = try store.write([store.prepare(tenant: tenant, spans: spans)], now: now)
    }

    private func errorSpan(_ span: Span) -> Span {
        var span = span
        span.tags.append(.bool("error", true))
        return span
    }

    // MARK: - Dependencies

    @Test func linksAreCountedPerParentChildPairInAnyArrivalOrder() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // Trace 1: frontend(1) → driver(2) → redis(3), redis(4); frontend(1) → route(5).
        // Children first, in separate writes, as SDKs export finished spans before their parents.
        try write(store, [SpanBuilder.span(trace: 1, span: 3, parent: 2, service: "redis", startMicros: Self.t0 + 30)])
        try write(store, [SpanBuilder.span(trace: 1, span: 4, parent: 2, service: "redis", startMicros: Self.t0 + 40)])
        try write(store, [
            SpanBuilder.span(trace: 1, span: 5, parent: 1, service: "route", startMicros: Self.t0 + 50),
            SpanBuilder.span(trace: 1, span: 2, parent: 1, service: "driver", startMicros: Self.t0 + 20),
        ])
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "frontend", startMicros: Self.t0 + 10)])
        // Trace 2: frontend → driver once more, parent first, same write; plus a same-service pair.
        try write(store, [
            SpanBuilder.span(trace: 2, span: 1, service: "frontend", startMicros: Self.t0 + 1000),
            SpanBuilder.span(trace: 2, span: 2, parent: 1, service: "driver", startMicros: Self.t0 + 1010),
            SpanBuilder.span(trace: 2, span: 3, parent: 2, service: "driver", startMicros: Self.t0 + 1020),
        ])
        let links = try store.dependencies(tenant: "", startNanos: Self.t0Nanos - Self.hour, endNanos: Self.t0Nanos + Self.hour)
        #expect(links == [
            DependencyLink(parent: "driver", child: "driver", callCount: 1),
            DependencyLink(parent: "driver", child: "redis", callCount: 2),
            DependencyLink(parent: "frontend", child: "driver", callCount: 2),
            DependencyLink(parent: "frontend", child: "route", callCount: 1),
        ])
    }

    @Test func resentSpansAreNotCountedTwice() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let parent = SpanBuilder.span(trace: 7, span: 1, service: "a", startMicros: Self.t0)
        let child = SpanBuilder.span(trace: 7, span: 2, parent: 1, service: "b", startMicros: Self.t0 + 5)
        try write(store, [parent, child])
        try write(store, [child])
        try write(store, [parent, child])
        let links = try store.dependencies(tenant: "", startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + Self.minute)
        #expect(links == [DependencyLink(parent: "a", child: "b", callCount: 1)])
    }

    @Test func linksRespectTheWindowAndTenant() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // One pair at t0 + 10 min, one at t0 + 3 h 30 min, for tenant "x"; one for tenant "y".
        let early = Self.t0 + 600_000_000
        let late = Self.t0 + 12_600_000_000
        try write(store, [
            SpanBuilder.span(trace: 1, span: 1, service: "a", startMicros: early),
            SpanBuilder.span(trace: 1, span: 2, parent: 1, service: "b", startMicros: early + 1),
            SpanBuilder.span(trace: 2, span: 1, service: "a", startMicros: late),
            SpanBuilder.span(trace: 2, span: 2, parent: 1, service: "b", startMicros: late + 1),
        ], tenant: "x", now: Self.t0Nanos + 4 * Self.hour)
        try write(store, [
            SpanBuilder.span(trace: 1, span: 1, service: "c", startMicros: early),
            SpanBuilder.span(trace: 1, span: 2, parent: 1, service: "d", startMicros: early + 1),
        ], tenant: "y", now: Self.t0Nanos + 4 * Self.hour)

        // Whole span: hour slots plus minute edges.
        let all = try store.dependencies(tenant: "x", startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + 4 * Self.hour)
        #expect(all == [DependencyLink(parent: "a", child: "b", callCount: 2)])
        // Only the early minute.
        let first = try store.dependencies(tenant: "x", startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + 11 * Self.minute)
        #expect(first == [DependencyLink(parent: "a", child: "b", callCount: 1)])
        // A window from 5 min to 3 h 29 min holds the early pair only (minute edges around two whole hours).
        let middle = try store.dependencies(
            tenant: "x", startNanos: Self.t0Nanos + 5 * Self.minute, endNanos: Self.t0Nanos + 3 * Self.hour + 29 * Self.minute)
        #expect(middle == [DependencyLink(parent: "a", child: "b", callCount: 1)])
        // Nothing before the data.
        #expect(try store.dependencies(tenant: "x", startNanos: Self.t0Nanos - 5 * Self.hour, endNanos: Self.t0Nanos - Self.minute).isEmpty)
        // The other tenant sees only its own pair.
        let other = try store.dependencies(tenant: "y", startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + 4 * Self.hour)
        #expect(other == [DependencyLink(parent: "c", child: "d", callCount: 1)])
    }

    @Test func trackerForgetsOldGenerationsButStaysBounded() {
        var tracker = DependencyTracker(generationSize: 4)
        let bucket = BucketRef(start: 0, width: 60)
        func span(_ trace: UInt64, _ id: UInt64, parent: UInt64? = nil, _ service: String) -> EdgeSpan {
            EdgeSpan(
                traceID: TraceID(high: 0, low: trace), spanID: SpanID(id), parentSpanID: parent.map { SpanID($0) },
                service: service, startNanos: 0, bucket: bucket)
        }
        #expect(tracker.record(tenant: "", [span(1, 1, "a")]).isEmpty)
        // Ten unrelated spans push span 1 out of both generations.
        for i in 0..<10 { _ = tracker.record(tenant: "", [span(100 + UInt64(i), 1, "z")]) }
        #expect(tracker.rememberedSpans <= 8)
        #expect(tracker.record(tenant: "", [span(1, 2, parent: 1, "b")]).isEmpty)
        // A recent parent is still found.
        _ = tracker.record(tenant: "", [span(2, 1, "a")])
        #expect(tracker.record(tenant: "", [span(2, 2, parent: 1, "b")]).map(\.parent) == ["a"])
        // Tenants are part of the identity.
        #expect(tracker.record(tenant: "t", [span(2, 3, parent: 1, "b")]).isEmpty)
    }

    /// Children that arrive before their parent, over several writes, all complete when it comes, oldest first; the
    /// waiting children are bounded by the generation size, not only the parents they wait for.
    @Test func childrenWaitingForOneParentCompleteInArrivalOrder() {
        var tracker = DependencyTracker(generationSize: 8)
        let bucket = BucketRef(start: 0, width: 60)
        func span(_ trace: UInt64, _ id: UInt64, parent: UInt64? = nil, _ service: String, start: UInt64 = 0) -> EdgeSpan {
            EdgeSpan(
                traceID: TraceID(high: 7, low: trace), spanID: SpanID(id), parentSpanID: parent.map { SpanID($0) },
                service: service, startNanos: start, bucket: bucket)
        }
        for child: UInt64 in 2...5 { #expect(tracker.record(tenant: "", [span(1, child, parent: 1, "c\(child)", start: child)]).isEmpty) }
        let found = tracker.record(tenant: "", [span(1, 1, "root")])
        #expect(found.map { "\($0.parent)>\($0.child)@\($0.childStartNanos)" } == ["root>c2@2", "root>c3@3", "root>c4@4", "root>c5@5"])
        // Taken once: after the parent has left both generations of remembered spans (16 unrelated spans), the
        // same parent resent finds no children waiting.
        for other: UInt64 in 100..<117 { _ = tracker.record(tenant: "", [span(other, 1, "z")]) }
        #expect(tracker.record(tenant: "", [span(1, 1, "root")]).isEmpty)
        // Twenty children of another, never-seen parent: only the last two generations' worth are kept.
        for child: UInt64 in 10..<30 { _ = tracker.record(tenant: "", [span(2, child, parent: 1, "w")]) }
        let late = tracker.record(tenant: "", [span(2, 1, "p")])
        #expect(!late.isEmpty && late.count <= 16 && late.allSatisfy { $0.parent == "p" && $0.child == "w" })
    }

    /// Past `maxServices` distinct names the tracker forgets everything, between writes: the numbers a write hands out
    /// stay valid for all of its spans, and edges keep their right names afterwards.
    @Test func trackerForgetsServicesBetweenWritesOnly() {
        var tracker = DependencyTracker(generationSize: 4, maxServices: 3)
        let bucket = BucketRef(start: 0, width: 60)
        func span(_ trace: UInt64, _ id: UInt64, parent: UInt64? = nil, _ service: String) -> EdgeSpan {
            EdgeSpan(
                traceID: TraceID(high: 0, low: trace), spanID: SpanID(id), parentSpanID: parent.map { SpanID($0) },
                service: service, startNanos: 0, bucket: bucket)
        }
        // Five names and a generation turnover within one write: every edge still names its own services.
        let first = tracker.record(
            tenant: "",
            [
                span(1, 1, "s1"), span(1, 2, parent: 1, "s2"), span(1, 3, parent: 2, "s3"), span(1, 4, parent: 3, "s4"),
                span(1, 5, parent: 4, "s5"), span(1, 6, parent: 5, "s5"),
            ])
        #expect(Set(first.map { "\($0.parent)>\($0.child)" }) == ["s1>s2", "s2>s3", "s3>s4", "s4>s5", "s5>s5"])
        // The next write starts afresh: a child of a forgotten span waits, and its own children still resolve.
        let second = tracker.record(tenant: "", [span(1, 7, parent: 6, "s6"), span(1, 8, parent: 7, "s7"), span(1, 9, parent: 8, "s7")])
        #expect(Set(second.map { "\($0.parent)>\($0.child)" }) == ["s6>s7", "s7>s7"])
        let third = tracker.record(tenant: "", [span(1, 6, "late")])  // the forgotten parent arrives again
        #expect(third.map { "\($0.parent)>\($0.child)" } == ["late>s6"])
    }

    // MARK: - Rollups

    @Test func rollupsCountCallsErrorsAndDurationsPerSlotOperationAndKind() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        var spans: [Span] = []
        for i in 0..<10 {
            var span = SpanBuilder.span(
                trace: UInt64(i + 1), span: 1, service: "api", operation: "GET /", startMicros: Self.t0 + UInt64(i) * 1_000_000,
                durationMicros: 2000, tags: [.string("span.kind", "server")])
            if i < 3 { span = errorSpan(span) }
            spans.append(span)
        }
        // A client span and a span in the next minute.
        spans.append(SpanBuilder.span(
            trace: 50, span: 1, service: "api", operation: "call db", startMicros: Self.t0, durationMicros: 500,
            tags: [.string("span.kind", "client")]))
        spans.append(SpanBuilder.span(
            trace: 51, span: 1, service: "api", operation: "GET /", startMicros: Self.t0 + 61_000_000, durationMicros: 4000,
            tags: [.string("span.kind", "server")]))
        // Split over two writes: merges must add up.
        try write(store, Array(spans[0..<5]))
        try write(store, Array(spans[5...]))

        let server = try store.rollups(
            tenant: "", service: "api", kinds: [.server], startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + 2 * Self.minute,
            resolution: .minute)
        #expect(server.map(\.slotStartSeconds) == [Self.t0 / 1_000_000, Self.t0 / 1_000_000 + 60])
        #expect(server.map(\.operation) == ["GET /", "GET /"])
        #expect(server[0].rollup.count == 10)
        #expect(server[0].rollup.errors == 3)
        #expect(server[0].rollup.quantileNanos(0.95) == 2_000_000)
        #expect(server[1].rollup.count == 1)
        #expect(server[1].rollup.maxNanos == 4_000_000)

        let every = try store.rollups(
            tenant: "", service: "api", kinds: [], startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + Self.minute,
            resolution: .minute)
        #expect(every.map(\.operation) == ["GET /", "call db"])
        #expect(every.map(\.kind) == [.server, .client])

        let hourly = try store.rollups(
            tenant: "", service: "api", kinds: [.server], startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + Self.hour,
            resolution: .hour)
        #expect(hourly.count == 1)
        #expect(hourly.first?.rollup.count == 11)
        #expect(hourly.first?.rollup.errors == 3)

        // The window's end is exclusive; other services and tenants see nothing.
        #expect(try store.rollups(
            tenant: "", service: "api", kinds: [], startNanos: Self.t0Nanos - Self.minute, endNanos: Self.t0Nanos,
            resolution: .minute).isEmpty)
        #expect(try store.rollups(
            tenant: "other", service: "api", kinds: [], startNanos: Self.t0Nanos, endNanos: Self.t0Nanos + Self.hour,
            resolution: .minute).isEmpty)
    }

    @Test func rollupValueRoundTripsAndQuantilesInterpolate() throws {
        var rollup = SpanRollup()
        for micros: UInt64 in [1, 10, 100, 1000, 10_000] { rollup.add(durationNanos: micros * 1000, isError: micros == 10) }
        let decoded = rollup.encoded().withUnsafeBytes { SpanRollup($0) }
        #expect(decoded == rollup)
        #expect(rollup.quantileNanos(0) == 1000)
        #expect(rollup.quantileNanos(1) == 10_000_000)
        let median = try #require(rollup.quantileNanos(0.5))
        // Within one histogram bucket (≈ 9%) of 100 µs.
        #expect(median >= 100_000 * 0.9 && median <= 100_000 * 1.1)
        #expect(SpanRollup().quantileNanos(0.5) == nil)
        // Garbage is refused, never trapped on.
        #expect([UInt8]([1, 0xFF]).withUnsafeBytes { SpanRollup($0) } == nil)
        #expect([UInt8]([2]).withUnsafeBytes { SpanRollup($0) } == nil)
    }

    // MARK: - Archive

    @Test func archivedTracesOutliveRetention() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: 12 * Self.hour)
        let spans = [
            SpanBuilder.span(trace: 9, span: 1, startMicros: Self.t0),
            SpanBuilder.span(trace: 9, span: 2, parent: 1, startMicros: Self.t0 + 5),
        ]
        try write(store, spans)
        #expect(try store.archive(tenant: "", traceID: TraceID(high: 0, low: 9)) == 2)
        #expect(try store.archive(tenant: "", traceID: TraceID(high: 0, low: 10)) == 0)
        #expect(try store.archive(tenant: "other", traceID: TraceID(high: 0, low: 9)) == 0)
        try store.applyRetention(now: Self.t0Nanos + 30 * Self.hour)
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 9)).isEmpty)
        #expect(try store.archivedTrace(tenant: "", traceID: TraceID(high: 0, low: 9)) == spans)
        #expect(try store.archivedTrace(tenant: "other", traceID: TraceID(high: 0, low: 9)).isEmpty)
    }
}

/// Monitor rollups are summed in the pending index and written at index flushes.
struct PendingRollupTests {
    static let t0 = RollupStoreTests.t0
    static let now = RollupStoreTests.t0Nanos + 2 * RollupStoreTests.hour

    private func write(_ store: SpanStore, _ spans: [Span], now: UInt64 = now) throws {
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: now)
    }

    private func calls(_ store: SpanStore, service: String = "s", resolution: RollupResolution = .minute) throws -> [String: UInt64] {
        let slots = try store.rollups(
            tenant: "", service: service, kinds: [], startNanos: RollupStoreTests.t0Nanos - RollupStoreTests.hour,
            endNanos: RollupStoreTests.t0Nanos + RollupStoreTests.hour, resolution: resolution)
        return slots.reduce(into: [:]) { $0[$1.operation, default: 0] += $1.rollup.count }
    }

    /// Hours are summed from the pending minutes, before and after the flush alike.
    @Test func hourRollupsAreSummedFromMinutes() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let minute = RollupStoreTests.minute / 1000
        let spans = (0..<6).map { n in
            SpanBuilder.span(trace: 100 + n, span: 1, service: "s", operation: "op", startMicros: Self.t0 + n * 7 * minute)
        }
        try write(store, spans)
        #expect(try calls(store, resolution: .hour) == ["op": 6])
        let before = try store.rollups(
            tenant: "", service: "s", kinds: [], startNanos: RollupStoreTests.t0Nanos, endNanos: RollupStoreTests.t0Nanos + RollupStoreTests.hour,
            resolution: .minute)
        #expect(before.count == 6)
        try store.flushIndex(now: Self.now)
        #expect(try calls(store, resolution: .hour) == ["op": 6])
        #expect(try rollupKeys(store) == 6 + 1)  // six minutes, one hour
        let after = try store.rollups(
            tenant: "", service: "s", kinds: [], startNanos: RollupStoreTests.t0Nanos, endNanos: RollupStoreTests.t0Nanos + RollupStoreTests.hour,
            resolution: .minute)
        #expect(after == before)
        #expect(try calls(store, service: "other", resolution: .hour).isEmpty)
    }

    /// The pending rollups are cut to the query's slots as the stored ones are: windows starting and ending inside
    /// minutes and hours read the same before and after the flush, at both resolutions.
    @Test func pendingAndStoredRollupsAnswerEveryWindowAlike() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let minute = RollupStoreTests.minute / 1000
        let spans = (0..<40).map { n in
            SpanBuilder.span(trace: 200 + n, span: 1, service: n % 5 == 0 ? "t" : "s", operation: "op\(n % 3)", startMicros: Self.t0 + n * 7 * minute + n)
        }
        try write(store, spans)
        let second: UInt64 = 1_000_000_000
        let hour = RollupStoreTests.hour
        let base = RollupStoreTests.t0Nanos
        let windows: [(UInt64, UInt64)] = [
            (base - hour, base + 6 * hour), (base + 90 * second, base + 2 * hour + 30 * second), (base + hour / 2, base + hour / 2 + 1),
            (base + 17 * 60 * second + 1, base + 3 * hour - 1), (base + 2 * hour, base + 2 * hour + 59 * 60 * second),
        ]
        func read() throws -> [[RollupSlot]] {
            try [RollupResolution.minute, .hour].flatMap { resolution in
                try windows.map { window in
                    try store.rollups(
                        tenant: "", service: "s", kinds: [], startNanos: window.0, endNanos: window.1, resolution: resolution)
                }
            }
        }
        let before = try read()
        #expect(before.contains { !$0.isEmpty })
        try store.flushIndex(now: Self.now)
        #expect(try rollupKeys(store) > 0)  // the answers below come from the store now
        let after = try read()
        #expect(after == before)
    }

    private func rollupKeys(_ store: SpanStore) throws -> Int {
        try store.keyCount(types: Keys.rollupMinuteTag...Keys.rollupHourTag)
    }

    private static func spans(_ traces: ClosedRange<UInt64>) -> [Span] {
        traces.map { SpanBuilder.span(trace: $0, span: 1, service: "s", operation: "op\($0 % 2)", startMicros: Self.t0 + $0) }
    }

    @Test func requestsAreSummedInMemoryAndWrittenOncePerFlush() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, Self.spans(1...10))
        try write(store, Self.spans(11...20))
        #expect(try rollupKeys(store) == 0)
        #expect(try calls(store) == ["op0": 10, "op1": 10])  // read from the pending index
        try store.flushIndex(now: Self.now)
        #expect(try rollupKeys(store) == 4)  // one operand per (operation, resolution), not one per request
        #expect(store.pendingIndexBytes == 0)
        #expect(try calls(store) == ["op0": 10, "op1": 10])  // read from the store, not counted twice
        try write(store, Self.spans(21...22))
        #expect(try calls(store) == ["op0": 11, "op1": 11])  // both
    }

    /// A crash before the flush: the journal's chunks give the rollups back.
    @Test func unflushedRollupsSurviveACrashThroughTheJournal() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            try write(store, Self.spans(1...5))
            try write(store, Self.spans(6...9))
            store.database.close()  // no flush
        }
        let store = try TestStores.open(dir)
        #expect(try calls(store) == ["op0": 4, "op1": 5])
        try store.flushIndex(now: Self.now)
        #expect(try calls(store) == ["op0": 4, "op1": 5])
    }

    @Test func retentionDropsPendingRollups() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: RollupStoreTests.hour)
        try write(store, Self.spans(1...3), now: RollupStoreTests.t0Nanos + RollupStoreTests.minute)
        #expect(store.pendingIndexBytes > 0)
        #expect(try store.applyRetention(now: RollupStoreTests.t0Nanos + 30 * RollupStoreTests.hour) == 1)
        #expect(store.pendingIndexBytes == 0)
        try store.flushIndex(now: RollupStoreTests.t0Nanos + 30 * RollupStoreTests.hour)
        #expect(store.allBuckets.isEmpty)
    }
}

/// A parent→child service call found by the tracker, with its services' names.
struct FoundEdge: Hashable {
    var parent: String
    var child: String
    var childStartNanos: UInt64
    var bucket: BucketRef
}

extension DependencyTracker {
    /// Records the spans of one write for `tenant` and returns the edges they complete, named (what the writer does
    /// with `recordServices` and `serviceName`).
    mutating func record(tenant: String, _ spans: [EdgeSpan]) -> [FoundEdge] {
        recordServices(tenant: tenant, spans).map { edge in
            FoundEdge(
                parent: serviceName(edge.parent), child: serviceName(edge.child), childStartNanos: edge.childStartNanos,
                bucket: edge.bucket)
        }
    }
}
