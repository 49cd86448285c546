import Logging
import SpoorModel
import SpoorTestSupport
import Synchronization
import Testing

@testable import SpoorStorage

struct SpanStoreTests {
    static let hour: UInt64 = 3600 * 1_000_000_000
    /// 2026-01-01T00:00:00Z in µs.
    static let t0: UInt64 = 1_767_225_600_000_000

    private func write(_ store: SpanStore, _ spans: [Span], tenant: String = "", now: UInt64 = t0 * 1000 + hour) throws {
        _ = try store.write([store.prepare(tenant: tenant, spans: spans)], now: now)
    }

    @Test func traceComesBackWholeAcrossBuckets() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: 12 * Self.hour)  // one-hour buckets
        let spans = [
            SpanBuilder.span(trace: 5, span: 1, startMicros: Self.t0),
            SpanBuilder.span(trace: 5, span: 2, parent: 1, startMicros: Self.t0 + 3 * 3_600_000_000),
        ]
        try write(store, spans, now: Self.t0 * 1000 + 4 * Self.hour)
        #expect(store.allBuckets.count == 2)
        let read = try store.trace(tenant: "", traceID: TraceID(high: 0, low: 5))
        #expect(read == spans)
        let summary = try store.summary(tenant: "", traceID: TraceID(high: 0, low: 5))
        #expect(summary?.spanCount == 2)
        #expect(summary?.rootOperation == "op")
    }

    @Test func spansSharingAnIdButNotContentAreAllKept() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let a = SpanBuilder.span(trace: 1, span: 4, startMicros: Self.t0)
        var b = a
        b.operationName = "other"
        let c = SpanBuilder.span(trace: 1, span: 4, startMicros: Self.t0 + 20)
        try write(store, [a, b, c, a])
        let read = try store.trace(tenant: "", traceID: a.traceID)
        #expect(read.count == 3)
        #expect(Set(read) == Set([a, b, c]))
    }

    @Test func tenantsNeverSeeEachOther() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "shared", startMicros: Self.t0)], tenant: "a")
        try write(store, [SpanBuilder.span(trace: 1, span: 2, service: "shared", operation: "b-op", startMicros: Self.t0)], tenant: "b")
        #expect(try store.trace(tenant: "a", traceID: TraceID(high: 0, low: 1)).map(\.spanID) == [SpanID(1)])
        #expect(try store.trace(tenant: "b", traceID: TraceID(high: 0, low: 1)).map(\.spanID) == [SpanID(2)])
        #expect(store.operations(tenant: "a", service: "shared").map(\.name) == ["op"])
        #expect(store.services(tenant: "c").isEmpty)
    }

    @Test func catalogSurvivesRestart() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            var span = SpanBuilder.span(trace: 1, span: 1, service: "api", operation: "GET /x", startMicros: Self.t0)
            span.tags = [.string("span.kind", "server")]
            try write(store, [span, SpanBuilder.span(trace: 2, span: 1, service: "db", startMicros: Self.t0)])
            store.close()
        }
        let reopened = try TestStores.open(dir)
        #expect(reopened.services(tenant: "") == ["api", "db"])
        #expect(reopened.operations(tenant: "", service: "api") == [OperationKey(name: "GET /x", kind: .server)])
        #expect(try reopened.trace(tenant: "", traceID: TraceID(high: 0, low: 2)).count == 1)
    }

    @Test func retentionDropsExpiredBucketsAndTheirServices() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: 12 * Self.hour)
        let now = Self.t0 * 1000 + 2 * Self.hour
        try write(store, [SpanBuilder.span(trace: 1, span: 1, service: "old", startMicros: Self.t0)], now: now)
        try write(store, [SpanBuilder.span(trace: 2, span: 1, service: "new", startMicros: Self.t0 + 20 * 3_600_000_000)], now: now)
        #expect(store.services(tenant: "") == ["new", "old"])
        let dropped = try store.applyRetention(now: Self.t0 * 1000 + 14 * Self.hour)
        #expect(dropped == 1)
        #expect(store.services(tenant: "") == ["new"])
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 1)).isEmpty)
        store.close()
        let reopened = try TestStores.open(dir, retentionNanos: 12 * Self.hour)
        #expect(reopened.services(tenant: "") == ["new"])
    }

    @Test func spansOlderThanRetentionAreNotStored() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: Self.hour)
        let result = try store.write(
            [store.prepare(tenant: "", spans: [SpanBuilder.span(trace: 1, span: 1, startMicros: Self.t0)])],
            now: Self.t0 * 1000 + 3 * Self.hour)
        #expect(result.expiredSpans == 1)
        #expect(result.storedSpans == 0)
        #expect(store.services(tenant: "").isEmpty)
    }

    @Test func indexScansVisitNewestFirstWithinTheWindow() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let spans = (1...5).map {
            SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0 * 60_000_000, durationMicros: $0 * 10,
                tags: [.int64("n", Int64($0 % 2))])
        }
        try write(store, spans)
        var seen: [UInt64] = []
        try store.scan(tenant: "", index: .service("s"), startMin: (Self.t0 + 120_000_000) * 1000, startMax: (Self.t0 + 240_000_000) * 1000) { id, _ in
            seen.append(id.low)
            return true
        }
        #expect(seen == [4, 3, 2])
        seen = []
        try store.scan(tenant: "", index: .tag(service: "s", key: "n", value: "1"), startMin: 0, startMax: .max) { id, _ in
            seen.append(id.low)
            return true
        }
        #expect(seen == [5, 3, 1])
        seen = []
        try store.scan(tenant: "", index: .duration(service: "s", minNanos: 20_000, maxNanos: 40_000), startMin: 0, startMax: .max) { id, _ in
            seen.append(id.low)
            return true
        }
        #expect(seen == [2, 3, 4])
    }
}

struct SpanWriterTests {
    @Test func concurrentWritesAreAcknowledgedAfterStorage() async throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let writer = SpanWriter(store: store, logger: TestStores.logger, now: { SpanStoreTests.t0 * 1000 })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            try await withThrowingTaskGroup(of: Void.self) { writes in
                for i in 1...50 {
                    writes.addTask {
                        let spans = [SpanBuilder.span(trace: UInt64(i), span: 1, startMicros: SpanStoreTests.t0)]
                        _ = try await writer.write(store.prepare(tenant: "", spans: spans))
                        // Acknowledged means readable.
                        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: UInt64(i))).count == 1)
                    }
                }
                try await writes.waitForAll()
            }
            group.cancelAll()
        }
    }

    /// The writer counts the spans it stored, and those it skipped as already past retention, in the storage
    /// counters dashboards read.
    @Test func storedAndExpiredSpansAreCounted() async throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)  // 72 h retention
        let metrics = RecordingMetrics()
        let now = SpanStoreTests.t0 * 1000 + 100 * SpanStoreTests.hour
        let writer = SpanWriter(store: store, logger: TestStores.logger, factory: metrics, now: { now })
        let hourMicros: UInt64 = 3_600_000_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            let fresh = (UInt64(1)...3).map { SpanBuilder.span(trace: $0, span: 1, startMicros: SpanStoreTests.t0 + 99 * hourMicros) }
            let expired = (UInt64(4)...5).map { SpanBuilder.span(trace: $0, span: 1, startMicros: SpanStoreTests.t0) }
            _ = try await writer.write(store.prepare(tenant: "", spans: fresh))
            _ = try await writer.write(store.prepare(tenant: "", spans: expired))
            _ = try await writer.write(store.prepare(tenant: "", spans: [fresh[0]]))
            group.cancelAll()
        }
        #expect(metrics.counts("spoor_storage_spans_stored_total") == [[:]: 4])
        #expect(metrics.counts("spoor_storage_spans_dropped_total") == [["reason": "expired"]: 2])
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 1)).count == 1)
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 4)).isEmpty)
    }

    @Test func fullQueueRefusesInsteadOfDropping() async throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // The writer is not running, so nothing drains: the queue fills and then refuses.
        let writer = SpanWriter(store: store, maxQueuedSpans: 3, logger: TestStores.logger, now: { 0 })
        let batch = store.prepare(tenant: "", spans: (1...2).map { SpanBuilder.span(trace: $0, span: 1, startMicros: SpanStoreTests.t0) })
        #expect(writer.enqueue(batch))
        #expect(!writer.enqueue(batch))
        await #expect(throws: StorageError.self) { _ = try await writer.write(batch) }
        #expect(writer.queuedSpans == 2)
    }

    /// Index flushes that keep failing do not let the pending index grow without bound: once it is past twice a
    /// flush's postings, the writer holds off until the retry and answers every write as overloaded, queued ones
    /// included. Every acknowledged span stays readable; once a retried flush succeeds, writes are accepted again.
    @Test func failingIndexFlushesTurnIntoOverloadNotGrowth() async throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        final class Switches: Sendable {
            let failing = Mutex(true)
            let now = Mutex(SpanStoreTests.t0 * 1000 + SpanStoreTests.hour)
            let outcomes = Mutex<(acknowledged: [UInt64], refused: Int, closed: Int)>(([], 0, 0))
        }
        let switches = Switches()
        var configuration = StoreConfiguration()
        configuration.tuning.writeBufferBytes = 4 << 20
        configuration.tuning.blockCacheBytes = 8 << 20
        configuration.indexFlushPostings = 4
        configuration.indexFlushRetryNanos = 3600 * 1_000_000_000
        configuration.indexFlushFault = {
            switches.failing.withLock { $0 } ? .rocks(RocksError(operation: "flush", message: "injected: disk full")) : nil
        }
        let store = try SpanStore(path: dir.path + "/db", configuration: configuration, logger: TestStores.logger)
        let writer = SpanWriter(store: store, maxQueuedSpans: 3, logger: TestStores.logger, now: { switches.now.withLock { $0 } })
        let tags = (0..<6).map { Attribute.string("k\($0)", "v") }
        @Sendable func send(_ trace: UInt64) async {
            let span = SpanBuilder.span(trace: trace, span: 1, startMicros: SpanStoreTests.t0, tags: tags)
            // Caught into a `Result` inside a closure: this compiler warns, wrongly, that the last `catch` of a `do` here
            // is unreachable.
            let outcome: Result<WriteResult, StorageError> = await {
                do throws(StorageError) {
                    return .success(try await writer.write(store.prepare(tenant: "", spans: [span])))
                } catch {
                    return .failure(error)
                }
            }()
            switch outcome {
            case .success: switches.outcomes.withLock { $0.acknowledged.append(trace) }
            case .failure(.overloaded): switches.outcomes.withLock { $0.refused += 1 }
            case .failure: switches.outcomes.withLock { $0.closed += 1 }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            // Paced, so a writer that keeps up acknowledges each before the next arrives: only holding refuses.
            for trace: UInt64 in 1...40 {
                await withTaskGroup(of: Void.self) { one in
                    one.addTask { await send(trace) }
                    try? await Task.sleep(nanoseconds: trace <= 3 ? 50_000_000 : 10_000_000)
                }
            }
            let held = switches.outcomes.withLock { $0 }
            #expect(held.refused > 0 && held.closed == 0 && held.acknowledged.count + held.refused == 40)
            #expect(held.acknowledged.count < 20)
            #expect(store.indexFlushRetryWait(now: switches.now.withLock { $0 }) != nil)
            // The disk recovers and the retry time comes: the next flush succeeds and writes are accepted again.
            switches.failing.withLock { $0 = false }
            switches.now.withLock { $0 += 3601 * 1_000_000_000 }
            let deadline = ContinuousClock.now + .seconds(20)
            while store.indexFlushRetryWait(now: switches.now.withLock { $0 }) != nil, ContinuousClock.now < deadline {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            try await Task.sleep(nanoseconds: 300_000_000)  // the writer sees it on its next 100 ms check
            await send(41)
            #expect(switches.outcomes.withLock { $0.acknowledged.last } == 41)
            group.cancelAll()
        }
        for trace in switches.outcomes.withLock({ $0.acknowledged }) {
            #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: trace)).count == 1)
        }
    }

    /// Taken writes leave the queue at once, so a queue that never empties does not keep them alive.
    @Test func takenWritesLeaveTheQueue() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        var state = WriterState()
        let write = store.prepare(tenant: "", spans: [SpanBuilder.span(trace: 1, span: 1, startMicros: SpanStoreTests.t0)])
        for _ in 0..<5 { state.enqueue(write, nil) }
        #expect(state.take(maxSpans: 2).count == 2)
        #expect(state.queue.count == 3)
        state.enqueue(write, nil)
        #expect(state.take(maxSpans: 10).count == 4)
        #expect(state.queue.isEmpty)
    }
}
