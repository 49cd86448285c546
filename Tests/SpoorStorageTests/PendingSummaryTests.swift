import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// Trace summaries are summed in memory between index flushes (`PendingSummaries`), read together with the stored
/// ones, written once per flush, and derived again from the journal after a crash.
struct PendingSummaryTests {
    static let t0 = SpanStoreTests.t0
    static let now = SpanStoreTests.t0 * 1000 + SpanStoreTests.hour

    /// One trace sent as three requests, one service each (as Thrift clients send it): 0 to 900 µs overall.
    private static let requests: [[Span]] = [
        [SpanBuilder.span(trace: 7, span: 1, service: "a", startMicros: t0, durationMicros: 900)],
        [SpanBuilder.span(trace: 7, span: 2, parent: 1, service: "b", startMicros: t0 + 100, durationMicros: 200)],
        [
            SpanBuilder.span(trace: 7, span: 3, parent: 2, service: "c", startMicros: t0 + 150, durationMicros: 50),
            SpanBuilder.span(trace: 8, span: 1, service: "c", startMicros: t0 + 10, durationMicros: 5),
        ],
    ]

    private func write(_ store: SpanStore, _ spans: [Span]) throws {
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.now)
    }

    private func summaryKeys(_ store: SpanStore) throws -> Int {
        try store.keyCount(types: Keys.summaryTag...Keys.summaryTag)
    }

    private func expectWholeTrace(_ store: SpanStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let summary = try #require(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 7)), sourceLocation: sourceLocation)
        #expect(summary.durationNanos == 900_000, sourceLocation: sourceLocation)
        #expect(summary.spanCount == 3, sourceLocation: sourceLocation)
        #expect(summary.rootService == "a", sourceLocation: sourceLocation)
        #expect(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 8))?.durationNanos == 5_000, sourceLocation: sourceLocation)
        #expect(try store.summary(tenant: "other", traceID: TraceID(high: 0, low: 7)) == nil, sourceLocation: sourceLocation)
    }

    @Test func summariesArePendingUntilAFlushAndReadTheSameBeforeAndAfter() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        for request in Self.requests { try write(store, request) }
        #expect(try summaryKeys(store) == 0)  // nothing written with the chunks
        try expectWholeTrace(store)
        try store.flushIndex(now: Self.now)
        #expect(try summaryKeys(store) == 2)
        #expect(store.pendingIndexBytes == 0)
        try expectWholeTrace(store)
        // A later request of the same trace merges with the stored summary.
        try write(store, [SpanBuilder.span(trace: 8, span: 2, service: "c", startMicros: Self.t0 + 10, durationMicros: 40)])
        #expect(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 8))?.durationNanos == 40_000)
    }

    @Test func aCrashBeforeTheFlushLosesNoSummary() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            for request in Self.requests { try write(store, request) }
            store.database.close()  // no flush: as if the process died here
        }
        let store = try TestStores.open(dir)
        try expectWholeTrace(store)
        try store.flushIndex(now: Self.now)
        try expectWholeTrace(store)
    }

    /// Journal entries of the previous release (version 2) were written with their summaries: a replay must not add
    /// them again.
    @Test func versionTwoJournalsDoNotAddTheirSummariesTwice() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            let prepared = store.prepare(tenant: "", spans: Self.requests[0])
            _ = try store.write([prepared], now: Self.now)
            // As the previous release wrote it: the summary operand in the batch, the journal value at version 2.
            let sequence = try store.firstJournalSequence()
            var entries: [PreparedWrite.Entry] = []
            prepared.summaries.emit(into: &entries)
            let batch = try WriteBatch()
            let bucket = try #require(entries.first).bucket
            let family = try #require(try store.ensureBucket(bucket))
            for entry in entries { batch.merge(family, key: entry.key, value: entry.value) }
            batch.put(
                store.catalogFamily, key: Keys.indexJournal(sequence: try #require(sequence)),
                value: [IndexJournal.chunkReferencesVersion] + prepared.journal.dropFirst())
            try store.database.write(batch, sync: false)
            store.database.close()  // no flush
        }
        let store = try TestStores.open(dir)
        try store.flushIndex(now: Self.now)
        let summary = try #require(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 7)))
        #expect(summary.spanCount == 1)
        #expect(summary.durationNanos == 900_000)
    }

    @Test func retentionDropsPendingSummaries() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        for request in Self.requests { try write(store, request) }
        #expect(store.pendingIndexBytes > 0)
        _ = try store.applyRetention(now: Self.now + 400 * SpanStoreTests.hour)
        #expect(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 7)) == nil)
        #expect(store.pendingIndexBytes == 0)
    }

    /// A chunk skipped as expired at write time leaves no pending summary, even in a bucket retention has not dropped
    /// yet: it would stretch its trace's duration.
    @Test func expiredChunksLeaveNoPendingSummary() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: SpanStoreTests.hour)
        let stored = SpanBuilder.span(trace: 9, span: 1, service: "a", startMicros: Self.t0, durationMicros: 5)
        let late = SpanBuilder.span(trace: 9, span: 2, service: "a", startMicros: Self.t0 + 1_000_000, durationMicros: 900)
        _ = try store.write([store.prepare(tenant: "", spans: [stored])], now: Self.t0 * 1000 + 60_000_000_000)
        // Three hours later, before retention runs: the bucket is still open but past the cutoff.
        let result = try store.write([store.prepare(tenant: "", spans: [late])], now: Self.t0 * 1000 + 3 * SpanStoreTests.hour)
        #expect(result.expiredSpans == 1 && result.storedSpans == 0)
        let summary = try #require(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 9)))
        #expect(summary.durationNanos == 5_000)
        #expect(summary.spanCount == 1)
    }
}
