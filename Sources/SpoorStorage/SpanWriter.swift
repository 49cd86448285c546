import Logging
import Metrics
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
/// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// The write path: a bounded queue drained by one writer that turns everything queued into a single RocksDB
/// WriteBatch (group commit). A request is acknowledged only after its batch is in the WAL.
package final class SpanWriter: Service, Sendable {
    private let store: SpanStore
    private let maxQueuedSpans: Int
    private let maxQueuedBytes: Int
    private let maxSpansPerBatch: Int
    private let state = Mutex(WriterState())
    private let pool: NIOThreadPool
    /// The index flusher's thread: a flush runs beside the writes that follow it.
    private let flushPool: NIOThreadPool
    /// The running index flush, if any.
    private let runningFlush = Mutex<Task<Void, Never>?>(nil)
    private let metrics: WriterMetrics
    private let logger: Logger
    private let now: @Sendable () -> UInt64

    /// Creates a writer.
    /// - Parameters:
    ///   - maxQueuedSpans: spans waiting (not yet written) above which new work is refused.
    ///   - maxQueuedBytes: encoded bytes waiting above which new work is refused.
    package init(
        store: SpanStore, maxQueuedSpans: Int = 100_000, maxQueuedBytes: Int = 256 << 20, maxSpansPerBatch: Int = 10_000,
        logger: Logger, factory: any MetricsFactory = MetricsSystem.factory,
        now: @escaping @Sendable () -> UInt64
    ) {
        self.store = store
        self.maxQueuedSpans = maxQueuedSpans
        self.maxQueuedBytes = maxQueuedBytes
        self.maxSpansPerBatch = maxSpansPerBatch
        self.logger = logger
        self.metrics = WriterMetrics(factory: factory)
        self.now = now
        self.pool = NIOThreadPool(numberOfThreads: 1)
        self.flushPool = NIOThreadPool(numberOfThreads: 1)
    }

    /// Spans waiting to be written.
    package var queuedSpans: Int { state.withLock { $0.spans } }

    /// Estimated memory held by the writes waiting (see `PreparedWrite.byteCount`).
    package var queuedBytes: Int { state.withLock { $0.bytes } }

    /// Queues spans and waits until they are in the WAL.
    /// - Throws: `.overloaded` when the queue is full, `.closed` while shutting down, or the write's error.
    package func write(_ prepared: PreparedWrite) async throws(StorageError) -> WriteResult {
        if prepared.spanCount == 0 { return WriteResult() }
        let outcome: Result<WriteResult, StorageError> = await withCheckedContinuation { continuation in
            let accepted = state.withLock { state -> Result<Void, StorageError> in
                guard state.accepting else { return .failure(.closed) }
                guard !state.refusing else { return .failure(.overloaded) }
                guard state.spans + prepared.spanCount <= maxQueuedSpans || state.spans == 0,
                    state.bytes + prepared.byteCount <= maxQueuedBytes || state.spans == 0
                else { return .failure(.overloaded) }
                state.enqueue(prepared, continuation)
                return .success(())
            }
            switch accepted {
            case .success: wakeWriter()
            case .failure(let error): continuation.resume(returning: .failure(error))
            }
        }
        return try outcome.get()
    }

    /// Queues spans without waiting (UDP). Returns false when the queue is full or closed.
    package func enqueue(_ prepared: PreparedWrite) -> Bool {
        if prepared.spanCount == 0 { return true }
        let accepted = state.withLock { state -> Bool in
            guard state.accepting, !state.refusing, state.spans + prepared.spanCount <= maxQueuedSpans,
                state.bytes + prepared.byteCount <= maxQueuedBytes
            else { return false }
            state.enqueue(prepared, nil)
            return true
        }
        if accepted { wakeWriter() }
        return accepted
    }

    /// Refuses new work; the loop drains what was accepted, then returns.
    private func stopAccepting() {
        state.withLock { $0.accepting = false }
        wakeWriter()
    }

    private func wakeWriter() {
        let (waiter, depth) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Int) in
            defer { state.writerWaiter = nil }
            return (state.writerWaiter, state.spans)
        }
        metrics.queueDepth.record(Double(depth))
        waiter?.resume()
    }

    /// Writes until graceful shutdown, then drains what was accepted and returns.
    package func run() async throws {
        pool.start()
        flushPool.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.loop()
            } onGracefulShutdown: {
                self.stopAccepting()
            }
        } onCancel: {
            self.stopAccepting()
        }
        if let flush = runningFlush.withLock({ $0 }) { await flush.value }
        // Both pools are shut down even when the first refuses.
        var flusherError: (any Error)?
        do {
            try await flushPool.shutdownGracefully()
        } catch {
            flusherError = error
        }
        try await pool.shutdownGracefully()
        if let flusherError { throw flusherError }
    }

    private func loop() async {
        while true {
            let work = await nextWork()
            guard let work else { return }
            let writes = work.map(\.write)
            let started = ContinuousClock.now
            let result: Result<WriteResult, StorageError>
            do {
                let trim = trimDue(now: started)
                let value = try await pool.runIfActive { [store, now] in
                    defer { if trim { Self.releaseFreedMemory() } }
                    return try store.write(writes, now: now())
                }
                result = .success(value)
            } catch let error as StorageError {
                result = .failure(error)
            } catch {
                result = .failure(.closed)
            }
            let elapsed = ContinuousClock.now - started
            metrics.writeDuration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            switch result {
            case .success(let stored):
                metrics.stored.increment(by: stored.storedSpans)
                if stored.expiredSpans > 0 { metrics.expired.increment(by: stored.expiredSpans) }
            case .failure(let error):
                metrics.failed.increment(by: writes.reduce(0) { $0 + $1.spanCount })
                logger.error("Write to RocksDB failed", metadata: ["error": "\(error)"])
            }
            // Each request learns how its own spans fared; the batch is atomic so they share the outcome.
            for item in work {
                guard let continuation = item.continuation else { continue }
                switch result {
                case .success: continuation.resume(returning: .success(WriteResult(storedSpans: item.write.spanCount)))
                case .failure(let error): continuation.resume(returning: .failure(error))
                }
            }
            metrics.queueDepth.record(Double(state.withLock { state in
                state.release(work)
                return state.spans
            }))
            // After the acknowledgements: no request waits for an index flush.
            await startIndexFlushIfDue()
            await holdWhileIndexFlushesFail()
        }
    }

    /// While index flushes keep failing (a full disk, say) and the pending index has grown past its bound, the writer
    /// stops writing until the next retry, so the pending index cannot grow without bound. Meanwhile every write is
    /// answered at once as overloaded (503 / RESOURCE_EXHAUSTED; the clients retry), the queued ones included, rather
    /// than left waiting. Ends when a retried flush succeeds, or at shutdown (accepted writes are then still written:
    /// each is journaled, so its postings survive without a flush).
    private func holdWhileIndexFlushesFail() async {
        var holding = false
        defer { if holding { state.withLock { $0.refusing = false } } }
        while state.withLock({ $0.accepting }), let wait = store.indexFlushRetryWait(now: now()) {
            if !holding {
                holding = true
                logger.warning(
                    "Index flushes are failing and the pending index is full; writes are refused until a flush succeeds",
                    metadata: ["retry_in_ms": "\(wait / 1_000_000)"])
            }
            refuseQueued()
            do {
                try await Task.sleep(nanoseconds: min(wait, 100_000_000))
            } catch {
                return  // cancelled: the loop drains and stops
            }
            await startIndexFlushIfDue()
        }
    }

    /// Refuses new writes and answers every queued one as overloaded (UDP batches, which nobody waits for, are
    /// counted as dropped).
    private func refuseQueued() {
        let refused = state.withLock { state -> [QueuedWrite] in
            state.refusing = true
            let taken = state.take(maxSpans: .max)
            state.release(taken)
            return taken
        }
        guard !refused.isEmpty else { return }
        for item in refused { item.continuation?.resume(returning: .failure(.overloaded)) }
        metrics.refused.increment(by: refused.reduce(0) { $0 + ($1.continuation == nil ? $1.write.spanCount : 0) })
        metrics.queueDepth.record(Double(state.withLock { $0.spans }))
    }

    /// Starts an index flush on the flusher's thread when one is due and none is running. While one runs, the writer
    /// goes on writing, and waits for it only when the pending index has grown to twice a flush's bounds.
    private func startIndexFlushIfDue() async {
        guard store.indexFlushDue(now: now()) else { return }
        let running = runningFlush.withLock { running -> Task<Void, Never>? in
            if let running { return running }
            running = Task { [store, now, flushPool] in
                _ = try? await flushPool.runIfActive { store.flushIndexIfDue(now: now()) }
                self.runningFlush.withLock { $0 = nil }
            }
            return nil
        }
        if let running, store.indexFlushOverdue {
            await running.value
            await startIndexFlushIfDue()  // what piled up meanwhile is due at once
        }
    }

    /// True every few seconds: time to hand freed memory back to the kernel.
    private func trimDue(now: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            guard now - state.lastTrim >= .seconds(5) else { return false }
            state.lastTrim = now
            return true
        }
    }

    /// Returns free heap memory to the kernel (glibc only).
    ///
    /// The `spoor` binary links jemalloc, whose background thread does this itself (`Sources/CMallocConfig`); this
    /// matters where glibc's malloc serves the process (the test runner, builds without jemalloc).
    /// Queued writes are allocated on ingest threads and freed by the writer; glibc keeps that memory in its arenas,
    /// so without this the process stays at its peak queue size.
    private static func releaseFreedMemory() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }

    /// Takes queued work up to the batch limit; waits while empty; nil once closed and drained.
    private func nextWork() async -> [QueuedWrite]? {
        while true {
            let taken = state.withLock { state -> [QueuedWrite]?? in
                if !state.queue.isEmpty { return .some(state.take(maxSpans: maxSpansPerBatch)) }
                if !state.accepting { return .some(nil) }
                return nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.queue.isEmpty || !state.accepting { return true }
                    state.writerWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}

struct QueuedWrite: Sendable {
    var write: PreparedWrite
    var continuation: CheckedContinuation<Result<WriteResult, StorageError>, Never>?
}

struct WriterState {
    var queue: [QueuedWrite] = []
    var head = 0
    /// Spans queued or being written (released after the write).
    var spans = 0
    var bytes = 0
    var accepting = true
    /// Set while the writer holds off because index flushes keep failing: every write is refused as overloaded.
    var refusing = false
    var writerWaiter: CheckedContinuation<Void, Never>?
    var lastTrim = ContinuousClock.now

    mutating func enqueue(_ write: PreparedWrite, _ continuation: CheckedContinuation<Result<WriteResult, StorageError>, Never>?) {
        queue.append(QueuedWrite(write: write, continuation: continuation))
        spans += write.spanCount
        bytes += write.byteCount
    }

    mutating func take(maxSpans: Int) -> [QueuedWrite] {
        var taken: [QueuedWrite] = []
        var count = 0
        while head < queue.count, taken.isEmpty || count + queue[head].write.spanCount <= maxSpans {
            count += queue[head].write.spanCount
            taken.append(queue[head])
            head += 1
        }
        // Taken slots are removed at once: left in place, they would keep every taken write (its keys and values)
        // alive while the queue never empties, as under a UDP flood (measured: RSS grew past 1.4 GiB).
        queue.removeFirst(head)
        head = 0
        return taken
    }

    mutating func release(_ work: [QueuedWrite]) {
        for item in work {
            spans -= item.write.spanCount
            bytes -= item.write.byteCount
        }
    }
}

struct WriterMetrics: Sendable {
    let stored: Counter
    let expired: Counter
    let failed: Counter
    let refused: Counter
    let queueDepth: Recorder
    let writeDuration: Metrics.Timer

    init(factory: any MetricsFactory) {
        stored = Counter(label: "spoor_storage_spans_stored_total", factory: factory)
        expired = Counter(label: "spoor_storage_spans_dropped_total", dimensions: [("reason", "expired")], factory: factory)
        failed = Counter(label: "spoor_storage_spans_dropped_total", dimensions: [("reason", "write_error")], factory: factory)
        refused = Counter(label: "spoor_storage_spans_dropped_total", dimensions: [("reason", "index_flush_failing")], factory: factory)
        queueDepth = Recorder(label: "spoor_collector_queue_spans", aggregate: false, factory: factory)
        writeDuration = Metrics.Timer(label: "spoor_storage_write_duration_seconds", factory: factory)
    }
}
