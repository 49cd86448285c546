import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

struct StoredSpanCodecTests {
    static let rich: Span = {
        var span = SpanBuilder.span(
            trace: 7, span: 3, parent: 2, service: "checkout", operation: "GET /cart", startMicros: 1_700_000_000_000_000,
            durationMicros: 1234,
            tags: [
                .string("http.method", "GET"), .int64("http.status_code", -500), .float64("ratio", 72.5), .bool("error", true),
                Attribute(key: "blob", value: .binary([0, 0, 0x30, 0x39])),
            ],
            logs: [SpanLog(timestampUnixNanos: 1_700_000_000_000_000_500, fields: [.string("event", "retry")])],
            processTags: [.string("hostname", "h1")])
        span.references.append(SpanReference(refType: .followsFrom, traceID: TraceID(high: 9, low: 9), spanID: SpanID(77)))
        span.warnings = ["clock skew"]
        span.flags = 3
        return span
    }()

    @Test func encodedSpanDecodesToTheSameSpan() throws {
        var bytes: [UInt8] = []
        StoredSpanCodec.encode(Self.rich, into: &bytes)
        let decoded = try bytes.withUnsafeBytes {
            try StoredSpanCodec.decode($0, traceID: Self.rich.traceID, spanID: Self.rich.spanID, startTimeUnixNanos: Self.rich.startTimeUnixNanos)
        }
        #expect(decoded == Self.rich)
    }

    @Test func everyTruncationThrowsInsteadOfTrapping() {
        var bytes: [UInt8] = []
        StoredSpanCodec.encode(Self.rich, into: &bytes)
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            #expect(throws: StorageError.self) {
                try prefix.withUnsafeBytes { try StoredSpanCodec.decode($0, traceID: .zero, spanID: .zero, startTimeUnixNanos: 0) }
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix(seed: 42)
        for _ in 0..<5_000 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? bytes.withUnsafeBytes { try StoredSpanCodec.decode($0, traceID: .zero, spanID: .zero, startTimeUnixNanos: 0) }
        }
    }

    /// Version 2 round-trips any field values, including an empty summary and distances that wrap.
    @Test func summariesRoundTripInVersionTwo() {
        var cases: [TraceSummary] = [TraceSummary()]
        var normal = TraceSummary()
        normal.add(SpanBuilder.span(trace: 1, span: 1, service: "a", operation: "root", startMicros: 1_700_000_000_000_000, durationMicros: 250))
        normal.add(SpanBuilder.span(trace: 1, span: 2, parent: 1, service: "b", operation: "x", startMicros: 1_700_000_000_000_010))
        cases.append(normal)
        var noRoot = normal
        noRoot.rootStartUnixNanos = .max
        cases.append(noRoot)
        var odd = normal
        odd.maxEndUnixNanos = 3  // before the first start
        odd.rootStartUnixNanos = 1  // likewise
        odd.spanCount = .max
        odd.errorCount = .max
        cases.append(odd)
        for summary in cases {
            let bytes = summary.encoded()
            #expect(bytes.first == 2)
            #expect(bytes.withUnsafeBytes { TraceSummary($0) } == summary)
        }
        // 17 bytes fewer than version 1 for a typical trace (root first, a short span count).
        #expect(normal.encoded().count == 1 + 8 + 3 + 1 + 1 + 1 + 1 + 2 + 5)
    }

    /// Version 1 values of earlier stores still read, and merge with version 2 operands into version 2.
    @Test func versionOneSummariesStillReadAndMerge() {
        var v1: [UInt8] = [1]
        StoredSpanCodec.putFixed64(100_000, &v1)  // first start
        StoredSpanCodec.putFixed64(400_000, &v1)  // last end
        StoredSpanCodec.putFixed64(3 | 1 << 32, &v1)  // 3 spans, 1 error
        StoredSpanCodec.putFixed64(100_000, &v1)  // root start
        StoredSpanCodec.putString("root-service", &v1)
        StoredSpanCodec.putString("GET /", &v1)
        let old = v1.withUnsafeBytes { TraceSummary($0) }
        #expect(old?.spanCount == 3 && old?.errorCount == 1 && old?.rootService == "root-service" && old?.durationNanos == 300_000)
        var later = TraceSummary()
        later.add(SpanBuilder.span(trace: 1, span: 9, parent: 1, service: "c", operation: "late", startMicros: 500, durationMicros: 100))
        let merged = v1.withUnsafeBytes { x in later.encoded().withUnsafeBytes { y in TraceSummary.merge([x, y]) } }
        #expect(merged.first == 2)
        let summary = merged.withUnsafeBytes { TraceSummary($0) }
        #expect(summary?.spanCount == 4 && summary?.errorCount == 1 && summary?.rootService == "root-service")
        #expect(summary?.minStartUnixNanos == 100_000 && summary?.maxEndUnixNanos == 600_000)
        // Truncated, padded or unknown values are refused, never trapped on.
        let good = later.encoded()
        let bad: [[UInt8]] = [Array(good.dropLast()), good + [0], [3] + Array(good.dropFirst()), [2, 0, 0]]
        for bad in bad {
            #expect(bad.withUnsafeBytes { TraceSummary($0) } == nil)
        }
        var rng = SplitMix(seed: 5)
        for _ in 0..<3_000 {
            let bytes = [UInt8(1 + rng.next() % 2)] + (0..<Int(rng.next() % 48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = bytes.withUnsafeBytes { TraceSummary($0) }
        }
    }

    @Test func summaryMergeKeepsEarliestRootAndTotals() {
        var a = TraceSummary()
        a.add(SpanBuilder.span(trace: 1, span: 2, parent: 1, service: "b", operation: "child", startMicros: 150, durationMicros: 100))
        var b = TraceSummary()
        var failing = SpanBuilder.span(trace: 1, span: 1, service: "a", operation: "root", startMicros: 100, durationMicros: 10)
        failing.tags = [.bool("error", true)]
        b.add(failing)
        let merged = a.encoded().withUnsafeBytes { x in b.encoded().withUnsafeBytes { y in TraceSummary.merge([x, y]) } }
        let summary = merged.withUnsafeBytes { TraceSummary($0) }
        #expect(summary?.spanCount == 2)
        #expect(summary?.errorCount == 1)
        #expect(summary?.rootService == "a")
        #expect(summary?.rootOperation == "root")
        #expect(summary?.minStartUnixNanos == 100_000)
        #expect(summary?.maxEndUnixNanos == 250_000)
        #expect(summary?.durationNanos == 150_000)
    }
}
