import SpoorModel

/// Trace summaries gathered between index flushes, one per (tenant, bucket, trace).
///
/// A request's chunks used to carry one summary merge operand each. When a client sends one process's spans per
/// request (Thrift over HTTP or UDP), a trace reaches the store in several requests, and those operands were half the
/// memtable inserts. Summed here instead, a trace costs one operand per flush. A restart derives them again from the
/// chunks the journal names (journal version 3).
///
/// Readers only use the summary's time bounds, which merging the same summary twice leaves unchanged; so a read
/// during a flush, which may see a summary both pending and stored, needs no sequence lock (the counts could be
/// doubled there, and nothing reads them).
struct PendingSummaries: Sendable {
    struct Key: Hashable, Sendable {
        var bucket: BucketRef
        var traceID: TraceID
    }

    /// Per tenant (told apart by its UTF-8 bytes, as the store's keys are), per bucket and trace.
    private(set) var byTenant: [ExactString: [Key: TraceSummary]] = [:]
    private(set) var count = 0
    /// Root-name bytes held (the names share storage with the spans' strings, so this is an upper bound).
    private var nameBytes = 0

    var isEmpty: Bool { count == 0 }
    /// Memory held, for the pending memory bound.
    var memoryBytes: Int { count * 128 + nameBytes }

    /// Adds one chunk's summary of a trace.
    mutating func add(_ summary: TraceSummary, tenant: String, bucket: BucketRef, traceID: TraceID) {
        insert(CollectionOfOne((key: Key(bucket: bucket, traceID: traceID), value: summary)), tenant: ExactString(tenant))
    }

    /// Adds the summaries of `other` whose bucket `keep` accepts (the writer keeps those whose chunks it stored): one
    /// tenant lookup per tenant, not per summary.
    mutating func merge(_ other: PendingSummaries, keeping keep: (BucketRef) -> Bool = { _ in true }) {
        for (tenant, summaries) in other.byTenant { insert(summaries, tenant: tenant, keeping: keep) }
    }

    /// Merges into one tenant's summaries those of `entries` whose bucket `keep` accepts.
    private mutating func insert<Entries: Sequence<(key: Key, value: TraceSummary)>>(
        _ entries: Entries, tenant: ExactString, keeping keep: (BucketRef) -> Bool = { _ in true }
    ) {
        var added = 0
        var names = 0
        modifying(tenant) { summaries in
            for (key, summary) in entries where keep(key.bucket) {
                // An empty summary merged with `summary` is `summary`: a new key holds exactly it.
                let before = summaries.count
                summaries[key, default: TraceSummary()].merge(summary)
                if summaries.count != before { added += 1 }
                // Counted at every merge: a later root span replaces the names (an upper bound; pruning recounts).
                names += summary.rootService.utf8.count + summary.rootOperation.utf8.count
            }
        }
        count += added
        nameBytes += names
    }

    private mutating func modifying(_ tenant: ExactString, _ body: (inout [Key: TraceSummary]) -> Void) {
        body(&byTenant[tenant, default: [:]])
    }

    /// The pending summaries of a trace, over every bucket.
    func summary(tenant: String, traceID: TraceID, buckets: [BucketRef]) -> TraceSummary? {
        guard let summaries = byTenant[ExactString(tenant)] else { return nil }
        var total: TraceSummary?
        for bucket in buckets {
            guard let found = summaries[Key(bucket: bucket, traceID: traceID)] else { continue }
            if total == nil { total = found } else { total?.merge(found) }
        }
        return total
    }

    /// One merge operand per summary, for an index flush.
    func emit(into output: inout [PreparedWrite.Entry]) {
        output.reserveCapacity(output.count + count)
        for (tenant, summaries) in byTenant {
            for (key, summary) in summaries {
                output.append(
                    .init(bucket: key.bucket, key: Keys.summary(tenant: tenant.value, traceID: key.traceID), value: summary.encoded(), isMerge: true))
            }
        }
    }

    /// Drops the summaries of buckets that ended at or before `cutoff` (nanoseconds): retention dropped them.
    mutating func removeBuckets(endingBy cutoff: UInt64) {
        for (tenant, summaries) in byTenant {
            let kept = summaries.filter { $0.key.bucket.endNanos > cutoff }
            guard kept.count != summaries.count else { continue }
            count -= summaries.count - kept.count
            byTenant[tenant] = kept.isEmpty ? nil : kept
        }
        nameBytes = byTenant.values.reduce(0) { total, summaries in
            summaries.values.reduce(total) { $0 + $1.rootService.utf8.count + $1.rootOperation.utf8.count }
        }
    }
}
