import SpoorModel

/// Monitor rollups written but not yet flushed, summed in memory across requests.
///
/// A request's spans touch hundreds of (service, kind, operation, minute) keys; written per request, each would be a
/// merge operand (a memtable insert) per request and resolution. Summed here, an index flush writes one operand per
/// key and resolution for every request since the last flush, in the same batch that deletes the journal entries;
/// hour rollups are summed from the minutes at that point. After a crash, the journal replay derives them again from
/// the chunks it names (`add(span:tenant:bucket:)`), as it does the postings.
struct PendingRollups: Sendable {
    /// One minute of one (tenant, service, kind, operation), names numbered by `names`.
    struct Key: Hashable, Sendable {
        var bucket: BucketRef
        var tenant: UInt32
        var service: UInt32
        var operation: UInt32
        var kind: SpanKind
        /// Seconds since the epoch, a multiple of 60.
        var minute: UInt64

        /// Three words instead of six fields: hashed once per span. The names are the process's small numbers, so
        /// packing them loses nothing a client could aim at.
        func hash(into hasher: inout Hasher) {
            hasher.combine(UInt64(tenant) << 32 | UInt64(service))
            hasher.combine(UInt64(operation) << 8 | UInt64(kind.rawValue))
            hasher.combine(bucket.hashWord(minute: minute))
        }
    }

    private(set) var names = NameInterner()
    private(set) var rollups: [Key: SpanRollup] = [:]

    /// Bookkeeping per key: the dictionary slot, the key and the rollup without its histogram.
    static let entryOverheadBytes = 160
    /// Per span counted: at most one more histogram bucket (an upper bound, so the flush budget is never exceeded).
    static let spanBytes = 32
    /// Spans counted.
    private(set) var spanCount = 0

    var isEmpty: Bool { rollups.isEmpty }

    /// Memory held, for the flush budget and the memory gauge (an estimate).
    var memoryBytes: Int { rollups.count * Self.entryOverheadBytes + spanCount * Self.spanBytes + names.byteCount }

    /// Room for `keys` rollups without growing (a request's spans touch a few hundred).
    mutating func reserveCapacity(_ keys: Int) { rollups.reserveCapacity(keys) }

    /// The number of a tenant, service or operation name.
    mutating func id(_ name: String) -> UInt32 { names.id(name) }

    /// Counts one span whose tenant, service and operation names are already numbered (`id`).
    mutating func add(
        _ span: Span, kind: SpanKind, isError: Bool, bucket: BucketRef, tenant: UInt32, service: UInt32, operation: UInt32
    ) {
        let seconds = span.startTimeUnixNanos / 1_000_000_000
        let key = Key(bucket: bucket, tenant: tenant, service: service, operation: operation, kind: kind, minute: seconds - seconds % 60)
        rollups[key, default: SpanRollup()].add(durationNanos: span.durationNanos, isError: isError)
        spanCount += 1
    }

    /// Counts one span (the journal replay; `SpanStore.prepare` numbers the names once per request).
    mutating func add(span: Span, tenant: String, bucket: BucketRef) {
        let (kind, isError) = span.kindAndError
        add(
            span, kind: kind, isError: isError, bucket: bucket, tenant: id(tenant), service: id(span.process.serviceName),
            operation: id(span.operationName))
    }

    mutating func merge(_ other: PendingRollups) {
        if isEmpty {
            self = other
            return
        }
        spanCount += other.spanCount
        let remap = other.names.all.map { id($0) }
        for (key, rollup) in other.rollups {
            var mine = key
            mine.tenant = remap[Int(key.tenant)]
            mine.service = remap[Int(key.service)]
            mine.operation = remap[Int(key.operation)]
            if rollups[mine]?.merge(rollup) == nil { rollups[mine] = rollup }
        }
    }

    /// Drops the rollups of buckets that ended at or before `cutoff` (nanoseconds): retention dropped them.
    mutating func removeBuckets(endingBy cutoff: UInt64) {
        removeBuckets { $0.endNanos <= cutoff }
    }

    /// Drops the rollups of the buckets `drop` picks.
    mutating func removeBuckets(where drop: (BucketRef) -> Bool) {
        guard rollups.keys.contains(where: { drop($0.bucket) }) else { return }
        rollups = rollups.filter { !drop($0.key.bucket) }
        // Each span is counted in its minute's rollup, once.
        spanCount = rollups.values.reduce(0) { $0 + Int($1.count) }
        if rollups.isEmpty { names = NameInterner() }
    }

    /// The rollups at `resolution` (hours summed from their minutes), keyed by slot.
    private func slots(_ resolution: RollupResolution) -> [Key: SpanRollup] {
        guard resolution == .hour else { return rollups }
        var hours: [Key: SpanRollup] = [:]
        for (key, rollup) in rollups {
            var hour = key
            hour.minute -= key.minute % 3600
            hours[hour, default: SpanRollup()].merge(rollup)
        }
        return hours
    }

    /// One merge operand per key, at both resolutions.
    func emit(into entries: inout [PreparedWrite.Entry]) {
        for resolution in [RollupResolution.minute, .hour] {
            for (key, rollup) in slots(resolution) {
                entries.append(
                    .init(
                        bucket: key.bucket,
                        key: Keys.rollup(
                            tenant: names.name(key.tenant), resolution: resolution, service: names.name(key.service), slot: key.minute,
                            kind: key.kind, operation: names.name(key.operation)),
                        value: rollup.encoded(), isMerge: true))
            }
        }
    }

    /// The rollups of one service at `resolution` whose slots start in `[firstSlot, endSlot)` (seconds): (slot start,
    /// kind, operation, rollup), one per key and bucket. Names are matched and returned as the store's keys hold them
    /// (cut at `Keys.maxIndexedStringBytes`), so a long name reads the same before and after a flush.
    func slots(tenant: String, service: String, resolution: RollupResolution, firstSlot: UInt64, endSlot: UInt64)
        -> [(slot: UInt64, kind: SpanKind, operation: String, rollup: SpanRollup)]
    {
        let tenantForm = ExactString(Keys.storedTenant(tenant))
        let serviceForm = ExactString(Keys.stored(service))
        // A name or two each: searched in place, no hashing.
        let tenants = names.all.indices.filter { ExactString(Keys.storedTenant(names.all[$0])) == tenantForm }.map { UInt32($0) }
        let services = names.all.indices.filter { ExactString(Keys.stored(names.all[$0])) == serviceForm }.map { UInt32($0) }
        guard !tenants.isEmpty, !services.isEmpty, firstSlot < endSlot else { return [] }
        var storedNames = [String?](repeating: nil, count: names.all.count)
        func operation(_ id: UInt32) -> String {
            if let known = storedNames[Int(id)] { return known }
            let name = Keys.stored(names.name(id))
            storedNames[Int(id)] = name
            return name
        }
        let width = resolution.seconds
        var result: [(slot: UInt64, kind: SpanKind, operation: String, rollup: SpanRollup)] = []
        var hours: [Key: SpanRollup] = [:]
        for (key, rollup) in rollups {
            let slot = key.minute - key.minute % width  // a minute counts in the slot starting at or before it
            guard slot >= firstSlot, slot < endSlot, services.contains(key.service), tenants.contains(key.tenant) else { continue }
            if resolution == .hour {
                var hour = key
                hour.minute = slot
                hours[hour, default: SpanRollup()].merge(rollup)
            } else {
                result.append((slot, key.kind, operation(key.operation), rollup))
            }
        }
        for (key, rollup) in hours { result.append((key.minute, key.kind, operation(key.operation), rollup)) }
        return result
    }
}
