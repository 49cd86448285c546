import SpoorModel

/// Monitor rollups written but not yet flushed, summed in memory across requests.
///
/// A request's spans touch hundreds of (service, kind, operation, slot) keys; written per request, each would be a
/// merge operand (a memtable insert) per request. Summed here, an index flush writes one operand per key for every
/// request since the last flush, in the same batch that deletes the journal entries. After a crash, the journal
/// replay derives them again from the chunks it names (`add(span:tenant:bucket:)`), as it does the postings.
struct PendingRollups: Sendable {
    struct Key: Hashable, Sendable {
        var bucket: BucketRef
        /// The rollup's store key (`Keys.rollup`).
        var key: [UInt8]
    }

    private(set) var rollups: [Key: SpanRollup] = [:]

    /// Bookkeeping per key beyond its bytes: the dictionary slot, the key and the rollup's histogram.
    static let entryOverheadBytes = 192

    var isEmpty: Bool { rollups.isEmpty }

    /// Memory held, for the flush budget and the memory gauge (an estimate).
    private(set) var memoryBytes = 0

    mutating func add(_ rollup: SpanRollup, bucket: BucketRef, key: [UInt8]) {
        let entryKey = Key(bucket: bucket, key: key)
        if rollups[entryKey]?.merge(rollup) == nil {
            rollups[entryKey] = rollup
            memoryBytes += key.count + Self.entryOverheadBytes
        }
    }

    /// Counts one span at both resolutions (what `SpanStore.prepare` does for a request, one span at a time).
    mutating func add(span: Span, tenant: String, bucket: BucketRef) {
        let seconds = span.startTimeUnixNanos / 1_000_000_000
        var rollup = SpanRollup()
        rollup.add(durationNanos: span.durationNanos, isError: span.isError)
        for resolution in [RollupResolution.minute, .hour] {
            let key = Keys.rollup(
                tenant: tenant, resolution: resolution, service: span.process.serviceName,
                slot: seconds - seconds % resolution.seconds, kind: span.kind, operation: span.operationName)
            add(rollup, bucket: bucket, key: key)
        }
    }

    mutating func merge(_ other: PendingRollups) {
        if isEmpty {
            self = other
            return
        }
        for (key, rollup) in other.rollups { add(rollup, bucket: key.bucket, key: key.key) }
    }

    /// Drops the rollups of buckets that ended at or before `cutoff` (nanoseconds): retention dropped them.
    mutating func removeBuckets(endingBy cutoff: UInt64) {
        for key in rollups.keys where key.bucket.endNanos <= cutoff {
            rollups[key] = nil
            memoryBytes -= key.key.count + Self.entryOverheadBytes
        }
    }

    /// One merge operand per key.
    func emit(into entries: inout [PreparedWrite.Entry]) {
        for (key, rollup) in rollups {
            entries.append(.init(bucket: key.bucket, key: key.key, value: rollup.encoded(), isMerge: true))
        }
    }

    /// The rollups whose key is in `[lower, upper)`.
    func between(_ lower: [UInt8], _ upper: [UInt8]) -> [(key: [UInt8], rollup: SpanRollup)] {
        rollups.compactMap { key, rollup in
            !Keys.less(key.key, lower) && Keys.less(key.key, upper) ? (key.key, rollup) : nil
        }
    }
}
