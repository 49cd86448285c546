import SpoorModel

/// Index postings grouped by bucket and index key prefix (the key without its list suffix).
///
/// One `prepare` call fills a set of groups and encodes them as a journal value; the writer stores that value with the
/// spans and adds it to the store's pending index, and a flush turns the pending groups into posting lists. Gathering
/// postings over many requests before writing them is what keeps the index at a fraction of an entry per span: a tag
/// value seen in a thousand requests becomes one list, not a thousand.
struct PostingGroups: Sendable {
    struct Key: Hashable, Sendable {
        var bucket: BucketRef
        var prefix: [UInt8]

        func hash(into hasher: inout Hasher) {
            hasher.combine(bucket.start)
            prefix.withUnsafeBytes { hasher.combine(bytes: $0) }  // one call, not one per byte
        }
    }

    /// The postings of one group, unsorted and possibly repeated; `withDurations` for the duration index.
    struct Group: Sendable {
        var postings: [Posting]
        var withDurations: Bool
    }

    private(set) var groups: [Key: Group] = [:]
    /// Postings held (repeats included).
    private(set) var postingCount = 0
    /// Memory held by the groups, for the write queue's bound and the memory gauge.
    private(set) var memoryBytes = 0
    private var scratch: [UInt8] = []

    /// Bookkeeping per group beyond its prefix bytes: the dictionary slot, the key and the postings array header.
    static let groupOverheadBytes = 128

    var isEmpty: Bool { groups.isEmpty }

    /// Adds one posting under the prefix that `build` appends to an empty buffer. The buffer is reused: a prefix is
    /// copied only for a new group.
    mutating func add(_ posting: Posting, bucket: BucketRef, withDurations: Bool = false, prefix build: (inout [UInt8]) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        build(&scratch)
        postingCount += 1
        memoryBytes += MemoryLayout<Posting>.stride
        let probe = Key(bucket: bucket, prefix: scratch)
        if groups[probe]?.postings.append(posting) != nil { return }
        groups[Key(bucket: bucket, prefix: scratch.withUnsafeBufferPointer { Array($0) })] =
            Group(postings: [posting], withDurations: withDurations)
        memoryBytes += scratch.count + Self.groupOverheadBytes
    }

    /// Adds a span's postings: its service, operation, duration and every tag (span, process and log fields). A tag
    /// repeated on one span (or between span, process and logs) gives equal postings, removed when lists are sorted.
    mutating func addPostings(of span: Span, tenant: String, bucket: BucketRef) {
        let service = span.process.serviceName
        let start = span.startTimeUnixNanos
        let posting = Posting(start: start, traceID: span.traceID)
        let operation = span.operationName
        add(posting, bucket: bucket) { Keys.appendServicePrefix(tenant: tenant, service: service, to: &$0) }
        add(posting, bucket: bucket) { Keys.appendOperationPrefix(tenant: tenant, service: service, operation: operation, to: &$0) }
        let durationClass = DurationClass.of(span.durationNanos)
        add(Posting(start: start, traceID: span.traceID, durationNanos: span.durationNanos), bucket: bucket, withDurations: true) {
            Keys.appendDurationPrefix(tenant: tenant, service: service, to: &$0)
            $0.append(durationClass)
        }
        func indexTag(_ attribute: Attribute) {
            let value = attribute.value.searchString
            add(posting, bucket: bucket) {
                Keys.appendTagPrefix(tenant: tenant, service: service, key: attribute.key, value: value, to: &$0)
            }
        }
        span.tags.forEach(indexTag)
        span.process.tags.forEach(indexTag)
        for log in span.logs { log.fields.forEach(indexTag) }
    }

    /// Adds every group of `other` (one lookup per group, not per posting).
    mutating func merge(_ other: PostingGroups) {
        if groups.isEmpty {
            self = other
            return
        }
        for (key, group) in other.groups {
            if groups[key]?.postings.append(contentsOf: group.postings) == nil {
                groups[key] = group
                memoryBytes += key.prefix.count + Self.groupOverheadBytes
            }
            memoryBytes += group.postings.count * MemoryLayout<Posting>.stride
        }
        postingCount += other.postingCount
    }

    /// The postings of one group (a copy, for a scan), or nil.
    func postings(bucket: UInt64, width: UInt64, prefix: [UInt8]) -> [Posting]? {
        groups[Key(bucket: BucketRef(start: bucket, width: width), prefix: prefix)]?.postings
    }

    /// Drops the groups of buckets that ended at or before `cutoff` (nanoseconds): retention dropped them.
    mutating func removeBuckets(endingBy cutoff: UInt64) {
        let gone = groups.keys.filter { $0.bucket.endNanos <= cutoff }
        for key in gone {
            guard let group = groups.removeValue(forKey: key) else { continue }
            postingCount -= group.postings.count
            memoryBytes -= group.postings.count * MemoryLayout<Posting>.stride + key.prefix.count + Self.groupOverheadBytes
        }
    }

    // MARK: - Posting lists

    /// Traces per trace-table page: a reader decodes one page (16 KiB of ids, one RocksDB block) to resolve a posting.
    static let tracesPerPage = 1024

    /// Appends the posting lists of every group and, per tenant and bucket, the pages of the trace table they number
    /// their traces in. Lists are cut by time slot (every start within `postingSlotNanos` below the list's
    /// `maxStart`) and by `PostingList.maxEntries`; each is keyed `prefix maxStart hash`.
    func emit(into entries: inout [PreparedWrite.Entry]) {
        struct TableKey: Hashable {
            var tenant: ArraySlice<UInt8>
            var bucket: BucketRef
        }
        struct Table {
            /// Each trace's earliest posting start: tables number traces in time order.
            var traces: [TraceID: UInt64] = [:]
            var numbers: [TraceID: UInt32] = [:]
            var hash: UInt64 = 0
        }
        var tables: [TableKey: Table] = [:]
        func tableKey(_ key: Key) -> TableKey? {
            guard let length = key.prefix.first, key.prefix.count > Int(length) else { return nil }
            return TableKey(tenant: key.prefix[...Int(length)], bucket: key.bucket)
        }
        for (key, group) in groups {
            guard let tableKey = tableKey(key) else { continue }
            var table = tables.removeValue(forKey: tableKey) ?? Table()  // removed so it is mutated in place
            for posting in group.postings {
                if let known = table.traces[posting.traceID], known <= posting.start { continue }
                table.traces[posting.traceID] = posting.start
            }
            tables[tableKey] = table
        }
        for (tableKey, var table) in tables {
            // In time order (then by id), so the same postings always give the same table and keys, and a list's
            // entries, sorted by time, have near numbers: small deltas, and few pages to read.
            let ids = table.traces.sorted { a, b in a.value != b.value ? a.value < b.value : (a.key.high, a.key.low) < (b.key.high, b.key.low) }
                .map(\.key)
            table.numbers.reserveCapacity(ids.count)
            for (number, id) in ids.enumerated() { table.numbers[id] = UInt32(number) }
            var whole: [UInt8] = []
            whole.reserveCapacity(ids.count * 16)
            for id in ids { Keys.appendTraceID(id, to: &whole) }
            table.hash = PostingList.hash(whole)
            var page = 0
            while page * Self.tracesPerPage < ids.count {
                let slice = ids[(page * Self.tracesPerPage)..<min(ids.count, (page + 1) * Self.tracesPerPage)]
                entries.append(
                    .init(
                        bucket: tableKey.bucket,
                        key: Keys.traceTablePage(tenant: tableKey.tenant, hash: table.hash, page: UInt32(page)),
                        value: TraceTable.encode(Array(slice))))
                page += 1
            }
            table.traces = [:]
            tables[tableKey] = table
        }
        for (key, group) in groups {
            guard let tableKey = tableKey(key), let table = tables[tableKey] else { continue }
            var postings = group.postings
            if postings.count > 1 {
                postings.sort(by: Posting.newerFirst)
                var kept = 1
                for i in 1..<postings.count where postings[i] != postings[kept - 1] {
                    postings[kept] = postings[i]
                    kept += 1
                }
                postings.removeLast(postings.count - kept)
            }
            var first = 0
            while first < postings.count {
                let maxStart = postings[first].start
                var end = first + 1
                let limit = min(postings.count, first + PostingList.maxEntries)
                while end < limit, maxStart - postings[end].start < Keys.postingSlotNanos { end += 1 }
                var value: [UInt8] = []
                PostingList.encode(
                    postings[first..<end], withDurations: group.withDurations, table: table.hash, paged: true,
                    number: { table.numbers[$0] ?? 0 }, into: &value)
                var listKey = key.prefix
                Keys.appendUInt64(maxStart, to: &listKey)
                Keys.appendUInt64(PostingList.hash(value), to: &listKey)
                entries.append(.init(bucket: key.bucket, key: listKey, value: value))
                first = end
            }
        }
    }

    // MARK: - Version 1 journal values

    /// The version of journal values that hold postings (`IndexJournal` version 1, written by the previous release).
    static let journalVersion: UInt8 = 1

    /// Version 1 journal values, as the previous release wrote them:
    /// ```
    /// value := [version:u8 = 1] [groups:varint] groups × group
    /// group := [bucketStart:varint] [bucketWidth:varint] [withDurations:u8] [prefix length:varint] [prefix]
    ///          [count:varint] count × ([start:u64 BE] [trace id:16] [duration:varint])
    /// ```
    /// Adds the groups of a journal value, one lookup per group. Nothing is added when the value is corrupt: a first
    /// pass only checks the value, the second adds it, reusing buffers so a known group costs no allocation.
    mutating func absorbJournal(_ value: UnsafeRawBufferPointer) throws(StorageError) {
        var buffer: [Posting] = []
        try Self.walkJournal(value, postings: &buffer) { _, _, _, _ in }
        var probe = scratch
        try Self.walkJournal(value, postings: &buffer) { bucket, withDurations, prefix, postings in
            probe.removeAll(keepingCapacity: true)
            probe.append(contentsOf: prefix)
            let key = Key(bucket: bucket, prefix: probe)
            if groups[key]?.postings.append(contentsOf: postings) == nil {
                // A fresh array of exactly this size: `Array(postings)` could share the reused buffer's storage (and
                // its capacity) when the slice spans all of it.
                var own: [Posting] = []
                own.reserveCapacity(postings.count)
                own.append(contentsOf: postings)
                groups[Key(bucket: bucket, prefix: Array(prefix))] = Group(postings: own, withDurations: withDurations)
                memoryBytes += prefix.count + Self.groupOverheadBytes
            }
            memoryBytes += postings.count * MemoryLayout<Posting>.stride
            postingCount += postings.count
        }
        scratch = probe
    }

    /// Decodes a journal value group by group; `group` gets each group's bucket, kind, prefix and postings (in the
    /// reused `postings` buffer). Throws on the first malformed byte, before visiting that group.
    private static func walkJournal(
        _ value: UnsafeRawBufferPointer, postings buffer: inout [Posting],
        group visit: (BucketRef, Bool, UnsafeRawBufferPointer, ArraySlice<Posting>) -> Void
    ) throws(StorageError) {
        var reader = ValueReader(value)
        guard try reader.byte() == Self.journalVersion else { throw .corrupt("index journal version") }
        let count = try reader.count()
        for _ in 0..<count {
            let start = try reader.varint()
            let width = try reader.varint()
            let flag = try reader.byte()
            guard flag <= 1, width > 0 else { throw .corrupt("index journal group") }
            let prefix = try reader.rawBytes()
            guard !prefix.isEmpty, prefix.count <= 4096 else { throw .corrupt("index journal prefix") }
            let postings = try reader.varint()
            guard postings > 0, postings <= UInt64(reader.remaining / 25) else { throw .corrupt("index journal count exceeds value") }
            buffer.removeAll(keepingCapacity: true)
            for _ in 0..<postings {
                let startNanos = try reader.bigEndian64()
                let high = try reader.bigEndian64()
                let low = try reader.bigEndian64()
                let duration = try reader.varint()
                buffer.append(Posting(start: startNanos, traceID: TraceID(high: high, low: low), durationNanos: duration))
            }
            visit(BucketRef(start: start, width: width), flag == 1, prefix, buffer[...])
        }
        guard reader.remaining == 0 else { throw .corrupt("index journal trailing bytes") }
    }
}
