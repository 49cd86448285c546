import SpoorModel

extension SpanStore {
    /// Scans one index for spans starting in `[startMin, startMax]`, newest bucket first.
    ///
    /// Service, operation and tag scans visit entries newest first (exactly, across posting lists and legacy
    /// entries); duration scans visit them by duration class. `visit` gets the trace id and a start: the span's for
    /// pending postings and v2/v3 lists, the trace's first start in its slot for v4/v5 lists, which may lie before
    /// `startMin` (the trace is a candidate when its first and last start in the slot overlap the window: a superset,
    /// which the search verifies on the spans). It returns false to stop. A trace may be visited more than once.
    ///
    /// `visitsAll` tells that `visit` will rarely stop the scan (a search intersecting several scans): the pending index
    /// is then read whole at once instead of a page at a time.
    package func scan(
        tenant: String, index: IndexScan, startMin: UInt64, startMax: UInt64, visitsAll: Bool = false,
        visit: (TraceID, UInt64) -> Bool
    ) throws(StorageError) {
        guard startMin <= startMax else { return }
        let prefix: [UInt8]
        let legacyPrefix: [UInt8]
        switch index {
        case .service(let service):
            prefix = Keys.servicePrefix(tenant: tenant, service: service)
            legacyPrefix = Keys.servicePrefix(tenant: tenant, service: service, type: Keys.serviceIndexTag)
        case .operation(let service, let operation):
            prefix = Keys.operationPrefix(tenant: tenant, service: service, operation: operation)
            legacyPrefix = Keys.operationPrefix(tenant: tenant, service: service, operation: operation, type: Keys.operationIndexTag)
        case .tag(let service, let key, let value):
            prefix = Keys.tagPrefix(tenant: tenant, service: service, key: key, value: value)
            legacyPrefix = Keys.tagPrefix(tenant: tenant, service: service, key: key, value: value, type: Keys.tagIndexTag)
        case .duration(let service, let minNanos, let maxNanos):
            try scanDurations(
                tenant: tenant, service: service, minNanos: minNanos, maxNanos: maxNanos, startMin: startMin, startMax: startMax,
                visit: visit)
            return
        }
        do {
            for bucket in buckets(overlapping: startMin, startMax) {
                var windowMax = startMax
                var pendingLimit = visitsAll ? Self.maxPendingScanEntries : Self.pendingScanEntries
                while true {
                    let end = try scanNewestFirst(
                        bucket, tenant: tenant, prefix: prefix, legacyPrefix: bucket.mayHoldLegacyIndex ? legacyPrefix : nil,
                        startMin: startMin, startMax: windowMax, pendingLimit: pendingLimit, visit: visit)
                    guard case .resume(let at, let readWhole) = end else {
                        if case .stopped = end { return }
                        break
                    }
                    // The pending entries read were used up: read again from the last one, taking more this time.
                    windowMax = at
                    pendingLimit =
                        readWhole || pendingLimit >= Self.maxPendingScanEntries / 8 ? Self.maxPendingScanEntries : pendingLimit * 8
                }
            }
        } catch {
            throw StorageError.wrapping(error)
        }
    }

    /// Pending entries a scan reads at first (see `PendingIndex.newest`): enough for a search that stops after a page
    /// of traces; a scan that needs more reads again with eight times as many.
    static let pendingScanEntries = 256
    /// More than any pending group holds (the pending index is flushed at a few million postings): a whole read.
    static let maxPendingScanEntries = 1 << 30

    /// How `scanNewestFirst` ended.
    private enum BucketScanEnd {
        /// Every entry was visited.
        case finished
        /// `visit` returned false.
        case stopped
        /// The pending entries read were used up while the pending index held more: scan again with the window ending
        /// at this start (the entries there are visited again; a scan may visit a trace more than once). `readWhole`:
        /// the read walked every chain (its early stop did not apply, e.g. after a span dated in the future), so the
        /// next one reads the groups whole.
        case resume(at: UInt64, readWhole: Bool)
    }

    /// Merges a bucket's pending postings and posting lists (newest `maxStart` first) with its legacy per-span entries
    /// into one newest-first stream. A list's entries all lie within `postingSlotNanos` below its `maxStart`, so an
    /// entry can be emitted as soon as it is at least as new as the next unread list's `maxStart`.
    private func scanNewestFirst(
        _ bucket: Bucket, tenant: String, prefix: [UInt8], legacyPrefix: [UInt8]?, startMin: UInt64, startMax: UInt64,
        pendingLimit: Int, visit: (TraceID, UInt64) -> Bool
    ) throws -> BucketScanEnd {
        // Lists whose maxStart is in [slot of startMin, startMax + slot) can hold an entry of the window: a v3 list's
        // starts lie within a slot below its maxStart, and a v4 list's traces have their first and last start in the
        // slot of its maxFirst.
        let listsThrough = startMax > UInt64.max - Keys.postingSlotNanos ? UInt64.max : startMax + Keys.postingSlotNanos - 1
        let listRange = Keys.range(prefix, from: startMin - startMin % Keys.postingSlotNanos, through: listsThrough)
        // Pending postings are read before the iterators open: a flush writes its lists before clearing them, so
        // every posting is seen at least once.
        let unflushed = PendingPage.combine(
            pending.withLock {
                $0.newest(
                    bucket: bucket.startSeconds, width: bucket.widthSeconds, prefix: prefix, startMin: startMin, startMax: startMax,
                    limit: pendingLimit)
            })
        guard let lists = database.iterator(bucket.family, lower: listRange.lower, upper: listRange.upper, reverse: true)
        else { return .finished }
        var legacy: RocksIterator? = nil
        if let legacyPrefix {
            let range = Keys.range(legacyPrefix, from: startMin, through: startMax)
            legacy = database.iterator(bucket.family, lower: range.lower, upper: range.upper, reverse: true)
        }
        let offset = prefix.count
        let legacyOffset = legacyPrefix?.count ?? 0
        // Each list (and the pending postings) is a run already sorted newest first; a heap of run heads merges them.
        // v2 and v3 entries keep their trace numbers unresolved until visited; a v4 entry is looked up when it becomes
        // its run's head, for its trace's first start (the heap's order) and its times (the window check).
        var runs: [[Candidate]] = []
        // A head carries its v4 entry's trace once looked up (runs themselves are never written: no copies).
        var heads = BinaryHeap<(start: UInt64, run: Int, index: Int, traceID: TraceID?)> { $0.start > $1.start }
        var tables = TraceTables(database: database, family: bucket.family, tenant: tenant)
        func pushHead(_ run: Int, from first: Int) throws(StorageError) {
            var index = first
            while index < runs[run].count {
                let candidate = runs[run][index]
                if case .perTrace = candidate.format {
                    guard let found = try tables.resolveTimed(table: candidate.table, number: candidate.number),
                        found.last >= startMin, found.first <= startMax
                    else {
                        index += 1
                        continue
                    }
                    heads.push((found.first, run, index, found.id))
                } else {
                    heads.push((candidate.start, run, index, candidate.traceID))
                }
                return
            }
            runs[run] = []  // consumed: free it
        }
        func addRun(_ run: [Candidate]) throws(StorageError) {
            guard !run.isEmpty else { return }
            runs.append(run)
            try pushHead(runs.count - 1, from: 0)
        }
        // The pending entries come sorted and cut to the window: run 0 when there are any.
        try addRun(unflushed.entries.map { Candidate(start: $0.start, traceID: $0.traceID) })
        let pendingLeftUnread = !unflushed.complete && !unflushed.entries.isEmpty
        var decoded: [RawPosting] = []
        var perTrace: [TracePosting] = []
        var segments: [(table: UInt64, end: Int)] = []
        while true {
            let nextList: UInt64? = lists.isValid ? Keys.readUInt64(lists.key, at: offset) : nil
            var legacyStart: UInt64? = nil
            if let legacy, legacy.isValid {
                legacyStart = Keys.readUInt64(legacy.key, at: legacyOffset)
                if legacyStart == nil {
                    legacy.advance()  // a malformed legacy key is skipped, as the old scan did
                    continue
                }
            }
            let heapStart = heads.top?.start
            let best = max(heapStart ?? 0, legacyStart ?? 0)
            let haveEntry = heapStart != nil || legacyStart != nil
            if let nextList, !haveEntry || best < nextList {
                let value = lists.value
                perTrace.removeAll(keepingCapacity: true)
                segments.removeAll(keepingCapacity: true)
                if try PostingList.decodeSegments(value, withDurations: false, into: &perTrace, segments: &segments) {
                    // v4/v5: one run per segment (each numbers its traces in its own flush's slot table).
                    var begin = 0
                    for segment in segments {
                        try addRun(
                            perTrace[begin..<segment.end].map {
                                Candidate(start: 0, table: segment.table, format: .perTrace, number: $0.number)
                            })
                        begin = segment.end
                    }
                } else {
                    let header = try PostingList.header(of: value)
                    decoded.removeAll(keepingCapacity: true)
                    try PostingList.decodeRaw(value, maxStart: nextList, withDurations: false, into: &decoded)
                    try addRun(
                        decoded.filter { $0.start >= startMin && $0.start <= startMax }.map {
                            Candidate(start: $0.start, table: header.table, format: header.format, number: $0.number)
                        })
                }
                lists.advance()
                continue
            }
            guard haveEntry else { break }
            if let heapStart, heapStart >= (legacyStart ?? 0) {
                let head = heads.pop()
                if pendingLeftUnread, head.run == 0, head.index == unflushed.entries.count - 1 {
                    // The last pending entry read: the pending index's unread ones may be newer than anything left.
                    return .resume(at: head.start, readWhole: unflushed.walkedAll)
                }
                let candidate = runs[head.run][head.index]
                try pushHead(head.run, from: head.index + 1)
                let id = try head.traceID ?? tables.resolve(table: candidate.table, format: candidate.format, number: candidate.number)
                if let id, !visit(id, head.start) { return .stopped }
            } else if let legacy, let legacyStart {
                let id = Keys.readTraceID(legacy.key, at: legacyOffset + 8)
                legacy.advance()
                if let id, !visit(id, legacyStart) { return .stopped }
            }
        }
        try lists.status()
        try legacy?.status()
        return .finished
    }

    /// Duration scans read the duration classes overlapping `[minNanos, maxNanos]` and check each entry exactly.
    private func scanDurations(
        tenant: String, service: String, minNanos: UInt64, maxNanos: UInt64, startMin: UInt64, startMax: UInt64,
        visit: (TraceID, UInt64) -> Bool
    ) throws(StorageError) {
        guard minNanos <= maxNanos else { return }
        let prefix = Keys.durationPrefix(tenant: tenant, service: service)
        let legacyPrefix = Keys.durationPrefix(tenant: tenant, service: service, type: Keys.durationIndexTag)
        var lower = prefix
        lower.append(DurationClass.of(minNanos))
        var upper = prefix
        let maxClass = DurationClass.of(maxNanos)
        if maxClass == .max {
            upper = Keys.upperBound(of: prefix)
        } else {
            upper.append(maxClass + 1)
        }
        let offset = prefix.count + 1
        var decoded: [RawPosting] = []
        var perTrace: [TracePosting] = []
        var segments: [(table: UInt64, end: Int)] = []
        var failure: StorageError? = nil
        do {
            for bucket in buckets(overlapping: startMin, startMax) {
                var stopped = false
                // Pending postings first (copied before the lists are read, see `scanNewestFirst`).
                let unflushed = pending.withLock { pending in
                    (DurationClass.of(minNanos)...maxClass).flatMap { durationClass in
                        pending.postings(bucket: bucket.startSeconds, width: bucket.widthSeconds, prefix: prefix + [durationClass]) ?? []
                    }
                }
                for posting in unflushed
                where posting.start >= startMin && posting.start <= startMax && posting.durationNanos >= minNanos
                    && posting.durationNanos <= maxNanos
                {
                    if !visit(posting.traceID, posting.start) { return }
                }
                var tables = TraceTables(database: database, family: bucket.family, tenant: tenant)
                try database.scan(bucket.family, lower: lower, upper: upper) { key, value in
                    guard let maxStart = Keys.readUInt64(key, at: offset) else { return true }
                    // Every entry lies in (maxStart − slot, maxStart] (v3) or in maxStart's slot (v4): skip lists
                    // wholly outside the window.
                    if maxStart < startMin - startMin % Keys.postingSlotNanos
                        || (maxStart > startMax && maxStart - startMax >= Keys.postingSlotNanos)
                    {
                        return true
                    }
                    do throws(StorageError) {
                        // v4 and v5 lists: entries resolved in their tables, checked against the window on their times.
                        perTrace.removeAll(keepingCapacity: true)
                        segments.removeAll(keepingCapacity: true)
                        if try PostingList.decodeSegments(value, withDurations: true, into: &perTrace, segments: &segments) {
                            var begin = 0
                            for segment in segments {
                                for entry in perTrace[begin..<segment.end] where entry.durationNanos >= minNanos && entry.durationNanos <= maxNanos {
                                    guard let found = try tables.resolveTimed(table: segment.table, number: entry.number),
                                        found.last >= startMin, found.first <= startMax
                                    else { continue }
                                    if !visit(found.id, found.first) {
                                        stopped = true
                                        return false
                                    }
                                }
                                begin = segment.end
                            }
                            return true
                        }
                        let header = try PostingList.header(of: value)
                        decoded.removeAll(keepingCapacity: true)
                        try PostingList.decodeRaw(value, maxStart: maxStart, withDurations: true, into: &decoded)
                        for entry in decoded
                        where entry.start >= startMin && entry.start <= startMax && entry.durationNanos >= minNanos
                            && entry.durationNanos <= maxNanos
                        {
                            guard let id = try tables.resolve(table: header.table, format: header.format, number: entry.number) else { continue }
                            if !visit(id, entry.start) {
                                stopped = true
                                return false
                            }
                        }
                    } catch {
                        failure = error
                        return false
                    }
                    return true
                }
                if let failure { throw failure }
                if stopped { return }
                if bucket.mayHoldLegacyIndex {
                    let range = Keys.range(legacyPrefix, from: minNanos, through: maxNanos)
                    let legacyOffset = legacyPrefix.count
                    try database.scan(bucket.family, lower: range.lower, upper: range.upper) { key, _ in
                        guard let start = Keys.readUInt64(key, at: legacyOffset + 8),
                            let id = Keys.readTraceID(key, at: legacyOffset + 16)
                        else { return true }
                        if start >= startMin, start <= startMax, !visit(id, start) {
                            stopped = true
                            return false
                        }
                        return true
                    }
                    if stopped { return }
                }
            }
        } catch {
            throw StorageError.wrapping(error)
        }
    }
}

/// The trace tables of one bucket, each table (or page of a paged table) read once per scan.
struct TraceTables {
    let database: RocksDatabase
    let family: ColumnFamily
    let tenant: String
    private let encodedTenant: [UInt8]
    private var cache: [UInt64: [TraceID]] = [:]
    private var pages: [PageKey: TraceTable.Page] = [:]
    private var missing = Set<PageKey>()
    private var last: (key: PageKey, page: TraceTable.Page)? = nil
    /// Pages kept per scan (16 KiB each); a scan touching more starts over, re-reading pages from the block cache.
    static let maxCachedPages = 1024

    private struct PageKey: Hashable {
        var hash: UInt64
        var page: UInt32
    }

    init(database: RocksDatabase, family: ColumnFamily, tenant: String) {
        self.database = database
        self.family = family
        self.tenant = tenant
        var encoded: [UInt8] = []
        Keys.appendTenant(tenant, to: &encoded)
        encodedTenant = encoded
    }

    /// The trace a version 2 or 3 list entry numbers in `table`, or nil when the table (or page) is gone.
    mutating func resolve(table hash: UInt64, format: PostingList.Format, number: UInt64) throws(StorageError) -> TraceID? {
        switch format {
        case .whole:
            guard let table = try table(hash) else { return nil }
            guard number < UInt64(table.count) else { throw .corrupt("posting list trace number outside its table") }
            return table[Int(number)]
        case .paged, .perTrace:
            guard let (page, index) = try locate(hash, number) else { return nil }
            return page.ids[index]
        }
    }

    /// The trace a version 4 list entry numbers in its slot table, with its first and last start there; nil when the
    /// table is gone.
    mutating func resolveTimed(table hash: UInt64, number: UInt64) throws(StorageError) -> (id: TraceID, first: UInt64, last: UInt64)? {
        guard let (page, index) = try locate(hash, number) else { return nil }
        guard page.timed else { throw .corrupt("posting list refers to a trace table without times") }
        return (page.ids[index], page.firsts[index], page.lasts[index])
    }

    /// The page of a paged table holding trace `number`, and its index there.
    private mutating func locate(_ hash: UInt64, _ number: UInt64) throws(StorageError) -> (TraceTable.Page, Int)? {
        let perPage = UInt64(PostingGroups.tracesPerPage)
        guard number / perPage <= UInt64(UInt32.max) else { throw .corrupt("posting list trace number outside its table") }
        guard let page = try page(hash, UInt32(number / perPage)) else { return nil }
        let index = Int(number % perPage)
        guard index < page.ids.count else { throw .corrupt("posting list trace number outside its table") }
        return (page, index)
    }

    /// One page of a paged table, or nil when the bucket has none.
    private mutating func page(_ hash: UInt64, _ number: UInt32) throws(StorageError) -> TraceTable.Page? {
        let key = PageKey(hash: hash, page: number)
        if let last, last.key == key { return last.page }  // neighbouring entries mostly share a page
        defer { if let page = pages[key] { last = (key, page) } }
        if let cached = pages[key] { return cached }
        if missing.contains(key) { return nil }
        guard let value = try read(Keys.traceTablePage(tenant: encodedTenant[...], hash: hash, page: number)) else {
            missing.insert(key)
            return nil
        }
        let decoded = value.withUnsafeBytes { bytes in Result { () throws(StorageError) in try TraceTable.decodePage(bytes) } }
        let page = try decoded.get()
        if pages.count >= Self.maxCachedPages { pages.removeAll(keepingCapacity: true) }  // bounded: about 32 MiB
        pages[key] = page
        return page
    }

    /// The whole table with this hash (version 2 lists), or nil when the bucket has none.
    mutating func table(_ hash: UInt64) throws(StorageError) -> [TraceID]? {
        if let cached = cache[hash] { return cached }
        guard let value = try read(Keys.traceTable(tenant: tenant, hash: hash)) else { return nil }
        let decoded = value.withUnsafeBytes { bytes in Result { () throws(StorageError) in try TraceTable.decode(bytes) } }
        let table = try decoded.get()
        cache[hash] = table
        return table
    }

    private func read(_ key: [UInt8]) throws(StorageError) -> [UInt8]? {
        do {
            return try database.get(family, key: key)
        } catch {
            throw .rocks(error)
        }
    }
}

/// An index entry waiting in a scan's merge heap: pending postings carry their trace id, list entries a trace number
/// resolved only when the entry is visited (v2, v3) or reaches the head of its run (v4/v5, format `perTrace`, whose
/// start is in the table: until then `start` is unknown).
struct Candidate {
    var start: UInt64
    var traceID: TraceID? = nil
    var table: UInt64 = 0
    var format = PostingList.Format.paged
    var number: UInt64 = 0
}
