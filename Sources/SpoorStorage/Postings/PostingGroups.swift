import CPrefetch
import SpoorModel

#if canImport(Glibc)
import Glibc
#endif

/// Index postings grouped by bucket and index key prefix (the key without its list suffix).
///
/// One `prepare` call fills a set of groups and encodes them as a journal value; the writer stores that value with the
/// spans and adds it to the store's pending index, and a flush turns the pending groups into posting lists. Gathering
/// postings over many requests before writing them is what keeps the index at a fraction of an entry per span: a tag
/// value seen in a thousand requests becomes one list, not a thousand.
struct PostingGroups: Sendable {
    /// One group: its bucket and prefix (in `arena`), and the newest-added of its postings, which chain backwards
    /// through `previous`.
    private struct Group {
        var bucket: BucketRef
        var hash: UInt64
        var prefixOffset: Int
        var prefixLength: Int
        /// Index + 1 of the group's last-added posting (0: none).
        var last: UInt32 = 0
        var count = 0
        var withDurations: Bool
    }

    private var groups: [Group] = []
    /// Every group's prefix bytes, back to back.
    private var arena: [UInt8] = []
    /// Open-addressing table; its size is a power of two. Each slot holds the group's index + 1 in its low 32 bits (0:
    /// empty) and the high 32 bits of the group's hash above them, so a probe past another group reads neither that
    /// group nor its prefix (in a pending index of a million groups, each of those reads is a cache miss).
    private var slots: [UInt64] = []
    /// Every span whose postings were added: its start, trace id and duration, once for all its postings.
    private var spans: [Posting] = []
    /// The latest start among `spans[0...i]`, by `i`. A posting's span indexes (`span`, `latest`) are at most those of
    /// the posting added after it to the same group (a posting changes only while it is its group's last, and spans are
    /// only appended), so this bounds every start a group's older postings hold: see `newest`.
    private var maxStartThrough: [UInt64] = []
    /// Every posting, in the order added: its span (index in `spans`), its group, and the index + 1 of the previous
    /// posting of that group.
    private var postings: [Entry] = []

    private struct Entry {
        var span: UInt32
        var group: UInt32
        var previous: UInt32
        /// The span with the latest start among those this posting stands for (`span` has the earliest; see
        /// `addPrefix`).
        var latest: UInt32
    }
    private var scratch: [UInt8] = []

    /// Seeds the group table's hash (`WordHash`), so tag values chosen by a client cannot be made to collide. The same
    /// for every `PostingGroups` of the process: `merge` reuses the hashes.
    private static let seed = UInt64.random(in: .min ... .max)

    /// Postings held (repeats included).
    var postingCount: Int { postings.count }
    var isEmpty: Bool { postings.isEmpty }
    /// Groups held.
    var groupCount: Int { groups.count }
    /// Memory held, for the write queue's bound and the memory gauge.
    var memoryBytes: Int {
        spans.capacity * MemoryLayout<Posting>.stride + maxStartThrough.capacity * 8 + postings.capacity * MemoryLayout<Entry>.stride
            + arena.capacity
            + groups.capacity * MemoryLayout<Group>.stride + slots.count * 8
    }

    /// Adds a span; returns its index.
    @discardableResult
    mutating func appendSpan(_ posting: Posting) -> UInt32 {
        spans.append(posting)
        maxStartThrough.append(max(maxStartThrough.last ?? 0, posting.start))
        return UInt32(spans.count - 1)
    }

    mutating func append(span: UInt32, latest: UInt32? = nil, to group: Int) {
        postings.append(Entry(span: span, group: UInt32(group), previous: groups[group].last, latest: latest ?? span))
        groups[group].last = UInt32(postings.count)
        groups[group].count += 1
    }

    static func hash(_ bucket: BucketRef, _ prefix: UnsafeRawBufferPointer) -> UInt64 {
        WordHash.table(prefix, seed: seed ^ WordHash.mix(bucket.start))
    }

    /// The index of the group of (bucket, prefix), created when new.
    mutating func group(bucket: BucketRef, withDurations: Bool, prefix: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        // Grown first (at most one group early), so one probe finds the group or the slot for it.
        reserveGroups(1)
        guard let (slot, found) = find(bucket: bucket, prefix: prefix, hash: hash) else { preconditionFailure("full group table") }
        if let found { return found }
        groups.append(
            Group(bucket: bucket, hash: hash, prefixOffset: arena.count, prefixLength: prefix.count, withDurations: withDurations))
        arena.append(contentsOf: prefix)
        slots[slot] = Self.slotEntry(hash: hash, index: groups.count - 1)
        return groups.count - 1
    }

    /// The slot holding (bucket, prefix) with its group, or the empty slot where it would go (nil when the table has
    /// no slots yet).
    private func find(bucket: BucketRef, prefix: UnsafeRawBufferPointer, hash: UInt64) -> (Int, Int?)? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return arena.withUnsafeBytes { arena in
            while true {
                let entry = slots[slot]
                if entry == 0 { return (slot, nil) }
                if entry >> 32 == hash >> 32 {
                    let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    let group = groups[index]
                    if group.hash == hash, group.bucket == bucket, group.prefixLength == prefix.count,
                        prefix.isEmpty || memcmp(arena.baseAddress! + group.prefixOffset, prefix.baseAddress!, prefix.count) == 0
                    {
                        return (slot, index)
                    }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Grows the table, when needed, so `more` groups fit under its load bound (3/4).
    private mutating func reserveGroups(_ more: Int) {
        if (groups.count + more) * 4 > slots.count * 3 { grow(toHold: groups.count + more) }
    }

    /// Doubles the table, or more until it holds `groups` groups under its load bound.
    private mutating func grow(toHold groups: Int) {
        var size = max(64, slots.count * 2)
        while groups * 4 > size * 3 { size *= 2 }
        slots = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        for (index, group) in self.groups.enumerated() {
            var slot = Int(truncatingIfNeeded: group.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Self.slotEntry(hash: group.hash, index: index)
        }
    }

    @inline(__always)
    private static func slotEntry(hash: UInt64, index: Int) -> UInt64 {
        hash & 0xFFFF_FFFF_0000_0000 | UInt64(index + 1)
    }

    /// How many lookups ahead `merge` starts loading a lookup's slot (its group and prefix follow at two thirds and one
    /// third of it).
    static let prefetchDistance = 12

    /// Starts loading what the lookup of `hash` will read (a hint: the lookup itself is unchanged). Stage 0: its first
    /// slot. Stage 1: the group a slot of its cache line names with the same hash bits. Stage 2: that group's prefix
    /// bytes.
    @inline(__always)
    private func prefetch(hash: UInt64, stage: Int) {
        let mask = slots.count - 1
        let first = Int(truncatingIfNeeded: hash) & mask
        slots.withUnsafeBufferPointer { slots in
            if stage == 0 {
                spoor_prefetch(slots.baseAddress! + first)
                return
            }
            // Linear probing keeps a group within a few slots of its first; look only as far as the cache line goes.
            var slot = first
            while true {
                let entry = slots[slot]
                if entry == 0 { return }
                if entry >> 32 == hash >> 32 {
                    let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    if stage == 1 {
                        groups.withUnsafeBufferPointer { spoor_prefetch($0.baseAddress! + index) }
                    } else {
                        let group = groups[index]
                        arena.withUnsafeBufferPointer { arena in
                            spoor_prefetch(arena.baseAddress! + group.prefixOffset)
                            spoor_prefetch(arena.baseAddress! + group.prefixOffset + max(0, group.prefixLength - 1))
                        }
                    }
                    return
                }
                slot = (slot + 1) & mask
                if slot & 7 == 0 { return }  // the next cache line: leave it to the lookup
            }
        }
    }

    /// Adds a span's postings: its service, operation, duration and every tag (span, process and log fields). A tag
    /// repeated on one span (or between span, process and logs) gives equal postings, removed when lists are sorted.
    mutating func addPostings(of span: Span, tenant: String, bucket: BucketRef) {
        var uncached: ProcessTagGroups? = nil
        addPostings(of: span, tenant: tenant, bucket: bucket, processTags: &uncached)
    }

    /// `addPostings(of:tenant:bucket:)`, with the groups of the process's tags remembered in `processTags` (when not
    /// nil) for the next span of the same process instance: the spans of one batch share one, so its tag groups are
    /// found once per batch rather than once per span.
    mutating func addPostings(of span: Span, tenant: String, bucket: BucketRef, processTags: inout ProcessTagGroups?) {
        let posting = appendSpan(Posting(start: span.startTimeUnixNanos, traceID: span.traceID, durationNanos: span.durationNanos))
        // Every prefix starts `tenant type str(service)`: built once, then the type byte is set and the rest appended
        // for each posting, and cut back after it.
        var buffer = scratch
        scratch = []
        buffer.removeAll(keepingCapacity: true)
        Keys.appendServicePrefix(tenant: tenant, service: span.process.serviceName, to: &buffer)
        let typeOffset = Int(buffer[0]) + 1
        let base = buffer.count
        addPrefix(of: buffer, posting: posting, bucket: bucket, withDurations: false)

        buffer[typeOffset] = Keys.operationPostingsTag
        Keys.appendString(span.operationName, to: &buffer)
        addPrefix(of: buffer, posting: posting, bucket: bucket, withDurations: false)

        buffer.removeSubrange(base...)
        buffer[typeOffset] = Keys.durationPostingsTag
        buffer.append(DurationClass.of(span.durationNanos))
        addPrefix(of: buffer, posting: posting, bucket: bucket, withDurations: true)

        buffer[typeOffset] = Keys.tagPostingsTag
        addTags(span.tags, prefix: &buffer, base: base, posting: posting, bucket: bucket)
        if processTags != nil {
            addProcessTags(of: span, tenant: tenant, prefix: &buffer, base: base, posting: posting, bucket: bucket, &processTags!)
        } else {
            addTags(span.process.tags, prefix: &buffer, base: base, posting: posting, bucket: bucket)
        }
        for log in span.logs { addTags(log.fields, prefix: &buffer, base: base, posting: posting, bucket: bucket) }
        scratch = buffer
    }

    /// One posting per tag, under `prefix` cut back to `base` bytes and followed by `str(key) str(value)`.
    private mutating func addTags(
        _ tags: [Attribute], prefix: inout [UInt8], base: Int, posting: UInt32, bucket: BucketRef
    ) {
        for tag in tags {
            post(posting, to: tagGroup(tag, prefix: &prefix, base: base, bucket: bucket), withDurations: false, mergeRepeats: true)
        }
    }

    /// The group of `tag`: `prefix` cut back to `base` bytes and followed by `str(key) str(value)`.
    private mutating func tagGroup(_ tag: Attribute, prefix: inout [UInt8], base: Int, bucket: BucketRef) -> Int {
        prefix.removeSubrange(base...)
        Keys.appendString(tag.key, to: &prefix)
        Keys.appendSearchValue(tag.value, to: &prefix)
        return prefix.withUnsafeBytes { group(bucket: bucket, withDurations: false, prefix: $0, hash: Self.hash(bucket, $0)) }
    }

    /// `addTags` of the span's process tags, through the groups `cache` found for the same process instance, tenant
    /// and bucket; else found as `addTags` finds them, and remembered.
    private mutating func addProcessTags(
        of span: Span, tenant: String, prefix: inout [UInt8], base: Int, posting: UInt32, bucket: BucketRef,
        _ cache: inout ProcessTagGroups
    ) {
        if let process = cache.process, process.isSameInstance(as: span.process), cache.bucket == bucket,
            cache.tenant.hasSameUTF8(as: tenant)
        {
            for index in cache.groups { post(posting, to: index, withDurations: false, mergeRepeats: true) }
            return
        }
        cache.groups.removeAll(keepingCapacity: true)
        for tag in span.process.tags {
            let index = tagGroup(tag, prefix: &prefix, base: base, bucket: bucket)
            cache.groups.append(index)
            post(posting, to: index, withDurations: false, mergeRepeats: true)
        }
        cache.process = span.process
        cache.tenant = tenant
        cache.bucket = bucket
    }

    /// Adds one posting under `prefix` (a new group copies it), of a span of its own. Never merged into the group's
    /// last posting: without a duration posting of its own, the span's start would not reach its slot table.
    mutating func addPrefix(of prefix: [UInt8], posting: Posting, bucket: BucketRef, withDurations: Bool) {
        addPrefix(of: prefix, posting: appendSpan(posting), bucket: bucket, withDurations: withDurations, mergeRepeats: false)
    }

    /// Adds a posting of the span at `posting` in `spans` under `prefix` (a new group copies it).
    ///
    /// A posting of the same trace and slot (`Keys.postingSlotNanos`) as the group's last one is merged into it: the
    /// last one then stands for both, keeping the earliest start in `span` and the latest in `latest`. A list holds a
    /// trace once per slot anyway, and its slot table keeps the trace's first and last start from every span (each
    /// span has a duration posting, never merged). Spans of one trace and service come in runs, so most repeats are
    /// caught here.
    private mutating func addPrefix(
        of prefix: [UInt8], posting: UInt32, bucket: BucketRef, withDurations: Bool, mergeRepeats: Bool = true
    ) {
        let index = prefix.withUnsafeBytes {
            group(bucket: bucket, withDurations: withDurations, prefix: $0, hash: Self.hash(bucket, $0))
        }
        post(posting, to: index, withDurations: withDurations, mergeRepeats: mergeRepeats)
    }

    /// Adds a posting of the span at `posting` to the group at `index`, merged into the group's last one as
    /// `addPrefix` describes.
    private mutating func post(_ posting: UInt32, to index: Int, withDurations: Bool, mergeRepeats: Bool) {
        let last = groups[index].last
        if mergeRepeats, !withDurations, last != 0 {
            let kept = Int(last) - 1
            let earliest = spans[Int(postings[kept].span)]
            let current = spans[Int(posting)]
            if earliest.traceID == current.traceID, earliest.start / Keys.postingSlotNanos == current.start / Keys.postingSlotNanos {
                if current.start < earliest.start {
                    postings[kept].span = posting
                } else if current.start > spans[Int(postings[kept].latest)].start {
                    postings[kept].latest = posting
                }
                return
            }
        }
        append(span: posting, to: index)
    }

    /// Adds every posting of `other`: one table lookup per group, then an append per posting.
    mutating func merge(_ other: PostingGroups) {
        if isEmpty {
            self = other
            return
        }
        // Room for every group of `other` first, so no lookup below grows the table and moves what was prefetched.
        reserveGroups(other.groups.count + 1)
        var remap: [Int] = []
        remap.reserveCapacity(other.groups.count)
        let count = other.groups.count
        other.arena.withUnsafeBytes { otherArena in
            for index in 0..<count {
                // In a pending index of a million groups, each lookup's slot, group and prefix are three dependent
                // cache misses. They are started ahead, a stage at a time, so the loads of several lookups overlap:
                // the slot of the lookup `prefetchDistance` ahead, then its group, then its prefix bytes.
                for stage in 0..<3 {
                    let ahead = index + Self.prefetchDistance * (3 - stage) / 3
                    if ahead < count { prefetch(hash: other.groups[ahead].hash, stage: stage) }
                }
                let group = other.groups[index]
                let prefix = UnsafeRawBufferPointer(rebasing: otherArena[group.prefixOffset..<(group.prefixOffset + group.prefixLength)])
                remap.append(self.group(bucket: group.bucket, withDurations: group.withDurations, prefix: prefix, hash: group.hash))
            }
        }
        // Grown geometrically: reserving exactly the merged size would copy every posting at every merge.
        let needed = postings.count + other.postings.count
        if needed > postings.capacity { postings.reserveCapacity(max(needed, postings.capacity * 2)) }
        if spans.count + other.spans.count > spans.capacity {
            let capacity = max(spans.count + other.spans.count, spans.capacity * 2)
            spans.reserveCapacity(capacity)
            maxStartThrough.reserveCapacity(capacity)
        }
        let base = UInt32(spans.count)
        spans.append(contentsOf: other.spans)
        let carried = maxStartThrough.last ?? 0
        maxStartThrough.append(contentsOf: other.maxStartThrough.lazy.map { max($0, carried) })
        for posting in other.postings {
            append(span: base + posting.span, latest: base + posting.latest, to: remap[Int(posting.group)])
        }
    }

    /// The postings of one group (a copy, for a scan), or nil.
    func postings(bucket: UInt64, width: UInt64, prefix: [UInt8]) -> [Posting]? {
        let ref = BucketRef(start: bucket, width: width)
        guard let (_, found) = prefix.withUnsafeBytes({ find(bucket: ref, prefix: $0, hash: Self.hash(ref, $0)) }), let found else {
            return nil
        }
        return postings(of: found)
    }

    private func postings(of group: Int) -> [Posting] {
        var result: [Posting] = []
        result.reserveCapacity(groups[group].count)
        let withDurations = groups[group].withDurations
        var next = groups[group].last
        while next != 0 {
            let posting = postings[Int(next) - 1]
            let span = spans[Int(posting.span)]
            result.append(
                withDurations
                    ? span : Posting(start: span.start, traceID: span.traceID, lastStart: spans[Int(posting.latest)].start))
            next = posting.previous
        }
        return result
    }

    /// The newest pending entries of one group (`PendingCandidate`: start capped at `startMax`, trace id) among the
    /// postings overlapping `[startMin, startMax]`, at most `limit` of them. nil when the group does not exist.
    ///
    /// The chain is walked from its newest posting and left as soon as every posting not yet read is known to be older
    /// than the entries kept (`maxStartThrough`) or outside the window; `complete` is false when postings that may
    /// still be in the window were left unread. Postings arrive roughly in time order, so a scan that stops after a few
    /// traces reads a few postings, not the whole group.
    func newest(bucket: UInt64, width: UInt64, prefix: [UInt8], startMin: UInt64, startMax: UInt64, limit: Int) -> PendingPage? {
        let ref = BucketRef(start: bucket, width: width)
        guard limit > 0, let (_, found) = prefix.withUnsafeBytes({ find(bucket: ref, prefix: $0, hash: Self.hash(ref, $0)) }),
            let found
        else { return nil }
        if limit >= groups[found].count {  // room for the whole group: one pass; sorted by the caller, outside the lock
            var entries: [PendingCandidate] = []
            entries.reserveCapacity(groups[found].count)
            var next = groups[found].last
            while next != 0 {
                let entry = postings[Int(next) - 1]
                if let candidate = candidate(entry, startMin: startMin, startMax: startMax) { entries.append(candidate) }
                next = entry.previous
            }
            return PendingPage(entries: entries, complete: true, walkedAll: true, sorted: false)
        }
        var kept = BinaryHeap<PendingCandidate> { $0 < $1 }  // the oldest kept on top
        var complete = true
        var walkedAll = true
        var next = groups[found].last
        while next != 0 {
            let entry = postings[Int(next) - 1]
            if let candidate = candidate(entry, startMin: startMin, startMax: startMax) {
                if kept.count < limit {
                    kept.push(candidate)
                } else {
                    complete = false  // one candidate is left out, this one or the oldest kept
                    if let oldest = kept.top, oldest < candidate {
                        _ = kept.pop()
                        kept.push(candidate)
                    }
                }
            }
            next = entry.previous
            guard next != 0 else { break }
            // Every posting still unread holds starts at or below this bound.
            let bound = maxStartThrough[Int(entry.span)]
            if bound < startMin { break }
            if kept.count == limit, let oldest = kept.top, oldest.start > min(bound, startMax) {
                complete = false  // postings left unread
                walkedAll = false
                break
            }
        }
        var entries: [PendingCandidate] = []
        entries.reserveCapacity(kept.count)
        while !kept.isEmpty { entries.append(kept.pop()) }
        entries.reverse()
        return PendingPage(entries: entries, complete: complete, walkedAll: walkedAll, sorted: true)
    }

    /// A posting as a scan of `[startMin, startMax]` sees it (its latest start, capped at `startMax`), or nil when
    /// none of the spans it stands for may start in the window.
    @inline(__always)
    private func candidate(_ entry: Entry, startMin: UInt64, startMax: UInt64) -> PendingCandidate? {
        let span = spans[Int(entry.span)]
        let posting = Posting(start: span.start, traceID: span.traceID, lastStart: spans[Int(entry.latest)].start)
        guard posting.overlaps(startMin, startMax) else { return nil }
        return PendingCandidate(start: min(posting.lastStart, startMax), traceID: posting.traceID)
    }

    /// Calls `body` with every group's bucket, prefix, kind and postings (most recently added first).
    func forEachGroup(_ body: (BucketRef, [UInt8], Bool, [Posting]) -> Void) {
        for (index, group) in groups.enumerated() {
            body(group.bucket, Array(arena[group.prefixOffset..<(group.prefixOffset + group.prefixLength)]), group.withDurations, postings(of: index))
        }
    }

    /// Drops the groups of buckets that ended at or before `cutoff` (nanoseconds): retention dropped them.
    mutating func removeBuckets(endingBy cutoff: UInt64) {
        removeBuckets { $0.endNanos <= cutoff }
    }

    /// Drops the groups of the buckets `drop` picks.
    mutating func removeBuckets(where drop: (BucketRef) -> Bool) {
        guard groups.contains(where: { drop($0.bucket) }) else { return }
        var kept = PostingGroups()
        var remap = [Int?](repeating: nil, count: groups.count)
        arena.withUnsafeBytes { arena in
            for (index, group) in groups.enumerated() where !drop(group.bucket) {
                let prefix = UnsafeRawBufferPointer(rebasing: arena[group.prefixOffset..<(group.prefixOffset + group.prefixLength)])
                remap[index] = kept.group(bucket: group.bucket, withDurations: group.withDurations, prefix: prefix, hash: group.hash)
            }
        }
        // The spans still referred to keep their order (so `maxStartThrough` still bounds older postings).
        var keptSpan = [UInt32](repeating: .max, count: spans.count)
        for posting in postings where remap[Int(posting.group)] != nil {
            keptSpan[Int(posting.span)] = 0
            keptSpan[Int(posting.latest)] = 0
        }
        for index in spans.indices where keptSpan[index] != .max {
            keptSpan[index] = UInt32(kept.spans.count)
            kept.appendSpan(spans[index])
        }
        for posting in postings {
            guard let target = remap[Int(posting.group)] else { continue }
            kept.append(span: keptSpan[Int(posting.span)], latest: keptSpan[Int(posting.latest)], to: target)
        }
        self = kept
    }

    // MARK: - Posting lists

    /// Traces per trace-table page: a reader decodes one page (16 KiB of ids, one RocksDB block) to resolve a posting.
    static let tracesPerPage = 1024

    /// Appends the posting lists of every group and the pages of the slot tables they number their traces in.
    ///
    /// A slot table holds the traces of one tenant, bucket and time slot (`Keys.postingSlotNanos`, aligned on its
    /// multiples) among the flush's postings, each with its first and last posting start in the slot, numbered in
    /// order of first start (then id). A group's list for a slot is the set of its traces' numbers (with their
    /// durations, in duration lists): a trace is one entry however many of its spans share the key. Lists are cut by
    /// `PostingList.maxEntries`; each is keyed `prefix maxFirst hash` (v4), maxFirst being the newest first start among
    /// its traces, or, when it has fewer than `PostingList.minOwnKeyEntries` entries, merged into its slot's list
    /// `prefix slotEnd−1` (v5).
    func emit(into output: inout [PreparedWrite.Entry]) {
        // The postings of each group, contiguous (a counting sort by group).
        var starts = [Int](repeating: 0, count: groups.count + 1)
        for posting in postings { starts[Int(posting.group) + 1] += 1 }
        for index in groups.indices { starts[index + 1] += starts[index] }
        var byGroup = [UInt32](repeating: 0, count: postings.count)
        var cursor = starts
        for posting in postings {
            byGroup[cursor[Int(posting.group)]] = posting.span
            cursor[Int(posting.group)] += 1
        }

        // The tenant and bucket of each group (a handful per flush: the previous group's, else a dictionary).
        struct TableSet: Hashable {
            var tenant: [UInt8]
            var bucket: BucketRef
        }
        var sets: [TableSet] = []
        var setIndex: [TableSet: Int] = [:]
        var setOf = [Int](repeating: -1, count: groups.count)
        arena.withUnsafeBytes { arena in
            var last = -1  // groups of one tenant and bucket come in runs
            for (index, group) in groups.enumerated() {
                guard let length = group.prefixLength > 0 ? Int(arena[group.prefixOffset]) : nil, group.prefixLength > length else { continue }
                let tenant = UnsafeRawBufferPointer(rebasing: arena[group.prefixOffset..<(group.prefixOffset + 1 + length)])
                if last < 0 || sets[last].bucket != group.bucket || !sets[last].tenant.elementsEqual(tenant) {
                    let key = TableSet(tenant: Array(tenant), bucket: group.bucket)
                    if let known = setIndex[key] {
                        last = known
                    } else {
                        last = sets.count
                        setIndex[key] = last
                        sets.append(key)
                    }
                }
                setOf[index] = last
            }
        }

        // Every span's slot table and its trace's index there, found at the span's first posting: all postings of a
        // span share its tenant, bucket and start.
        struct SlotTable {
            var set: Int
            var slot: UInt64
            var traces = TraceIndexTable()
            /// First and last posting start of each trace, by index in `traces`.
            var firsts: [UInt64] = []
            var lasts: [UInt64] = []
            /// Each trace's number, by index in `traces`; and each number's first start.
            var numbers: [UInt32] = []
            var firstByNumber: [UInt64] = []
            var hash: UInt64 = 0
        }
        struct SlotKey: Hashable {
            var set: Int
            var slot: UInt64
        }
        var tables: [SlotTable] = []
        var tableIndex: [SlotKey: Int] = [:]
        var tableOfSpan = [UInt32](repeating: .max, count: spans.count)
        var traceOfSpan = [UInt32](repeating: 0, count: spans.count)
        for index in groups.indices where setOf[index] >= 0 {
            var current = -1
            for position in starts[index]..<starts[index + 1] {
                let span = Int(byGroup[position])
                guard tableOfSpan[span] == .max else { continue }
                let posting = spans[span]
                let slot = posting.start / Keys.postingSlotNanos
                if current < 0 || tables[current].slot != slot {
                    let key = SlotKey(set: setOf[index], slot: slot)
                    if let known = tableIndex[key] {
                        current = known
                    } else {
                        current = tables.count
                        tableIndex[key] = current
                        tables.append(SlotTable(set: key.set, slot: slot))
                    }
                }
                let (trace, inserted) = tables[current].traces.insert(posting.traceID)
                if inserted {
                    tables[current].firsts.append(posting.start)
                    tables[current].lasts.append(posting.start)
                } else if posting.start < tables[current].firsts[trace] {
                    tables[current].firsts[trace] = posting.start
                } else if posting.start > tables[current].lasts[trace] {
                    tables[current].lasts[trace] = posting.start
                }
                tableOfSpan[span] = UInt32(current)
                traceOfSpan[span] = UInt32(trace)
            }
        }

        for index in tables.indices {
            // In order of first start (then id), so the same postings always give the same table and keys, and a
            // list's numbers, highest first, visit its traces newest first.
            var keyed = tables[index].traces.ids.indices.map { trace in
                let id = tables[index].traces.ids[trace]
                return (first: tables[index].firsts[trace], high: id.high, low: id.low, trace: trace)
            }
            keyed.sort { a, b in
                if a.first != b.first { return a.first < b.first }
                return (a.high, a.low) < (b.high, b.low)
            }
            let order = keyed.map(\.trace)
            var numbers = [UInt32](repeating: 0, count: order.count)
            for (number, trace) in order.enumerated() { numbers[trace] = UInt32(number) }
            let ids = order.map { tables[index].traces.ids[$0] }
            let firsts = order.map { tables[index].firsts[$0] }
            let lasts = order.map { tables[index].lasts[$0] }
            var pages: [[UInt8]] = []
            var hasher = FNV1a64()
            var page = 0
            while page * Self.tracesPerPage < ids.count {
                let range = (page * Self.tracesPerPage)..<min(ids.count, (page + 1) * Self.tracesPerPage)
                let value = TraceTable.encodePage(ids: ids[range], firsts: firsts[range], lasts: lasts[range])
                for byte in value { hasher.add(byte) }
                pages.append(value)
                page += 1
            }
            tables[index].numbers = numbers
            tables[index].firstByNumber = firsts
            tables[index].hash = hasher.value
            let set = sets[tables[index].set]
            for (number, value) in pages.enumerated() {
                output.append(
                    .init(
                        bucket: set.bucket, key: Keys.traceTablePage(tenant: set.tenant[...], hash: hasher.value, page: UInt32(number)),
                        value: value))
            }
        }

        // Each group's entries, sorted by (slot, number, duration), highest first, and cut into lists per slot. An entry
        // is `slot << 32 | number` (a slot, start / 60 s, stays below 2^32), with its duration in duration groups; the
        // slot and the group's tenant and bucket give the table.
        var keys: [UInt64] = []  // complemented: see the sort
        var timed: [(key: UInt64, duration: UInt64)] = []
        var list: [TracePosting] = []
        for (index, group) in groups.enumerated() where setOf[index] >= 0 {
            keys.removeAll(keepingCapacity: true)
            timed.removeAll(keepingCapacity: true)
            for position in starts[index]..<starts[index + 1] {
                let span = Int(byGroup[position])
                let table = Int(tableOfSpan[span])
                let key = tables[table].slot << 32 | UInt64(tables[table].numbers[Int(traceOfSpan[span])])
                if group.withDurations { timed.append((key, spans[span].durationNanos)) } else { keys.append(~key) }
            }
            if group.withDurations {
                timed.sort { $0.key != $1.key ? $0.key > $1.key : $0.duration > $1.duration }
            } else {
                keys.sort()  // ascending complements: highest keys first, with the plain `<` (no comparison closure)
            }
            let count = group.withDurations ? timed.count : keys.count
            let prefix = arena[group.prefixOffset..<(group.prefixOffset + group.prefixLength)]
            var first = 0
            while first < count {
                let slot = (group.withDurations ? timed[first].key : ~keys[first]) >> 32
                guard let tableNumber = tableIndex[SlotKey(set: setOf[index], slot: slot)] else { preconditionFailure("slot without a table") }
                let table = tables[tableNumber]
                list.removeAll(keepingCapacity: true)
                var next = first
                while next < count, list.count < PostingList.maxEntries {
                    let key = group.withDurations ? timed[next].key : ~keys[next]
                    guard key >> 32 == slot else { break }
                    let entry = TracePosting(number: key & 0xFFFF_FFFF, durationNanos: group.withDurations ? timed[next].duration : 0)
                    if list.last != entry { list.append(entry) }  // repeats removed
                    next += 1
                }
                var value: [UInt8] = []
                var listKey = Array(prefix)
                if list.count < PostingList.minOwnKeyEntries {  // a small list: a segment of its slot's list
                    PostingList.encodeSlotSegment(list[...], withDurations: group.withDurations, table: table.hash, into: &value)
                    // The slot's last nanosecond (saturated: a start near UInt64.max has a slot ending past it).
                    let slotStart = table.slot * Keys.postingSlotNanos
                    let slotLast = slotStart > .max - (Keys.postingSlotNanos - 1) ? .max : slotStart + (Keys.postingSlotNanos - 1)
                    Keys.appendUInt64(slotLast, to: &listKey)
                    output.append(.init(bucket: group.bucket, key: listKey, value: value, isMerge: true))
                } else {
                    PostingList.encodePerTrace(list[...], withDurations: group.withDurations, table: table.hash, into: &value)
                    Keys.appendUInt64(table.firstByNumber[Int(list[0].number)], to: &listKey)
                    Keys.appendUInt64(PostingList.hash(value), to: &listKey)
                    output.append(.init(bucket: group.bucket, key: listKey, value: value))
                }
                first = next
            }
        }
    }
}

/// The groups `PostingGroups.addPostings` posted a process's tags to, kept for the next span of the same process
/// instance. It keeps the process, so the tags buffer it is recognised by stays allocated.
struct ProcessTagGroups {
    fileprivate var process: Process?
    fileprivate var tenant = ""
    fileprivate var bucket = BucketRef(start: .max, width: 0)
    fileprivate var groups: [Int] = []

    init() {}
}
