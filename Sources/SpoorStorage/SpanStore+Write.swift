import SpoorModel

extension SpanStore {
    // MARK: - Writing

    /// Encodes spans into keys and values. Pure CPU work: call it on the submitting task, not the writer.
    ///
    /// The spans of one trace (and bucket) become one chunk record. Their service, operation, tag and duration
    /// postings are grouped by index key here; `write` adds them to the pending index and journals the chunk keys, and
    /// a flush writes the postings gathered over many requests as posting lists (a fraction of an entry per span).
    package func prepare(tenant: String, spans: [Span]) -> PreparedWrite {
        let (routes, retentionCutoff) = state.withLock { state in
            (spans.map { bucketStart(forSpanStart: $0.startTimeUnixNanos, in: state) }, state.retentionCutoffNanos)
        }
        var prepared = PreparedWrite(tenant: tenant)
        var rollups = PendingRollups()
        rollups.reserveCapacity(min(spans.count, 512))
        let tenantID = rollups.id(tenant)
        var catalog = Set<InternedCatalogKey>(minimumCapacity: min(spans.count, 256))
        var postings = PostingGroups()
        var processTags: ProcessTagGroups? = ProcessTagGroups()
        // Chunks: the spans of one trace and bucket, in arrival order, at most `SpanChunkCodec.maxSpans` each.
        var openChunk: [ChunkKey: Int] = [:]
        openChunk.reserveCapacity(min(spans.count, 1024))
        // Each chunk's spans, summary and earliest start, gathered in the one pass over the spans.
        var chunks: [(key: ChunkKey, spans: [Int], summary: TraceSummary, start: UInt64)] = []
        // Traces (and buckets) of more than one chunk in this request: only their chunks could share a key.
        var split = Set<ChunkKey>()
        prepared.edgeSpans.reserveCapacity(spans.count)
        var lastService = LastName()
        spans.withUnsafeBufferPointer { spans in
            for index in spans.indices {
                // One copy of the span, passed to everything below: each call with `spans[index]` (read in place
                // through the buffer pointer) would copy it again, retaining every field.
                let span = spans[index]
                let bucket = BucketRef(start: routes[index].start, width: routes[index].width)
                let traceID = span.traceID
                // Kind and error in one pass over the tags, for the rollup and the trace summary.
                let (kind, isError) = span.kindAndError
                let chunkKey = ChunkKey(traceID: traceID, bucket: bucket)
                let chunk: Int
                if let open = openChunk[chunkKey], chunks[open].spans.count < SpanChunkCodec.maxSpans {
                    chunk = open
                    chunks[chunk].spans.append(index)
                } else {
                    chunk = chunks.count
                    if openChunk.updateValue(chunk, forKey: chunkKey) != nil { split.insert(chunkKey) }
                    chunks.append((chunkKey, [index], TraceSummary(), UInt64.max))
                }
                chunks[chunk].summary.add(span, isError: isError)
                chunks[chunk].start = min(chunks[chunk].start, span.startTimeUnixNanos)
                postings.addPostings(of: span, tenant: tenant, bucket: bucket, processTags: &processTags)

                let service = span.process.serviceName
                // Names are numbered once per call, so the per-span rollup and catalog keys hash integers, not strings.
                let serviceID = lastService.id(service) { rollups.id($0) }
                let operationID = rollups.id(span.operationName)
                rollups.add(
                    span, kind: kind, isError: isError, bucket: bucket, tenant: tenantID, service: serviceID, operation: operationID)
                prepared.edgeSpans.append(
                    EdgeSpan(
                        traceID: traceID, spanID: span.spanID, parentSpanID: span.parentSpanID, service: service,
                        startNanos: span.startTimeUnixNanos, bucket: bucket))
                catalog.insert(InternedCatalogKey(service: serviceID, operation: operationID, kind: kind, bucket: bucket.start))
            }
        }
        prepared.spanCount = spans.count
        var encoder = SpanChunkEncoder(names: chunkNames)
        var references: [IndexJournal.ChunkReference] = []
        references.reserveCapacity(chunks.count)
        var issuedKeys: [[UInt8]: UInt64] = [:]
        prepared.entries.reserveCapacity(chunks.count)
        for chunk in chunks {
            let chunkStart = chunk.start
            // A bucket retention already dropped gets no shared names: the write skips it anyway.
            let value = encoder.encode(
                spans, chunk.spans[...], traceID: chunk.key.traceID, chunkStart: chunkStart, bucket: chunk.key.bucket,
                share: chunk.key.bucket.endNanos > retentionCutoff)
            let key =
                !split.isEmpty && split.contains(chunk.key)
                ? Self.uniqueChunkKey(
                    tenant: tenant, traceID: chunk.key.traceID, chunkStart: chunkStart, value: value, issued: &issuedKeys)
                : Keys.spanChunk(
                    tenant: tenant, traceID: chunk.key.traceID, chunkStart: chunkStart, contentHash: Self.chunkHash(value))
            prepared.entries.append(.init(bucket: chunk.key.bucket, key: key, value: value, spanCount: chunk.spans.count))
            references.append(IndexJournal.ChunkReference(bucket: chunk.key.bucket, key: key))
            prepared.summaries.add(chunk.summary, tenant: tenant, bucket: chunk.key.bucket, traceID: chunk.key.traceID)
        }
        // The shared names these chunks use that are not yet durable travel in the same batch as the chunks.
        prepared.names = encoder.pendingNames
        prepared.entries.append(contentsOf: prepared.names.map(PreparedWrite.Entry.init(sharedName:)))
        if !references.isEmpty { prepared.journal = IndexJournal.encode(references) }
        prepared.postings = postings
        prepared.catalog.reserveCapacity(catalog.count)
        for key in catalog {
            prepared.catalog.insert(
                CatalogEntry(
                    service: ExactString(rollups.names.name(key.service)),
                    operation: OperationKey(name: rollups.names.name(key.operation), kind: key.kind), bucket: key.bucket))
        }
        prepared.rollups = rollups
        // What the queued write holds in memory: every key and value, the postings and the per-entry and per-span
        // bookkeeping.
        prepared.byteCount = prepared.entries.reduce(0) { $0 + $1.key.count + $1.value.count + PreparedWrite.entryOverheadBytes }
            + prepared.edgeSpans.count * PreparedWrite.spanOverheadBytes + prepared.journal.count + postings.memoryBytes
            + prepared.rollups.memoryBytes + prepared.summaries.memoryBytes
        // Sorted here, on the submitting task, so the single writer only merges sorted runs (see `write`).
        prepared.entries = PreparedWrite.Entry.sortedInBatchOrder(prepared.entries)
        return prepared
    }

    /// Writes prepared spans in one atomic batch and returns once the batch is in the WAL.
    /// Spans whose bucket has already expired are skipped and counted in the result.
    package func write(_ writes: [PreparedWrite], now: UInt64) throws(StorageError) -> WriteResult {
        let cutoff = now > configuration.retentionNanos ? now - configuration.retentionNanos : 0
        var families: [UInt64: ColumnFamily] = [:]
        var result = WriteResult()
        let batch: WriteBatch
        do {
            batch = try WriteBatch()
        } catch {
            throw .rocks(error)
        }
        var newCatalog: [(String, CatalogEntry)] = []
        let known = state.withLock { $0.catalog }
        // Entries go into the batch in (bucket, key) order: the memtable's skip list then inserts each key next to
        // the previous one instead of searching from the top (profiling showed random-order inserts dominating).
        // Each prepared write is already sorted, so the writer only merges the runs.
        for write in writes {
            for entry in write.catalog where !known.contains(tenant: write.tenant, entry) {
                let bucketEnd = (entry.bucket &+ configuration.bucketWidthSeconds) &* 1_000_000_000
                guard bucketEnd > cutoff else { continue }
                newCatalog.append((write.tenant, entry))
                batch.put(
                    catalogFamily,
                    key: Keys.catalog(
                        tenant: write.tenant, service: entry.service.value, operation: entry.operation.name,
                        kind: entry.operation.kind, bucketStart: entry.bucket),
                    value: [])
            }
            result.storedSpans += write.spanCount
        }
        var dependencyCounts: [DependencyKey: UInt64] = [:]
        tracker.withLock { tracker in
            var minutes: [ServiceEdgeMinute: UInt64] = [:]
            for write in writes {
                // Counted by service numbers and minute first (a request's edges repeat a few pairs), then each
                // distinct pair is named once, before the next request may renumber the services.
                minutes.removeAll(keepingCapacity: true)
                for edge in tracker.recordServices(tenant: write.tenant, write.edgeSpans) {
                    let seconds = edge.childStartNanos / 1_000_000_000
                    let key = ServiceEdgeMinute(parent: edge.parent, child: edge.child, minute: seconds - seconds % 60, bucket: edge.bucket)
                    minutes[key, default: 0] += 1
                }
                for (edge, count) in minutes {
                    let parent = tracker.serviceName(edge.parent)
                    let child = tracker.serviceName(edge.child)
                    for resolution in [RollupResolution.minute, .hour] {
                        let key = DependencyKey(
                            tenant: ExactString(write.tenant), bucket: edge.bucket, resolution: resolution,
                            slot: edge.minute - edge.minute % resolution.seconds, parent: ExactString(parent),
                            child: ExactString(child))
                        dependencyCounts[key, default: 0] += count
                    }
                }
            }
        }
        var counters: [PreparedWrite.Entry] = dependencyCounts.map { key, count in
            .init(
                bucket: key.bucket,
                key: Keys.dependency(
                    tenant: key.tenant.value, resolution: key.resolution, slot: key.slot, parent: key.parent.value,
                    child: key.child.value),
                value: CounterValue.encode(count), isMerge: true)
        }
        counters = PreparedWrite.Entry.sortedInBatchOrder(counters)
        var merger = SortedRunMerger(runs: writes.map(\.entries) + [counters])
        while let (run, index) = merger.next() {
            let entry = merger.runs[run][index]
            if try !add(entry, to: batch, families: &families, cutoff: cutoff) { result.expiredSpans += entry.spanCount }
        }
        // Each request's journal value, in the same atomic batch as the chunks it names: after a crash the postings of
        // those chunks are derived again, so an acknowledged span is always searchable.
        let indexed = writes.filter { !$0.journal.isEmpty }
        let firstSequence = pending.withLock { pending -> UInt64 in
            defer { pending.nextSequence += UInt64(indexed.count) }
            return pending.nextSequence
        }
        for (offset, write) in indexed.enumerated() {
            batch.put(catalogFamily, key: Keys.indexJournal(sequence: firstSequence + UInt64(offset)), value: write.journal)
        }
        result.storedSpans -= result.expiredSpans
        do {
            try database.write(batch, sync: configuration.syncWrites)
        } catch {
            throw .rocks(error)
        }
        // Only the names of buckets this batch wrote: an expired bucket's entries were skipped.
        for write in writes { chunkNames.markDurable(write.names.filter { families[$0.bucket.start] != nil }) }
        // The buckets this batch stored: only their postings, rollups and summaries go pending. A skipped (expired)
        // span's would hold memory until the next flush, the Monitor tab would count it meanwhile, and its summary
        // would stretch its trace.
        let stored = { (bucket: BucketRef) in families[bucket.start] != nil && bucket.endNanos > cutoff }
        var indexedParts = indexed.map { ($0.postings, $0.rollups) }
        if result.expiredSpans > 0 {
            for index in indexedParts.indices {
                indexedParts[index].0.removeBuckets { !stored($0) }
                indexedParts[index].1.removeBuckets { !stored($0) }
            }
        }
        if !indexed.isEmpty {
            pending.withLock { pending in
                for (write, (postings, rollups)) in zip(indexed, indexedParts) {
                    pending.groups.merge(postings)
                    pending.rollups.merge(rollups)
                    pending.summaries.merge(write.summaries, keeping: stored)
                }
                pending.journal.append(contentsOf: (0..<UInt64(indexed.count)).map { firstSequence + $0 })
                pending.lastWriteNanos = max(pending.lastWriteNanos, now)
                if pending.lastFlushNanos == 0 { pending.lastFlushNanos = now }  // the first write starts the clock
            }
        }
        if !newCatalog.isEmpty {
            state.withLock { state in
                for (tenant, entry) in newCatalog {
                    state.catalog.insert(tenant: tenant, service: entry.service.value, operation: entry.operation, bucket: entry.bucket)
                }
            }
        }
        return result
    }

    /// Adds one entry to a batch unless its bucket is past `cutoff` or past what retention already dropped; creates
    /// the bucket when needed.
    /// - Returns: false when the entry was skipped as expired.
    private func add(
        _ entry: PreparedWrite.Entry, to batch: WriteBatch, families: inout [UInt64: ColumnFamily], cutoff: UInt64
    ) throws(StorageError) -> Bool {
        if entry.bucket.endNanos <= cutoff { return false }
        let family: ColumnFamily
        if let known = families[entry.bucket.start] {
            family = known
        } else {
            let ensured: ColumnFamily?
            do {
                ensured = try ensureBucket(entry.bucket)
            } catch {
                throw .rocks(error)
            }
            guard let ensured else { return false }  // retention already dropped the bucket
            family = ensured
            families[entry.bucket.start] = family
        }
        if entry.isMerge {
            batch.merge(family, key: entry.key, value: entry.value)
        } else {
            batch.put(family, key: entry.key, value: entry.value)
        }
        return true
    }

    /// True when enough postings (or memory) are pending, or the last flush is old enough, for the next index flush.
    package func indexFlushDue(now: UInt64) -> Bool {
        pending.withLock { pending in
            guard !pending.journal.isEmpty, pending.retryWait(now: now, configuration) == 0 else { return false }
            return pending.groups.postingCount >= configuration.indexFlushPostings
                || pending.liveMemoryBytes >= configuration.indexFlushBytes
                || now &- pending.lastFlushNanos >= configuration.indexFlushNanos
        }
    }

    /// True when what the next flush will write has grown to twice a flush's postings or to its memory bound: while a
    /// flush runs, the writer then waits for it, so the pending index stays bounded when flushes fall behind.
    package var indexFlushOverdue: Bool {
        pending.withLock { $0.isOverdue(configuration) }
    }

    /// The nanoseconds until a failed index flush is retried, when the pending index has meanwhile grown to twice a
    /// flush's bounds (`indexFlushOverdue`); nil otherwise. The writer holds off writing for that long.
    package func indexFlushRetryWait(now: UInt64) -> UInt64? {
        pending.withLock { pending in
            guard pending.lastFailureNanos != 0, !pending.journal.isEmpty, pending.isOverdue(configuration) else { return nil }
            let wait = pending.retryWait(now: now, configuration)
            return wait == 0 ? nil : wait
        }
    }

    /// Flushes the pending index when it is due (`indexFlushDue`). The writer calls it after acknowledging a batch, on
    /// a thread of its own, so no request waits for a flush. A failed flush is logged and retried after
    /// `indexFlushRetryNanos`: the postings stay journaled.
    package func flushIndexIfDue(now: UInt64) {
        guard indexFlushDue(now: now) else { return }
        do {
            try flushIndex(now: now)
        } catch {
            pending.withLock { $0.lastFailureNanos = now }
            logger.error("Index flush failed; the journal keeps the postings", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the pending index postings as posting lists and deletes their journal entries, in one atomic batch.
    ///
    /// May run beside `write`: it takes what is pending when it starts (`PendingIndex.startFlush`), and writes go on
    /// adding to a fresh pending index meanwhile. Flushes run one at a time (`flushSerial`).
    package func flushIndex(now: UInt64) throws(StorageError) {
        try flushSerial.withLock { _ throws(StorageError) in
            if let fault = configuration.indexFlushFault?() { throw fault }
            let taken = pending.withLock { pending -> FlushingIndex? in
                pending.journal.isEmpty ? nil : pending.startFlush()
            }
            guard let taken else { return }
            do throws(StorageError) {
                try writeFlush(taken, now: now)
            } catch {
                pending.withLock { $0.abandonFlush() }
                throw error
            }
        }
    }

    private func writeFlush(_ flush: FlushingIndex, now: UInt64) throws(StorageError) {
        let cutoff = now > configuration.retentionNanos ? now - configuration.retentionNanos : 0
        var entries: [PreparedWrite.Entry] = []
        flush.groups.emit(into: &entries)
        flush.rollups.emit(into: &entries)
        flush.summaries.emit(into: &entries)
        entries = PreparedWrite.Entry.sortedInBatchOrder(entries)
        let batch: WriteBatch
        do {
            batch = try WriteBatch()
        } catch {
            throw .rocks(error)
        }
        var families: [UInt64: ColumnFamily] = [:]
        for entry in entries { _ = try add(entry, to: batch, families: &families, cutoff: cutoff) }
        for sequence in flush.journal { batch.delete(catalogFamily, key: Keys.indexJournal(sequence: sequence)) }
        // `flushes` is odd while the batch is being written (a sequence lock): a reader of both the pending rollups
        // and the store retries unless it saw the same even count before and after (see `rollups`).
        pending.withLock { $0.flushes += 1 }
        do {
            try database.write(batch, sync: configuration.syncWrites)
        } catch {
            pending.withLock { $0.flushes += 1 }
            throw .rocks(error)
        }
        // Dropped only after the lists are written: a scan that copied the pending postings before this point may
        // see them twice (scans allow repeats), and one that copies after sees the lists.
        pending.withLock { pending in
            pending.flushing = nil
            pending.flushes += 1
            pending.lastFlushNanos = now
        }
    }

    /// The family of a bucket, created when new; nil when retention has already dropped the bucket (checked with the
    /// lookup, under one lock, so a bucket retention is dropping is not recreated).
    func ensureBucket(_ ref: BucketRef) throws(RocksError) -> ColumnFamily? {
        let found = state.withLock { state -> ColumnFamily?? in
            if let existing = state.buckets.first(where: { $0.startSeconds == ref.start }) { return .some(existing.family) }
            return ref.endNanos <= state.retentionCutoffNanos ? .some(nil) : nil
        }
        if let found { return found }
        let name = Bucket.name(start: ref.start, width: ref.width)
        let isNew = database.columnFamily(name) == nil
        let family = try database.columnFamilyCreatingIfNeeded(name)
        if isNew {
            // Marks the bucket as holding posting lists only, so scans skip the legacy per-span index. Written before
            // any data: after a crash in between, the bucket merely counts as legacy (slower scans, same answers).
            let marker = try WriteBatch()
            marker.put(catalogFamily, key: Keys.postingsBucketMarker(bucketStart: ref.start), value: [PostingList.version])
            try database.write(marker, sync: configuration.syncWrites)
        }
        state.withLock { state in
            if !state.buckets.contains(where: { $0.startSeconds == ref.start }) {
                state.buckets.append(
                    Bucket(startSeconds: ref.start, widthSeconds: ref.width, family: family, mayHoldLegacyIndex: !isNew))
                state.buckets.sort { $0.startSeconds < $1.startSeconds }
            }
        }
        return family
    }
}

extension SpanStore {
    /// The content hash of a chunk key: the low 32 bits of the value's `WordHash`.
    static func chunkHash(_ value: [UInt8]) -> UInt32 { UInt32(truncatingIfNeeded: WordHash.hash(value)) }

    /// The key of a chunk: its trace, earliest start and `chunkHash` of its value (as `prepare` gives every chunk of a
    /// trace that fits in one). Two different chunks of one request that would share a key (same trace and
    /// start, colliding hashes: 2^-32 per such pair) get the next hash instead, so neither overwrites the other; the
    /// same value twice keeps one key (a repeat overwrites itself).
    static func uniqueChunkKey(
        tenant: String, traceID: TraceID, chunkStart: UInt64, value: [UInt8], issued: inout [[UInt8]: UInt64]
    ) -> [UInt8] {
        let full = WordHash.hash(value)
        var hash = UInt32(truncatingIfNeeded: full)  // `chunkHash(value)`
        while true {
            let key = Keys.spanChunk(tenant: tenant, traceID: traceID, chunkStart: chunkStart, contentHash: hash)
            guard let other = issued[key], other != full else {
                issued[key] = full
                return key
            }
            hash &+= 1
        }
    }
}

/// A parent→child pair of service numbers (`DependencyTracker.serviceName`) in one minute and bucket.
struct ServiceEdgeMinute: Hashable {
    var parent: UInt32
    var child: UInt32
    var minute: UInt64
    var bucket: BucketRef

    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(parent) << 32 | UInt64(child))
        hasher.combine(bucket.hashWord(minute: minute))
    }
}

/// A catalog entry with interned names.
struct InternedCatalogKey: Hashable {
    var service: UInt32
    var operation: UInt32
    var kind: SpanKind
    var bucket: UInt64

    /// Two words instead of four fields: hashed once per span.
    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(service) << 32 | UInt64(operation))
        hasher.combine(bucket << 8 | UInt64(kind.rawValue))
    }
}

/// Merges runs of entries, each sorted by `PreparedWrite.Entry.inBatchOrder`, with a heap of run heads.
struct SortedRunMerger {
    let runs: [[PreparedWrite.Entry]]
    /// A run's next entry, with its bucket and key head copied out so most comparisons touch no array.
    private struct Head {
        var bucket: UInt64
        var keyHead: UInt64
        var run: Int
        var index: Int
    }
    private var heads: BinaryHeap<Head>

    init(runs: [[PreparedWrite.Entry]]) {
        self.runs = runs
        heads = BinaryHeap { a, b in
            PreparedWrite.Entry.inBatchOrder(a.bucket, a.keyHead, b.bucket, b.keyHead) {
                Keys.less(runs[a.run][a.index].key, runs[b.run][b.index].key)
            }
        }
        for run in runs.indices where !runs[run].isEmpty { heads.push(head(run: run, index: 0)) }
    }

    private func head(run: Int, index: Int) -> Head {
        Head(bucket: runs[run][index].bucket.start, keyHead: runs[run][index].keyHead, run: run, index: index)
    }

    /// The (run, index) of the smallest remaining entry, or nil when every run is consumed.
    mutating func next() -> (Int, Int)? {
        guard !heads.isEmpty else { return nil }
        let top = heads.pop()
        if top.index + 1 < runs[top.run].count { heads.push(head(run: top.run, index: top.index + 1)) }
        return (top.run, top.index)
    }
}
