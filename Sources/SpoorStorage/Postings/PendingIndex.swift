import SpoorModel

/// Index postings written but not yet flushed as posting lists, with the journal entries that hold them.
struct PendingIndex {
    var groups = PostingGroups()
    var rollups = PendingRollups()
    var summaries = PendingSummaries()
    /// What the running index flush is writing: moved out of the fields above when it starts, so writes go on adding
    /// to them meanwhile, and dropped once its batch is written (put back when the write fails). Readers see both.
    var flushing: FlushingIndex?
    /// Twice the flushes so far, plus one while a flush is writing its batch (a sequence lock): a reader of both the
    /// pending rollups and the store accepts its result only when it saw the same even value before and after.
    var flushes: UInt64 = 0
    /// Memory held by the postings, the rollups and the trace summaries, the flushing ones included.
    var memoryBytes: Int { liveMemoryBytes + (flushing?.memoryBytes ?? 0) }
    /// Memory held by what the next flush will write.
    var liveMemoryBytes: Int { groups.memoryBytes + rollups.memoryBytes + summaries.memoryBytes }
    var journal: [UInt64] = []
    var nextSequence: UInt64 = 1
    var lastFlushNanos: UInt64 = 0
    /// The `now` of the latest write.
    var lastWriteNanos: UInt64 = 0
    /// When the last flush failed (0: none).
    var lastFailureNanos: UInt64 = 0

    /// Journal sequences at or above this are corrupt (a store would need 2^62 writes to reach it).
    static let maxSequence: UInt64 = 1 << 62

    /// The pending postings of one index key in a bucket (the flushing ones included), or nil when there are none.
    func postings(bucket: UInt64, width: UInt64, prefix: [UInt8]) -> [Posting]? {
        let live = groups.postings(bucket: bucket, width: width, prefix: prefix)
        guard let flushed = flushing?.groups.postings(bucket: bucket, width: width, prefix: prefix) else { return live }
        return (live ?? []) + flushed  // in no particular order: scans sort them
    }

    /// The newest pending entries of one index key in a bucket, one page per source holding the key (live, flushing);
    /// see `PostingGroups.newest`. Read under the pending lock; `PendingPage.combine` sorts them after it.
    func newest(bucket: UInt64, width: UInt64, prefix: [UInt8], startMin: UInt64, startMax: UInt64, limit: Int) -> [PendingPage] {
        ([groups] + (flushing.map { [$0.groups] } ?? [])).compactMap {
            $0.newest(bucket: bucket, width: width, prefix: prefix, startMin: startMin, startMax: startMax, limit: limit)
        }
    }

    /// The pending rollups of one service with slots in `[firstSlot, endSlot)` (the flushing ones included); see
    /// `PendingRollups.slots`.
    func rollupSlots(tenant: String, service: String, resolution: RollupResolution, firstSlot: UInt64, endSlot: UInt64)
        -> [(slot: UInt64, kind: SpanKind, operation: String, rollup: SpanRollup)]
    {
        let live = rollups.slots(tenant: tenant, service: service, resolution: resolution, firstSlot: firstSlot, endSlot: endSlot)
        guard let flushing else { return live }
        return live + flushing.rollups.slots(tenant: tenant, service: service, resolution: resolution, firstSlot: firstSlot, endSlot: endSlot)
    }

    /// The pending summary of a trace (the flushing one included).
    func summary(tenant: String, traceID: TraceID, buckets: [BucketRef]) -> TraceSummary? {
        let live = summaries.summary(tenant: tenant, traceID: traceID, buckets: buckets)
        guard var total = flushing?.summaries.summary(tenant: tenant, traceID: traceID, buckets: buckets) else { return live }
        if let live { total.merge(live) }
        return total
    }

    /// Whether what the next flush will write has grown to twice a flush's postings or to its memory bound.
    func isOverdue(_ configuration: StoreConfiguration) -> Bool {
        groups.postingCount >= 2 * configuration.indexFlushPostings || liveMemoryBytes >= configuration.indexFlushBytes
    }

    /// Nanoseconds until a flush may be tried again after the last failure (0: now).
    func retryWait(now: UInt64, _ configuration: StoreConfiguration) -> UInt64 {
        let elapsed = now &- lastFailureNanos
        return elapsed >= configuration.indexFlushRetryNanos ? 0 : configuration.indexFlushRetryNanos - elapsed
    }

    /// Moves everything pending into `flushing` (which must be empty) and returns it.
    mutating func startFlush() -> FlushingIndex {
        let taken = FlushingIndex(groups: groups, rollups: rollups, summaries: summaries, journal: journal)
        flushing = taken
        groups = PostingGroups()
        rollups = PendingRollups()
        summaries = PendingSummaries()
        journal = []
        return taken
    }

    /// Puts a failed flush's postings, rollups, summaries and journal entries back in front of what came since.
    mutating func abandonFlush() {
        guard var taken = flushing else { return }
        flushing = nil
        taken.groups.merge(groups)
        taken.rollups.merge(rollups)
        taken.summaries.merge(summaries)
        groups = taken.groups
        rollups = taken.rollups
        summaries = taken.summaries
        journal = taken.journal + journal
    }
}

/// What one index flush writes: the pending index as it was when the flush started.
struct FlushingIndex {
    var groups: PostingGroups
    var rollups: PendingRollups
    var summaries: PendingSummaries
    /// The journal entries the flush deletes.
    var journal: [UInt64]

    var memoryBytes: Int { groups.memoryBytes + rollups.memoryBytes + summaries.memoryBytes }
}

/// A pending posting as a scan sees it: the latest start of the spans it stands for (capped at the scan's window end)
/// and its trace. Ordered by start, then trace id: the lesser is the older.
struct PendingCandidate: Comparable {
    var start: UInt64
    var traceID: TraceID

    static func < (a: PendingCandidate, b: PendingCandidate) -> Bool {
        a.start != b.start ? a.start < b.start : a.traceID < b.traceID
    }
}

/// What one read of a group's pending postings returned (`PostingGroups.newest`).
struct PendingPage {
    var entries: [PendingCandidate]
    /// False when postings in the window were left out: every one of them is older than the entries returned.
    var complete: Bool
    /// Whether the whole chain was read (left out postings, if any, were dropped for room, not left unread).
    var walkedAll: Bool
    /// Whether `entries` are newest first.
    var sorted: Bool

    /// The pages' entries newest first. When a page is incomplete, entries older than the oldest it returned are
    /// dropped (its left out postings may come between them): a scan that uses up the entries reads again from the
    /// last one it used. `walkedAll`: every page read its whole chain, so reading again in pages would only read it
    /// whole again.
    static func combine(_ pages: [PendingPage]) -> (entries: [PendingCandidate], complete: Bool, walkedAll: Bool) {
        var entries: [PendingCandidate] = []
        var cut: PendingCandidate? = nil
        for page in pages {
            entries += page.entries
            if !page.complete, let oldest = page.entries.last { cut = max(cut ?? oldest, oldest) }
        }
        if pages.count > 1 || pages.contains(where: { !$0.sorted }) { entries.sort(by: >) }
        if let cut { entries = Array(entries.prefix { $0 >= cut }) }
        return (entries, pages.allSatisfy(\.complete), pages.allSatisfy(\.walkedAll))
    }
}
