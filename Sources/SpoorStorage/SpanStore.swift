import Logging
import SpoorModel
import Synchronization

/// Settings of the span store.
package struct StoreConfiguration: Sendable {
    /// Data older than this (by span start) is dropped whole, bucket by bucket.
    package var retentionNanos: UInt64 = 72 * 3600 * 1_000_000_000
    /// fsync every acknowledged write (survives power loss, not just a process crash).
    package var syncWrites = false
    /// RocksDB tuning.
    package var tuning = StorageTuning()
    /// Spans per generation of the dependency tracker (it remembers up to twice this many recent spans).
    package var dependencyTrackerGeneration = 500_000
    /// Pending index postings that trigger a flush to posting lists (12 bytes of memory each, plus 32 per span).
    /// Larger flushes write fewer, longer lists: 4M postings (about 300k spans) took 14% less CPU per span than 1M.
    package var indexFlushPostings = 4_000_000
    /// Pending index memory that triggers a flush (groups of unique tag values cost more than their postings). The
    /// pending index holds at most twice this: what a running flush writes, and what came since. 96 MiB, not 128:
    /// with Thrift requests of ~500 spans at ~110k spans/s the peak RSS fell from 496–512 to 422–424 MiB (with the
    /// 96 MiB memtable budget), for about 0.4 µs more CPU per span (benchmarks/README.md).
    package var indexFlushBytes = 96 << 20
    /// Age of the last index flush that triggers the next one after a write.
    package var indexFlushNanos: UInt64 = 30_000_000_000
    /// Wait after a failed index flush before the next attempt.
    package var indexFlushRetryNanos: UInt64 = 5_000_000_000
    /// Tests only: an error every index flush fails with, before it writes anything (nil: none).
    package var indexFlushFault: (@Sendable () -> StorageError?)? = nil

    /// Defaults (72h retention, Jaeger's).
    package init() {}

    /// Width of a time bucket: a twelfth of the retention, whole seconds, at least one second.
    package var bucketWidthSeconds: UInt64 { max(1, retentionNanos / 12 / 1_000_000_000) }
}

/// One time bucket: a column family holding the spans that start in `[start, end)` and their index entries.
package struct Bucket: Sendable {
    package let startSeconds: UInt64
    package let widthSeconds: UInt64
    package let family: ColumnFamily
    /// True for a bucket written before posting lists existed: its index scans also read per-span index entries.
    package let mayHoldLegacyIndex: Bool

    package var startNanos: UInt64 { startSeconds &* 1_000_000_000 }
    package var endNanos: UInt64 { (startSeconds &+ widthSeconds) &* 1_000_000_000 }
    var ref: BucketRef { BucketRef(start: startSeconds, width: widthSeconds) }

    static func name(start: UInt64, width: UInt64) -> String { "spans-\(start)-\(width)" }

    static func parse(_ name: String) -> (start: UInt64, width: UInt64)? {
        let parts = name.split(separator: "-")
        guard parts.count == 3, parts[0] == "spans", let start = UInt64(parts[1]), let width = UInt64(parts[2]), width > 0
        else { return nil }
        return (start, width)
    }
}

/// Index scans the query layer combines.
package enum IndexScan: Sendable, Hashable {
    /// Spans of a service.
    case service(String)
    /// Spans of a service with this operation name.
    case operation(service: String, operation: String)
    /// Spans of a service carrying `key` = `value` (span tag, process tag or log field, in string form).
    case tag(service: String, key: String, value: String)
    /// Spans of a service whose duration is in `[min, max]`.
    case duration(service: String, minNanos: UInt64, maxNanos: UInt64)
}

/// A span store on RocksDB: time-bucketed column families, indexes, per-trace summaries and an in-memory catalog of
/// services and operations.
package final class SpanStore: Sendable {
    package let database: RocksDatabase
    package let configuration: StoreConfiguration
    let catalogFamily: ColumnFamily
    /// Archived traces (never expire).
    let archiveFamily: ColumnFamily
    let state: Mutex<StoreState>
    /// Parent→child service pairs seen while writing; used by the writer thread only.
    let tracker: Mutex<DependencyTracker>
    /// Index postings written (and journaled) but not yet flushed as posting lists; scans read them too.
    let pending: Mutex<PendingIndex>
    /// Held for the whole of an index flush: flushes run one at a time, beside writes.
    let flushSerial = Mutex(())
    /// The names each bucket's chunks share.
    let chunkNames = ChunkNames()
    let logger: Logger

    /// Opens (or creates) the store in `path` and loads the catalog.
    package init(path: String, configuration: StoreConfiguration = StoreConfiguration(), logger: Logger) throws(StorageError) {
        self.configuration = configuration
        self.logger = logger
        do {
            database = try RocksDatabase(
                path: path, tuning: configuration.tuning, mergeOperator: MergeOperatorSpec(kind: .traceSummary))
            catalogFamily = try database.columnFamilyCreatingIfNeeded("catalog")
            archiveFamily = try database.columnFamilyCreatingIfNeeded("archive")
        } catch {
            throw .rocks(error)
        }
        var state = StoreState()
        var postingBuckets = Set<UInt64>()
        do {
            try database.scan(catalogFamily, lower: [], upper: [UInt8](repeating: 0xFF, count: 300)) { key, _ in
                if let entry = Keys.parseCatalog(key) {
                    state.catalog.insert(
                        tenant: entry.tenant, service: entry.service,
                        operation: OperationKey(name: entry.operation, kind: entry.kind), bucket: entry.bucketStart)
                } else if let start = Keys.parsePostingsBucketMarker(key) {
                    postingBuckets.insert(start)
                }
                return true
            }
        } catch {
            throw .corrupt("catalog: \(error)")
        }
        for name in database.columnFamilyNames {
            guard let (start, width) = Bucket.parse(name), let family = database.columnFamily(name) else { continue }
            state.buckets.append(
                Bucket(startSeconds: start, widthSeconds: width, family: family, mayHoldLegacyIndex: !postingBuckets.contains(start)))
        }
        state.buckets.sort { $0.startSeconds < $1.startSeconds }
        for bucket in state.buckets { chunkNames.load(bucket: bucket.ref, try Self.readChunkNames(database, bucket.family)) }
        self.state = Mutex(state)
        self.tracker = Mutex(DependencyTracker(generationSize: configuration.dependencyTrackerGeneration))
        self.pending = Mutex(
            try Self.replayJournal(database, catalogFamily, buckets: state.buckets, names: chunkNames, logger: logger))
    }

    /// Rebuilds the pending index from the journal entries the last run did not flush: the postings of the chunks
    /// each entry names (versions 2 and 3; version 3 also their trace summaries), or the postings it holds (version 1).
    /// A chunk whose bucket retention dropped is skipped.
    private static func replayJournal(
        _ database: RocksDatabase, _ family: ColumnFamily, buckets: [Bucket], names: ChunkNames, logger: Logger
    ) throws(StorageError) -> PendingIndex {
        var pending = PendingIndex()
        var corrupt = 0
        let families = Dictionary(buckets.map { ($0.startSeconds, $0.family) }, uniquingKeysWith: { first, _ in first })
        var spans: [Span] = []
        /// Replays one journal value; throws RocksDB errors, and returns false when (part of) it was unreadable.
        func replay(_ value: UnsafeRawBufferPointer) throws(RocksError) -> Bool {
            guard IndexJournal.holdsChunkReferences(value.first) else {
                do {
                    try pending.groups.absorbJournal(value)
                    return true
                } catch {
                    return false
                }
            }
            guard let references = try? IndexJournal.decode(value) else { return false }
            let summariesPending = value.first == IndexJournal.pendingSummariesVersion
            var readable = true
            for reference in references {
                guard let bucketFamily = families[reference.bucket.start] else { continue }  // dropped by retention
                guard let (tenant, traceID, chunkStart) = reference.key.withUnsafeBytes({ Keys.parseSpanChunk($0) }) else {
                    readable = false
                    continue
                }
                guard let chunk = try database.get(bucketFamily, key: reference.key) else { continue }
                spans.removeAll(keepingCapacity: true)
                do {
                    let shared = names.names(bucket: reference.bucket.start)
                    try chunk.withUnsafeBytes {
                        try SpanChunkCodec.decode($0, traceID: traceID, chunkStart: chunkStart, names: shared, into: &spans)
                    }
                } catch {
                    readable = false  // one bad chunk: the entry's other chunks are still replayed
                    continue
                }
                for span in spans {
                    pending.groups.addPostings(of: span, tenant: tenant, bucket: reference.bucket)
                    pending.rollups.add(span: span, tenant: tenant, bucket: reference.bucket)
                }
                if summariesPending, !spans.isEmpty {
                    var summary = TraceSummary()
                    for span in spans { summary.add(span) }
                    pending.summaries.add(summary, tenant: tenant, bucket: reference.bucket, traceID: traceID)
                }
            }
            return readable
        }
        do {
            let prefix = Keys.storeKeyPrefix(Keys.indexJournalTag)
            try database.scan(family, lower: prefix, upper: Keys.upperBound(of: prefix)) { key, value in
                guard let sequence = Keys.parseIndexJournal(key) else { return true }
                pending.journal.append(sequence)  // deleted by the next flush, even when unreadable
                guard sequence < PendingIndex.maxSequence else {  // corrupt: never continue numbering from it
                    corrupt += 1
                    return true
                }
                pending.nextSequence = max(pending.nextSequence, sequence + 1)
                if try !replay(value) { corrupt += 1 }
                return true
            }
        } catch let error as RocksError {
            throw .rocks(error)
        } catch {
            throw .corrupt("index journal: \(error)")
        }
        if corrupt > 0 { logger.error("Unreadable index journal entries skipped", metadata: ["entries": "\(corrupt)"]) }
        if !pending.journal.isEmpty {
            logger.info(
                "Index journal replayed", metadata: ["entries": "\(pending.journal.count)", "postings": "\(pending.groups.postingCount)"])
        }
        return pending
    }

    /// Flushes the pending index (at the time of the last write, so retention judges it as that write did), then
    /// closes RocksDB.
    package func close() {
        do {
            try flushIndex(now: pending.withLock { $0.lastWriteNanos })
        } catch {
            logger.error("Index flush at close failed; the journal keeps the postings", metadata: ["error": "\(error)"])
        }
        database.close()
    }

    /// Memory held by index postings not yet flushed.
    package var pendingIndexBytes: Int { pending.withLock { $0.memoryBytes } }

    // MARK: - Buckets

    func bucketStart(forSpanStart start: UInt64, in state: StoreState) -> (start: UInt64, width: UInt64) {
        let seconds = start / 1_000_000_000
        if let existing = state.buckets.last(where: { $0.startSeconds <= seconds && seconds < $0.startSeconds &+ $0.widthSeconds }) {
            return (existing.startSeconds, existing.widthSeconds)
        }
        let width = configuration.bucketWidthSeconds
        return (seconds - seconds % width, width)
    }

    /// Buckets overlapping `[min, max]` (nanoseconds), newest first.
    package func buckets(overlapping min: UInt64, _ max: UInt64) -> [Bucket] {
        state.withLock { $0.buckets }.filter { $0.startNanos <= max && $0.endNanos > min }.reversed()
    }

    /// Every bucket, newest first.
    package var allBuckets: [Bucket] { state.withLock { $0.buckets }.reversed() }

    // MARK: - Retention

    /// Drops every bucket that ended before `now − retention`, and the catalog entries that only lived there.
    /// - Returns: the number of buckets dropped.
    @discardableResult
    package func applyRetention(now: UInt64) throws(StorageError) -> Int {
        database.releaseDroppedFamilies()  // those the last pass dropped, once their readers are done
        let cutoff = now > configuration.retentionNanos ? now - configuration.retentionNanos : 0
        let expired = state.withLock { state -> [Bucket] in
            let expired = state.buckets.filter { $0.endNanos <= cutoff }
            state.buckets.removeAll { $0.endNanos <= cutoff }
            // Writes and index flushes judge expiry by their own clock; this keeps them from recreating a bucket
            // dropped here.
            state.retentionCutoffNanos = max(state.retentionCutoffNanos, cutoff)
            return expired
        }
        guard !expired.isEmpty else { return 0 }
        pending.withLock { pending in
            pending.groups.removeBuckets(endingBy: cutoff)
            pending.rollups.removeBuckets(endingBy: cutoff)
            pending.summaries.removeBuckets(endingBy: cutoff)
            // The running flush writes its own copy (skipping dropped buckets); readers stop seeing those buckets.
            pending.flushing?.groups.removeBuckets(endingBy: cutoff)
            pending.flushing?.rollups.removeBuckets(endingBy: cutoff)
            pending.flushing?.summaries.removeBuckets(endingBy: cutoff)
        }
        chunkNames.dropBuckets(endingBy: cutoff)
        let expiredStarts = Set(expired.map(\.startSeconds))
        let removed = state.withLock { $0.catalog.removeBuckets(expiredStarts) }
        do {
            let batch = try WriteBatch()
            for bucket in expired { batch.delete(catalogFamily, key: Keys.postingsBucketMarker(bucketStart: bucket.startSeconds)) }
            for (tenant, service, operation, bucket) in removed {
                batch.delete(
                    catalogFamily,
                    key: Keys.catalog(tenant: tenant, service: service, operation: operation.name, kind: operation.kind, bucketStart: bucket))
            }
            try database.write(batch, sync: false)
            for bucket in expired {
                try database.dropColumnFamily(bucket.family.name)
                logger.info("Dropped expired bucket", metadata: ["bucket": "\(bucket.family.name)"])
            }
        } catch {
            throw .rocks(error)
        }
        return expired.count
    }

    // MARK: - Reading

    /// Every span of a trace in every live bucket, by start time and span id.
    package func trace(tenant: String, traceID: TraceID) throws(StorageError) -> [Span] {
        var spans: [Span] = []
        for bucket in state.withLock({ $0.buckets }) {
            try readSpans(bucket.family, bucket: bucket.startSeconds, tenant: tenant, traceID: traceID, into: &spans)
        }
        return Self.inStartOrder(spans)
    }

    /// Spans by start time, then span id (chunks hold a request's spans in arrival order), without exact copies: a
    /// span sent twice in one request lands in one chunk twice (a one-span record overwrote itself).
    static func inStartOrder(_ spans: [Span]) -> [Span] {
        let sorted = spans.sorted { a, b in
            a.startTimeUnixNanos != b.startTimeUnixNanos ? a.startTimeUnixNanos < b.startTimeUnixNanos : a.spanID.value < b.spanID.value
        }
        var result: [Span] = []
        result.reserveCapacity(sorted.count)
        var runStart = 0  // first span in `result` with the current (start, span id)
        for span in sorted {
            if let last = result.last, last.startTimeUnixNanos != span.startTimeUnixNanos || last.spanID != span.spanID {
                runStart = result.count
            }
            if !result[runStart...].contains(span) { result.append(span) }
        }
        return result
    }

    /// Reads the span records (one-span records and chunks) of a trace from one family (of `bucket`, nil for the
    /// archive, whose chunks are self-contained).
    func readSpans(
        _ family: ColumnFamily, bucket: UInt64?, tenant: String, traceID: TraceID, into spans: inout [Span]
    ) throws(StorageError) {
        let prefix = Keys.spanPrefix(tenant: tenant, traceID: traceID)
        let upper = Keys.upperBound(of: prefix)
        let offset = prefix.count
        var names: SharedNames? = nil
        do {
            try database.scan(family, lower: prefix, upper: upper) { key, value in
                guard let start = Keys.readUInt64(key, at: offset) else { throw StorageError.corrupt("span key") }
                let suffix = key.count - offset
                switch (value.first, suffix) {
                case (SpanChunkCodec.version, _) where Keys.isChunkSuffix(suffix):
                    try SpanChunkCodec.decode(value, traceID: traceID, chunkStart: start, into: &spans)
                case (SpanChunkCodec.sharedNamesVersion, _) where Keys.isChunkSuffix(suffix):
                    try decodeSharedChunk(value, family: family, bucket: bucket, names: &names, traceID: traceID, chunkStart: start, into: &spans)
                case (StoredSpanCodec.version, 20):
                    guard let spanID = Keys.readUInt64(key, at: offset + 8) else { throw StorageError.corrupt("span key") }
                    spans.append(
                        try StoredSpanCodec.decode(value, traceID: traceID, spanID: SpanID(spanID), startTimeUnixNanos: start))
                default:
                    throw StorageError.corrupt("span record version")
                }
                return true
            }
        } catch {
            throw StorageError.wrapping(error)
        }
    }

    /// The merged summary of a trace across buckets (stored and pending), or nil when no bucket knows it.
    package func summary(tenant: String, traceID: TraceID) throws(StorageError) -> TraceSummary? {
        let key = Keys.summary(tenant: tenant, traceID: traceID)
        let buckets = state.withLock { $0.buckets }
        // Read before the store: a flush that writes them in between leaves them in both, and merging a summary
        // twice keeps its time bounds (see `PendingSummaries`).
        var total = pending.withLock { pending in
            pending.summary(
                tenant: tenant, traceID: traceID, buckets: buckets.map { BucketRef(start: $0.startSeconds, width: $0.widthSeconds) })
        }
        for bucket in buckets {
            let value: [UInt8]?
            do {
                value = try database.get(bucket.family, key: key)
            } catch {
                throw .rocks(error)
            }
            guard let value else { continue }
            let summary = value.withUnsafeBytes { TraceSummary($0) }
            if let summary {
                if total == nil { total = summary } else { total?.merge(summary) }
            }
        }
        return total
    }

    /// Services of a tenant with data in a live bucket, sorted.
    package func services(tenant: String) -> [String] {
        state.withLock { $0.catalog.services(tenant: tenant) }
    }

    /// Operations of a service (name and kind), sorted by name then kind.
    package func operations(tenant: String, service: String) -> [OperationKey] {
        state.withLock { $0.catalog.operations(tenant: tenant, service: service) }
    }
}

/// An operation name with its span kind. Names compare by their UTF-8 bytes (`ExactString`), as the store's keys do.
package struct OperationKey: Hashable, Sendable {
    package var name: String
    package var kind: SpanKind

    /// Creates a key.
    package init(name: String, kind: SpanKind) {
        self.name = name
        self.kind = kind
    }

    package static func == (a: OperationKey, b: OperationKey) -> Bool {
        a.kind == b.kind && ExactString(a.name) == ExactString(b.name)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        ExactString(name).hash(into: &hasher)
    }
}

struct BucketRef: Hashable, Sendable {
    var start: UInt64
    var width: UInt64

    /// The end of the bucket's time range (exclusive), in nanoseconds.
    var endNanos: UInt64 { (start &+ width) &* 1_000_000_000 }

    /// The bucket and a minute of it packed into one word, for the `hash(into:)` of keys that hold both (a hash only:
    /// different pairs may share a word).
    @inline(__always)
    func hashWord(minute: UInt64) -> UInt64 { minute ^ start ^ width << 48 }
}

/// A trace in a bucket: the spans of one request grouped into one chunk record and one pending summary.
struct ChunkKey: Hashable {
    var traceID: TraceID
    var bucket: BucketRef
}

/// Tenants and services compare by their UTF-8 bytes: canonically equivalent spellings are different tenants, and
/// one's counts must not be written under the other's key.
struct DependencyKey: Hashable {
    var tenant: ExactString
    var bucket: BucketRef
    var resolution: RollupResolution
    var slot: UInt64
    var parent: ExactString
    var child: ExactString
}

/// Services compare by their UTF-8 bytes, as operations do (`OperationKey`).
struct CatalogEntry: Hashable, Sendable {
    var service: ExactString
    var operation: OperationKey
    var bucket: UInt64
}

struct StoreState {
    var buckets: [Bucket] = []
    /// The latest retention cutoff applied (nanoseconds): buckets ending by it are gone and never recreated.
    var retentionCutoffNanos: UInt64 = 0
    var catalog = Catalog()
}

/// Services and operations per tenant, with the buckets each was seen in. Tenants and services are told apart by their
/// UTF-8 bytes (`ExactString`), as the store's keys are: two canonically equivalent spellings of a tenant are two
/// tenants, and neither lists the other's services.
struct Catalog {
    private var tenants: [ExactString: [ExactString: [OperationKey: Set<UInt64>]]] = [:]

    mutating func insert(tenant: String, service: String, operation: OperationKey, bucket: UInt64) {
        tenants[ExactString(tenant), default: [:]][ExactString(service), default: [:]][operation, default: []].insert(bucket)
    }

    func contains(tenant: String, _ entry: CatalogEntry) -> Bool {
        tenants[ExactString(tenant)]?[entry.service]?[entry.operation]?.contains(entry.bucket) ?? false
    }

    /// Removes the buckets; returns the (tenant, service, operation, bucket) entries removed.
    mutating func removeBuckets(_ buckets: Set<UInt64>) -> [(String, String, OperationKey, UInt64)] {
        var removed: [(String, String, OperationKey, UInt64)] = []
        for (tenant, services) in tenants {
            var newServices = services
            for (service, operations) in services {
                var newOperations = operations
                for (operation, set) in operations {
                    let gone = set.intersection(buckets)
                    guard !gone.isEmpty else { continue }
                    for bucket in gone { removed.append((tenant.value, service.value, operation, bucket)) }
                    let left = set.subtracting(buckets)
                    newOperations[operation] = left.isEmpty ? nil : left
                }
                newServices[service] = newOperations.isEmpty ? nil : newOperations
            }
            tenants[tenant] = newServices.isEmpty ? nil : newServices
        }
        return removed
    }

    func services(tenant: String) -> [String] {
        (tenants[ExactString(tenant)]?.keys).map { $0.sorted().map(\.value) } ?? []
    }

    func operations(tenant: String, service: String) -> [OperationKey] {
        (tenants[ExactString(tenant)]?[ExactString(service)]?.keys).map {
            $0.sorted {
                let order = $0.name.compareUTF8($1.name)
                return order != 0 ? order < 0 : $0.kind.rawValue < $1.kind.rawValue
            }
        } ?? []
    }
}

/// Size of a store, for `spoor inspect` and benchmarks.
package struct StoreStatistics: Sendable {
    /// Time buckets.
    package var buckets = 0
    /// Span records (all tenants).
    package var spans = 0
    /// Live SST bytes across column families.
    package var sstBytes = 0
    /// Uncompressed key and value bytes and entry counts per key type byte (bucket families only).
    package var byType: [UInt8: (entries: Int, keyBytes: Int, valueBytes: Int)] = [:]
}

extension SpanStore {
    /// Counts span records by scanning the span keys of every bucket, and sums SST sizes. Test and tooling use only.
    package func statistics() throws -> StoreStatistics {
        var stats = StoreStatistics()
        for bucket in allBuckets {
            stats.buckets += 1
            try database.scan(bucket.family, lower: [], upper: [UInt8](repeating: 0xFF, count: 300)) { key, value in
                if let type = Keys.typeTag(key) {
                    if type == Keys.spanTag { stats.spans += SpanChunkCodec.spanCount(value) ?? 1 }
                    var totals = stats.byType[type] ?? (0, 0, 0)
                    totals.entries += 1
                    totals.keyBytes += key.count
                    totals.valueBytes += value.count
                    stats.byType[type] = totals
                }
                return true
            }
        }
        for name in database.columnFamilyNames {
            if let family = database.columnFamily(name), let size = database.property("rocksdb.live-sst-files-size", family: family) {
                stats.sstBytes += Int(size) ?? 0
            }
        }
        return stats
    }
}
