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
    /// flush's postings, the writer holds off until the retry, its queue fills and new writes are refused as
    /// overloaded. Every acknowledged span stays readable, and no write is left waiting at shutdown.
    @Test func failingIndexFlushesTurnIntoOverloadNotGrowth() async throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var configuration = StoreConfiguration()
        configuration.tuning.writeBufferBytes = 4 << 20
        configuration.tuning.blockCacheBytes = 8 << 20
        configuration.indexFlushPostings = 4
        configuration.indexFlushRetryNanos = 3600 * 1_000_000_000
        configuration.indexFlushFault = { .rocks(RocksError(operation: "flush", message: "injected: disk full")) }
        let store = try SpanStore(path: dir.path + "/db", configuration: configuration, logger: TestStores.logger)
        let now = SpanStoreTests.t0 * 1000 + SpanStoreTests.hour
        let writer = SpanWriter(store: store, maxQueuedSpans: 3, logger: TestStores.logger, now: { now })
        let tags = (0..<6).map { Attribute.string("k\($0)", "v") }
        final class Outcomes: Sendable {
            let state = Mutex<(acknowledged: [UInt64], refused: Int, closed: Int)>(([], 0, 0))
            func withLock<T>(_ body: (inout (acknowledged: [UInt64], refused: Int, closed: Int)) -> T) -> T { state.withLock { body(&$0) } }
        }
        let outcomes = Outcomes()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            try await withThrowingTaskGroup(of: Void.self) { writes in
                for trace: UInt64 in 1...40 {
                    writes.addTask {
                        let span = SpanBuilder.span(trace: trace, span: 1, startMicros: SpanStoreTests.t0, tags: tags)
                        do {
                            _ = try await writer.write(store.prepare(tenant: "", spans: [span]))
                            outcomes.withLock { $0.acknowledged.append(trace) }
                        } catch StorageError.overloaded {
                            outcomes.withLock { $0.refused += 1 }
                        } catch StorageError.closed {
                            outcomes.withLock { $0.closed += 1 }  // queued when the writer was cancelled
                        }
                    }
                    // Paced, so a writer that keeps up acknowledges each before the next arrives: only holding makes
                    // the queue fill.
                    try await Task.sleep(nanoseconds: trace <= 3 ? 50_000_000 : 10_000_000)
                }
                // The writer holds: some writes wait in its queue. Refusals answer the rest.
                let deadline = ContinuousClock.now + .seconds(20)
                while outcomes.withLock({ $0.refused + $0.acknowledged.count }) < 40 - 3, ContinuousClock.now < deadline {
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
                #expect(store.indexFlushRetryWait(now: now) != nil)
                group.cancelAll()  // the writes still queued are answered (closed), not left waiting
                try await writes.waitForAll()
            }
        }
        let (acknowledged, refused, closed) = outcomes.withLock { $0 }
        #expect(acknowledged.count + refused + closed == 40)
        #expect(refused > 0 && closed <= 3)
        #expect(acknowledged.count < 20)
        for trace in acknowledged {
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
