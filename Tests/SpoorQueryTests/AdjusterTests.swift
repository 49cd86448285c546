import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorQuery

/// Builds spans for the adjuster tests: nanosecond times, one trace.
private enum Make {
    static let trace = TraceID(high: 0, low: 0xABC)

    static func span(
        _ id: UInt64, parent: UInt64? = nil, kind: String? = nil, start: UInt64 = 1_000, duration: UInt64 = 100,
        tags: [Attribute] = [], logs: [SpanLog] = [], service: String = "svc", processTags: [Attribute] = [],
        references: [SpanReference]? = nil
    ) -> Span {
        var allTags = tags
        if let kind { allTags.append(.string("span.kind", kind)) }
        let refs =
            references ?? parent.map { [SpanReference(refType: .childOf, traceID: trace, spanID: SpanID($0))] } ?? []
        return Span(
            traceID: trace, spanID: SpanID(id), operationName: "op-\(id)", references: refs,
            startTimeUnixNanos: start, durationNanos: duration, tags: allTags, logs: logs,
            process: SpoorModel.Process(serviceName: service, tags: processTags))
    }

    static func host(_ name: String) -> [Attribute] { [.string("host.name", name)] }

    static func byID(_ spans: [Span]) -> [UInt64: Span] {
        Dictionary(spans.map { ($0.spanID.value, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

// MARK: - 1. Zipkin shared span ids

struct SpanIDUniquifierTests {
    @Test func serverSpanSharingClientIDGetsFreshIDUnderTheClient() throws {
        let client = Make.span(7, parent: 1, kind: "client")
        let server = Make.span(7, parent: 1, kind: "server")
        let child = Make.span(9, parent: 7)
        let root = Make.span(1)
        let out = SpanIDUniquifier.adjust([root, client, server, child])

        #expect(out[0] == root)
        #expect(out[1] == client)
        // Ids 1 and 2: 1 is taken by the root, so the server gets 2.
        #expect(out[2].spanID == SpanID(2))
        #expect(out[2].parentSpanID == SpanID(7))
        #expect(out[2].references.count == 1)
        #expect(out[3].parentSpanID == SpanID(2))
        #expect(out.allSatisfy { $0.warnings.isEmpty })
    }

    @Test func newIDsSkipEveryIDInTheTraceAndStayUnique() {
        let spans = [
            Make.span(1), Make.span(2, parent: 1), Make.span(3, parent: 1),
            Make.span(10, parent: 2, kind: "client"), Make.span(10, parent: 2, kind: "server"),
            Make.span(11, parent: 3, kind: "client"), Make.span(11, parent: 3, kind: "server"),
        ]
        let out = SpanIDUniquifier.adjust(spans)
        #expect(out[4].spanID == SpanID(4))
        #expect(out[6].spanID == SpanID(5))
        #expect(Set(out.map(\.spanID)).count == out.count)
    }

    @Test func serverWithoutParentGetsChildOfReferenceInFront() {
        let link = SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 5), spanID: SpanID(3))
        let client = Make.span(7, kind: "client")
        let server = Make.span(7, kind: "server", references: [link])
        let out = SpanIDUniquifier.adjust([client, server])
        #expect(out[1].references == [SpanReference(refType: .childOf, traceID: Make.trace, spanID: SpanID(7)), link])
    }

    @Test(arguments: [
        ("server", "server"), ("client", "client"), ("server", "producer"), ("internal", ""),
    ])
    func traceWithoutSharedClientServerPairIsUnchanged(firstKind: String, secondKind: String) {
        let spans = [
            Make.span(7, kind: firstKind.isEmpty ? nil : firstKind),
            Make.span(7, kind: secondKind.isEmpty ? nil : secondKind),
        ]
        #expect(SpanIDUniquifier.adjust(spans) == spans)
    }

    @Test func serverAloneIsUnchanged() {
        let spans = [Make.span(1, kind: "client"), Make.span(2, parent: 1, kind: "server")]
        #expect(SpanIDUniquifier.adjust(spans) == spans)
    }
}

// MARK: - 2. Sorting

struct CollectionSorterTests {
    @Test func tagsAndProcessTagsSortByKeyKeepingEqualKeysInOrder() {
        let span = Make.span(
            1, tags: [.string("b", "1"), .string("a", "first"), .int64("Z", 1), .string("a", "second")],
            processTags: [.string("zz", "z"), .string("hostname", "h"), .string("é", "e")])
        let out = CollectionSorter.adjust([span])[0]
        #expect(out.tags == [.int64("Z", 1), .string("a", "first"), .string("a", "second"), .string("b", "1")])
        // Byte-wise: "é" (0xC3 0xA9) sorts after ASCII.
        #expect(out.process.tags.map(\.key) == ["hostname", "zz", "é"])
    }

    @Test func logsSortByTimeAndEventFieldComesFirst() {
        let late = SpanLog(
            timestampUnixNanos: 30, fields: [.string("z", "1"), .string("event", "late"), .string("a", "2")])
        let early = SpanLog(timestampUnixNanos: 10, fields: [.string("m", "x")])
        let tieA = SpanLog(timestampUnixNanos: 20, fields: [.string("k", "a")])
        let tieB = SpanLog(timestampUnixNanos: 20, fields: [.string("k", "b")])
        let out = CollectionSorter.adjust([Make.span(1, logs: [late, tieA, early, tieB])])[0]
        #expect(out.logs.map(\.timestampUnixNanos) == [10, 20, 20, 30])
        #expect(out.logs[1] == tieA)
        #expect(out.logs[2] == tieB)
        #expect(out.logs[3].fields.map(\.key) == ["event", "a", "z"])
    }

    @Test func nonStringEventFieldIsSortedLikeAnyOther() {
        let log = SpanLog(timestampUnixNanos: 1, fields: [.string("z", "1"), .int64("event", 3), .string("a", "2")])
        let out = CollectionSorter.adjust([Make.span(1, logs: [log])])[0]
        #expect(out.logs[0].fields.map(\.key) == ["a", "event", "z"])
    }

    @Test func sortedSpanIsUnchanged() {
        let span = Make.span(
            1, tags: [.string("a", "1"), .string("b", "2")],
            logs: [SpanLog(timestampUnixNanos: 1, fields: [.string("event", "e"), .string("a", "1")])],
            processTags: [.string("x", "1")])
        #expect(CollectionSorter.adjust([span]) == [span])
    }
}

// MARK: - 3. Exact duplicates

struct DuplicateSpanFilterTests {
    @Test func exactCopiesAreDroppedAndFirstPositionKept() {
        let a = Make.span(1)
        let b = Make.span(2, parent: 1)
        #expect(DuplicateSpanFilter.adjust([a, b, a, b, a]) == [a, b])
    }

    @Test func sameIDWithDifferentContentIsKept() {
        let a = Make.span(1, tags: [.string("k", "v")])
        let b = Make.span(1, tags: [.string("k", "w")])
        let c = Make.span(1, service: "other")
        #expect(DuplicateSpanFilter.adjust([a, b, c]) == [a, b, c])
    }
}

// MARK: - 4. Clock skew

struct ClockSkewAdjusterTests {
    /// Parent [1000, 2000) on host A.
    private static let parent = Make.span(1, start: 1_000, duration: 1_000, processTags: Make.host("a"))

    @Test(arguments: [
        // (child start, child duration, expected delta)
        (UInt64(1_100), UInt64(500), Int64(0)),  // inside the parent
        (UInt64(1_000), UInt64(1_000), Int64(0)),  // exactly the parent
        (UInt64(500), UInt64(2_000), Int64(500)),  // longer and earlier: start with the parent
        (UInt64(1_500), UInt64(2_000), Int64(0)),  // longer and later: left alone
        (UInt64(400), UInt64(600), Int64(800)),  // before the parent: centred, 200 either side
        (UInt64(1_900), UInt64(600), Int64(-700)),  // past the end: centred
    ])
    func skewCentresAShorterChildAndAlignsALongerOne(start: UInt64, duration: UInt64, expected: Int64) {
        let child = Make.span(2, parent: 1, start: start, duration: duration)
        #expect(ClockSkewAdjuster.skewNanos(child: child, parent: Self.parent) == expected)
    }

    @Test func childOnOtherHostIsShiftedWithItsLogsAndSameHostDescendants() {
        let log = SpanLog(timestampUnixNanos: 450, fields: [])
        let child = Make.span(2, parent: 1, start: 400, duration: 600, logs: [log], processTags: Make.host("b"))
        let grandchild = Make.span(3, parent: 2, start: 500, duration: 100, processTags: Make.host("b"))
        let out = Make.byID(ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([Self.parent, child, grandchild]))

        #expect(out[1] == Self.parent)
        #expect(out[2]?.startTimeUnixNanos == 1_200)
        #expect(out[2]?.durationNanos == 600)
        #expect(out[2]?.logs.first?.timestampUnixNanos == 1_250)
        #expect(out[2]?.warnings == ["This span's timestamps were adjusted by 800ns"])
        #expect(out[3]?.startTimeUnixNanos == 1_300)
        #expect(out[3]?.warnings == ["This span's timestamps were adjusted by 800ns"])
    }

    @Test func childOnThirdHostIsMeasuredAgainstItsAdjustedParent() {
        let child = Make.span(2, parent: 1, start: 400, duration: 600, processTags: Make.host("b"))
        // After its parent moves to [1200, 1800), [1300, 1400) fits: no further shift.
        let grandchild = Make.span(3, parent: 2, start: 1_300, duration: 100, processTags: Make.host("c"))
        let out = Make.byID(ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([Self.parent, child, grandchild]))
        #expect(out[3] == grandchild)
    }

    @Test func childOnSameHostIsNotAdjusted() {
        let child = Make.span(2, parent: 1, start: 400, duration: 600, processTags: Make.host("a"))
        let spans = [Self.parent, child]
        #expect(ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust(spans) == spans)
    }

    @Test func jaegerClientIPTagIdentifiesTheHost() {
        let parent = Make.span(1, start: 1_000, duration: 1_000, processTags: [.string("ip", "10.0.0.1")])
        let child = Make.span(2, parent: 1, start: 400, duration: 600, processTags: [.int64("ip", 0x0A00_0001)])
        #expect(ClockSkewAdjuster.hostKey(parent.process) == ClockSkewAdjuster.hostKey(child.process))
        #expect(ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([parent, child]) == [parent, child])
    }

    @Test func spansWithoutHostAreAlwaysComparedWithTheirParent() {
        let parent = Make.span(1, start: 1_000, duration: 1_000)
        let child = Make.span(2, parent: 1, start: 400, duration: 600)
        let out = ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([parent, child])
        #expect(out[1].startTimeUnixNanos == 1_200)
    }

    @Test func skewOverTheBoundIsReportedNotApplied() {
        let child = Make.span(2, parent: 1, start: 400, duration: 600, processTags: Make.host("b"))
        let out = ClockSkewAdjuster(maxDeltaNanos: 500).adjust([Self.parent, child])
        #expect(out[1].startTimeUnixNanos == 400)
        #expect(
            out[1].warnings == ["max clock skew adjustment delta of 500ns exceeded; not applying calculated delta of 800ns"])
    }

    @Test func zeroBoundDisablesAdjustmentWithAWarning() {
        let child = Make.span(2, parent: 1, start: 1_900, duration: 600, processTags: Make.host("b"))
        let out = ClockSkewAdjuster(maxDeltaNanos: 0).adjust([Self.parent, child])
        #expect(out[1].startTimeUnixNanos == 1_900)
        #expect(out[1].warnings == ["clock skew adjustment disabled; not applying calculated delta of -700ns"])
    }

    @Test func missingParentAndRepeatedIDAreReported() {
        let orphan = Make.span(2, parent: 0xFF, start: 0, duration: 10, processTags: Make.host("b"))
        let copy = Make.span(1, start: 5, duration: 10)
        let out = ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([Self.parent, orphan, copy])
        #expect(out[0].warnings.isEmpty)
        #expect(
            out[1].warnings == ["parent span ID=00000000000000ff is not in the trace; skipping clock skew adjustment"])
        #expect(out[2].warnings == ["duplicate span IDs; skipping clock skew adjustment"])
        #expect(out[2].startTimeUnixNanos == 5)
    }

    @Test func inheritedShiftStopsAtZero() {
        let parent = Make.span(1, start: 0, duration: 1_000, processTags: Make.host("a"))
        let child = Make.span(2, parent: 1, start: 900, duration: 600, processTags: Make.host("b"))
        let grandchild = Make.span(3, parent: 2, start: 100, duration: 10, processTags: Make.host("b"))
        let out = ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([parent, child, grandchild])
        #expect(out[1].startTimeUnixNanos == 200)
        #expect(out[2].startTimeUnixNanos == 0)
    }

    @Test func longChainIsWalkedWithoutRecursion() {
        let depth: UInt64 = 20_000
        var spans = [Make.span(1, start: 1_000_000, duration: 1_000_000, processTags: Make.host("h0"))]
        for id in 2...depth {
            // Every span starts before its parent, each on its own host.
            spans.append(
                Make.span(id, parent: id - 1, start: 1_000_000 - id, duration: 10, processTags: Make.host("h\(id)")))
        }
        let out = ClockSkewAdjuster(maxDeltaNanos: 1_000_000).adjust(spans)
        #expect(out.count == spans.count)
        #expect(out.dropFirst().allSatisfy { $0.warnings.count == 1 })
    }

    @Test(arguments: [
        (Int64(0), "0s"), (Int64(999), "999ns"), (Int64(1_500), "1.5µs"), (Int64(1_000_000), "1ms"),
        (Int64(2_000_001), "2.000001ms"), (Int64(1_500_000_000), "1.5s"), (Int64(60_000_000_000), "1m0s"),
        (Int64(3_723_500_000_000), "1h2m3.5s"), (Int64(-2_000_000_000), "-2s"), (Int64(-800), "-800ns"),
        (Int64.min, "-2562047h47m16.854775808s"),
    ])
    func durationsFormatLikeGo(nanos: Int64, text: String) {
        #expect(GoDurationFormat.string(nanos) == text)
    }
}

// MARK: - 5. IP tags

struct IPTagNormalizerTests {
    @Test func numericIPTagsBecomeDottedText() {
        let span = Make.span(
            1, tags: [.int64("peer.ipv4", 0x0808_0808), .float64("ip", 167_772_161), .int64("port", 80)],
            processTags: [.int64("ip", -1)])
        let out = IPTagNormalizer.adjust([span])[0]
        #expect(out.tags == [.string("peer.ipv4", "8.8.8.8"), .string("ip", "10.0.0.1"), .int64("port", 80)])
        #expect(out.process.tags == [.string("ip", "255.255.255.255")])
    }

    @Test func textAndOtherKeysAreLeftAlone() {
        let span = Make.span(
            1, tags: [.string("ip", "1.2.3.4"), .int64("peer.ipv6", 5), .bool("peer.ipv4", true)],
            processTags: [.int64("host.ip", 7)])
        #expect(IPTagNormalizer.adjust([span]) == [span])
    }
}

// MARK: - 6. OTel library tags

struct LibraryTagMoverTests {
    @Test func libraryTagsMoveToTheSharedProcess() {
        let a = Make.span(
            1, tags: [.string("telemetry.sdk.name", "opentelemetry"), .string("http.method", "GET")],
            processTags: [.string("zone", "z")])
        let b = Make.span(
            2, parent: 1, tags: [.string("telemetry.sdk.language", "go")], processTags: [.string("zone", "z")])
        let other = Make.span(3, parent: 1, service: "other")
        let out = LibraryTagMover.adjust([a, b, other])

        let expected: [Attribute] = [
            .string("telemetry.sdk.language", "go"), .string("telemetry.sdk.name", "opentelemetry"),
            .string("zone", "z"),
        ]
        #expect(out[0].tags == [.string("http.method", "GET")])
        #expect(out[1].tags.isEmpty)
        #expect(out[0].process.tags == expected)
        #expect(out[1].process.tags == expected)
        #expect(out[2] == other)
    }

    @Test func tagAlreadyOnProcessIsNotDuplicatedAndConflictStaysWithWarning() {
        let processTags: [Attribute] = [.string("telemetry.sdk.version", "1.0"), .string("telemetry.distro.name", "x")]
        let span = Make.span(
            1, tags: [.string("telemetry.sdk.version", "1.0"), .string("telemetry.distro.name", "y")],
            processTags: processTags)
        let out = LibraryTagMover.adjust([span])[0]
        #expect(out.process.tags == processTags)
        #expect(out.tags == [.string("telemetry.distro.name", "y")])
        #expect(out.warnings == ["conflicting values between Span and Resource for attribute telemetry.distro.name"])
    }

    @Test func spansWithoutLibraryTagsAreUnchanged() {
        let spans = [Make.span(1, tags: [.string("telemetry.auto.version", "1")], processTags: [.string("b", "1")])]
        #expect(LibraryTagMover.adjust(spans) == spans)
    }
}

// MARK: - 7. Zero-trace-id references

struct InvalidReferenceFilterTests {
    @Test func zeroTraceIDReferencesAreDroppedWithAWarningEach() {
        let parent = SpanReference(refType: .childOf, traceID: Make.trace, spanID: SpanID(1))
        let bad = SpanReference(refType: .followsFrom, traceID: .zero, spanID: SpanID(9))
        let link = SpanReference(refType: .followsFrom, traceID: TraceID(high: 1, low: 2), spanID: SpanID(3))
        let out = InvalidReferenceFilter.adjust([Make.span(2, references: [bad, parent, bad, link])])[0]
        #expect(out.references == [parent, link])
        #expect(out.warnings == ["Invalid span link removed", "Invalid span link removed"])
    }

    @Test func validReferencesAreUnchanged() {
        let spans = [Make.span(1), Make.span(2, parent: 1)]
        #expect(InvalidReferenceFilter.adjust(spans) == spans)
    }
}

// MARK: - The whole chain

struct TraceAdjustersTests {
    @Test func copiesDifferingOnlyInTagOrderCollapseBecauseSortingRunsFirst() {
        let a = Make.span(1, tags: [.string("a", "1"), .string("b", "2")])
        let b = Make.span(1, tags: [.string("b", "2"), .string("a", "1")])
        #expect(DuplicateSpanFilter.adjust([a, b]).count == 2)
        #expect(TraceAdjusters().adjust([a, b]) == [a])
    }

    @Test func uniquifiedServerSpanIsSkewAdjustedAgainstItsClient() {
        let client = Make.span(7, kind: "client", start: 1_000, duration: 1_000, processTags: Make.host("a"))
        let server = Make.span(7, kind: "server", start: 400, duration: 600, processTags: Make.host("b"))
        let out = TraceAdjusters(maxClockSkewAdjustmentNanos: 1_000).adjust([client, server])
        #expect(out[1].spanID == SpanID(1))
        #expect(out[1].parentSpanID == SpanID(7))
        #expect(out[1].startTimeUnixNanos == 1_200)
        // Without the uniquifier both would be id 7 and the copy would be skipped as a duplicate.
        #expect(ClockSkewAdjuster(maxDeltaNanos: 1_000).adjust([client, server])[1].startTimeUnixNanos == 400)
    }

    @Test func movedLibraryTagsEndUpSortedOnTheProcess() {
        let span = Make.span(
            1, tags: [.string("telemetry.sdk.name", "otel"), .int64("ip", 0x7F00_0001)],
            processTags: [.string("zone", "z"), .string("a", "1")])
        let out = TraceAdjusters().adjust([span])[0]
        #expect(out.process.tags.map(\.key) == ["a", "telemetry.sdk.name", "zone"])
        #expect(out.tags == [.string("ip", "127.0.0.1")])
    }

    @Test func adjustedTraceIsACopy() {
        let spans = [Make.span(1, tags: [.string("b", "2"), .string("a", "1")])]
        let before = spans
        let out = TraceAdjusters().adjust(spans)
        #expect(out[0].tags.map(\.key) == ["a", "b"])
        #expect(spans == before)
    }

    @Test func v3RawTracesSkipTheAdjustersAndOtherwiseTheyRun() throws {
        let keys: Set<String> = ["zeta", "alpha", "mid"]
        let stored = SpanBuilder.span(
            trace: 0xAD, span: 1, startMicros: 1_500_000_000_000_000,
            tags: [.string("zeta", "1"), .string("alpha", "2"), .string("mid", "3")])
        try V3Test.withEndpoints([[stored]], adjust: TraceAdjusters().adjust) { endpoints in
            func order(_ body: [UInt8]) throws -> [String] {
                let spans = try V3Test.decodeResult(body)
                return try #require(spans.first).tags.map(\.key).filter { keys.contains($0) }
            }
            let raw = try order(try endpoints.trace(tenant: "", traceID: "ad", items: [("raw_traces", "true")]))
            let adjusted = try order(try endpoints.trace(tenant: "", traceID: "ad", items: []))
            #expect(raw == ["zeta", "alpha", "mid"])
            #expect(adjusted == ["alpha", "mid", "zeta"])
        }
    }
}
