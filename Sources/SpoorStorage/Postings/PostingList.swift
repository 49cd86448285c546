import SpoorModel

/// One entry of an index posting list: a span's start, its trace and (in duration lists) its duration.
package struct Posting: Hashable, Sendable {
    package var start: UInt64
    package var traceID: TraceID
    package var durationNanos: UInt64
    /// The latest start of the spans of its trace this posting stands for: a pending posting keeps the earliest start
    /// of the repeats it stands for (same key, trace and slot, see `PostingGroups.addPrefix`) in `start`. Equal to
    /// `start` otherwise.
    package var lastStart: UInt64

    package init(start: UInt64, traceID: TraceID, durationNanos: UInt64 = 0, lastStart: UInt64? = nil) {
        self.start = start
        self.traceID = traceID
        self.durationNanos = durationNanos
        self.lastStart = max(start, lastStart ?? start)
    }

    /// True when `[start, lastStart]` overlaps `[startMin, startMax]`: one of the spans the posting stands for may
    /// start in the window.
    package func overlaps(_ startMin: UInt64, _ startMax: UInt64) -> Bool {
        start <= startMax && lastStart >= startMin
    }

    /// Newest first, then by trace id and duration, descending (a total order, so encoding is deterministic).
    static func newerFirst(_ a: Posting, _ b: Posting) -> Bool {
        if a.start != b.start { return a.start > b.start }
        if a.traceID != b.traceID { return (a.traceID.high, a.traceID.low) > (b.traceID.high, b.traceID.low) }
        return a.durationNanos > b.durationNanos
    }
}

/// A posting-list entry before its trace number is looked up in the list's trace table.
package struct RawPosting: Sendable {
    package var start: UInt64
    package var number: UInt64
    package var durationNanos: UInt64
}

/// A posting-list entry of a per-trace list (version 4): a trace's number in its slot table, and (in duration lists)
/// one of its durations. Its times are the table's.
package struct TracePosting: Sendable, Equatable {
    package var number: UInt64
    package var durationNanos: UInt64
}

/// The value of an index posting-list key. Traces are numbers into a trace table (`TraceTable`), so a posting costs a
/// few bytes instead of a 16-byte trace id.
///
/// ```
/// value := [version:u8] [table: u64 BE, the TraceTable key's hash] [count:varint] count × entry
/// v2, v3: one entry per span start, newest first:
///   entry := [previous start − start: varint]  (the first entry's "previous" is the key's maxStart, so it is 0)
///            [trace number in the table: varint]   (v2; v3: zigzag varint of the difference to the previous
///                                                   entry's number, the first from 0)
///            [duration: varint]                 (duration lists only)
/// v4: one entry per trace (and, in duration lists, per distinct duration), by trace number, highest first:
///   entry := [number: varint]   (the first entry's number, then the previous number minus this one, ≥ 0)
///            [duration: varint] (duration lists only)
/// v5 (a slot list, `tenant type … [slotEnd − 1: u64 BE]`): the v4 lists of its slot with fewer than
/// `minOwnKeyEntries` entries, one segment per index flush, written as merge operands and concatenated by RocksDB:
///   value   := [version:u8 = 5] segment…
///   segment := [table: u64 BE] [count:varint] count × entry (as v4)
/// ```
/// Version 2 lists (one request's) number traces in one table value (`tenant 0x11 hash`); version 3 lists (a flush
/// of the pending index) in a paged table, trace n on page n / `PostingGroups.tracesPerPage`
/// (`tenant 0x11 hash page`). Version 4 lists (a flush since per-trace postings) number the traces of one time slot
/// in a paged slot table (`TraceTable.encodePage`), which holds each trace's first and last start in the slot: a
/// trace is one entry per list however many of its spans share the index key, and a scan reads its times from the
/// table.
/// Pure and bounds-checked: a corrupt value throws, it never traps or over-allocates.
package enum PostingList {
    static let version: UInt8 = 2
    static let pagedVersion: UInt8 = 3
    static let perTraceVersion: UInt8 = 4
    static let slotVersion: UInt8 = 5
    /// Lists of fewer entries are written as segments of their slot's list (version 5), merged by RocksDB, rather than
    /// as keys of their own: a sparse key (a tag value seen once per flush) then costs one key per slot, not one per
    /// flush.
    static let minOwnKeyEntries = 64

    /// How a list's entries number their traces.
    package enum Format: Sendable {
        /// v2: one table value, one entry per span start.
        case whole
        /// v3: a paged table, one entry per span start.
        case paged
        /// v4: a paged slot table with times, one entry per trace.
        case perTrace
    }
    /// Entries per list; a request with more is split into several keys.
    package static let maxEntries = 4096
    /// Smallest encoded entry (1-byte delta + 1-byte trace number), which bounds `count` before allocating.
    static let minEntryBytes = 2

    /// The hash of the trace table a list refers to, and how the list numbers its traces.
    package static func header(of value: UnsafeRawBufferPointer) throws(StorageError) -> (table: UInt64, format: Format) {
        var reader = ValueReader(value)
        let format: Format
        switch try reader.byte() {
        case version: format = .whole
        case pagedVersion: format = .paged
        case perTraceVersion: format = .perTrace
        default: throw .corrupt("posting list version")  // v5 slot lists have no single header: `decodeSegments`
        }
        return (try reader.bigEndian64(), format)
    }

    /// Encodes a version 4 list: `entries` sorted by number, highest first (then by duration), without repeats.
    static func encodePerTrace(_ entries: ArraySlice<TracePosting>, withDurations: Bool, table: UInt64, into out: inout [UInt8]) {
        out.append(perTraceVersion)
        encodeSegment(entries, withDurations: withDurations, table: table, into: &out)
    }

    /// Encodes one segment of a version 5 slot list (a merge operand: RocksDB concatenates a slot's operands).
    static func encodeSlotSegment(_ entries: ArraySlice<TracePosting>, withDurations: Bool, table: UInt64, into out: inout [UInt8]) {
        out.append(slotVersion)
        encodeSegment(entries, withDurations: withDurations, table: table, into: &out)
    }

    /// `[table: u64 BE] [count:varint] count × entry`, as v4 entries.
    private static func encodeSegment(_ entries: ArraySlice<TracePosting>, withDurations: Bool, table: UInt64, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + 10 + entries.count * (withDurations ? 6 : 3))
        Keys.appendUInt64(table, to: &out)
        StoredSpanCodec.putVarint(UInt64(entries.count), &out)
        var previous = entries.first.map { $0.number * 2 } ?? 0  // the first entry writes its number itself
        for entry in entries {
            StoredSpanCodec.putVarint(previous - entry.number, &out)
            previous = entry.number
            if withDurations { StoredSpanCodec.putVarint(entry.durationNanos, &out) }
        }
    }

    /// Decodes a version 4 list's entries, highest number first.
    package static func decodePerTrace(
        _ value: UnsafeRawBufferPointer, withDurations: Bool, into entries: inout [TracePosting]
    ) throws(StorageError) {
        var reader = ValueReader(value)
        guard try reader.byte() == perTraceVersion else { throw .corrupt("posting list version") }
        _ = try decodeSegment(&reader, withDurations: withDurations, into: &entries)
        guard reader.remaining == 0 else { throw .corrupt("posting list trailing bytes") }
    }

    /// Decodes a version 5 slot list: every segment's entries, appended to `entries`, and each segment's table and
    /// end (an index into `entries`), in the order the flushes wrote them.
    package static func decodeSlotList(
        _ value: UnsafeRawBufferPointer, withDurations: Bool, into entries: inout [TracePosting],
        segments: inout [(table: UInt64, end: Int)]
    ) throws(StorageError) {
        var reader = ValueReader(value)
        guard try reader.byte() == slotVersion else { throw .corrupt("posting list version") }
        while reader.remaining > 0 {
            let table = try decodeSegment(&reader, withDurations: withDurations, into: &entries)
            segments.append((table, entries.count))
        }
    }

    /// Decodes a per-trace list, v4 (one segment) or v5 (a segment per flush), into `entries` and each segment's
    /// table and end; false, with nothing decoded, for a v2 or v3 list.
    package static func decodeSegments(
        _ value: UnsafeRawBufferPointer, withDurations: Bool, into entries: inout [TracePosting],
        segments: inout [(table: UInt64, end: Int)]
    ) throws(StorageError) -> Bool {
        switch value.first {
        case slotVersion:
            try decodeSlotList(value, withDurations: withDurations, into: &entries, segments: &segments)
        case perTraceVersion:
            let table = try header(of: value).table
            try decodePerTrace(value, withDurations: withDurations, into: &entries)
            segments.append((table, entries.count))
        default:
            return false
        }
        return true
    }

    /// Decodes one segment, returning its table.
    private static func decodeSegment(
        _ reader: inout ValueReader, withDurations: Bool, into entries: inout [TracePosting]
    ) throws(StorageError) -> UInt64 {
        let table = try reader.bigEndian64()
        let count = try reader.varint()
        guard count <= UInt64(reader.remaining / (withDurations ? 2 : 1)) else { throw .corrupt("posting list count exceeds value") }
        entries.reserveCapacity(entries.count + Int(count))
        var number: UInt64 = 0
        for index in 0..<count {
            let delta = try reader.varint()
            if index == 0 {
                guard delta <= UInt64(UInt32.max) else { throw .corrupt("posting list trace number out of range") }
                number = delta
            } else {
                guard delta <= number else { throw .corrupt("posting list trace number out of range") }
                number -= delta
            }
            let duration = withDurations ? try reader.varint() : 0
            entries.append(TracePosting(number: number, durationNanos: duration))
        }
        return table
    }

    /// The merge of a slot list's operands (and existing value): one version byte, then every part's segments in
    /// order, a segment equal to an earlier one left out (a flush of the same postings again: the same table, the same
    /// bytes). Only segments that decode are kept: a part that is not a slot list is left out, and so is the rest of a
    /// part from its first corrupt segment on, so one bad operand cannot make the slot's list unreadable.
    static func mergeSlotLists(_ parts: [UnsafeRawBufferPointer], withDurations: Bool) -> [UInt8] {
        var out: [UInt8] = [slotVersion]
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var kept: [UInt64: [Range<Int>]] = [:]  // the segments in `out`, by the hash of their bytes
        var scratch: [TracePosting] = []
        for part in parts where part.first == slotVersion {
            let body = UnsafeRawBufferPointer(rebasing: part.dropFirst())
            var reader = ValueReader(body)
            while reader.remaining > 0 {
                let begin = body.count - reader.remaining
                scratch.removeAll(keepingCapacity: true)
                guard (try? decodeSegment(&reader, withDurations: withDurations, into: &scratch)) != nil else { break }
                let segment = UnsafeRawBufferPointer(rebasing: body[begin..<(body.count - reader.remaining)])
                var hasher = FNV1a64()
                for byte in segment { hasher.add(byte) }
                if kept[hasher.value]?.contains(where: { out[$0].elementsEqual(segment) }) == true { continue }
                kept[hasher.value, default: []].append(out.count..<(out.count + segment.count))
                out.append(contentsOf: segment)
            }
        }
        return out
    }

    /// Decodes a list's entries with their trace numbers unresolved, so a scan resolves only the entries it visits.
    package static func decodeRaw(
        _ value: UnsafeRawBufferPointer, maxStart: UInt64, withDurations: Bool, into entries: inout [RawPosting]
    ) throws(StorageError) {
        var reader = ValueReader(value)
        let found = try reader.byte()
        guard found == version || found == pagedVersion else { throw .corrupt("posting list version") }
        _ = try reader.bigEndian64()
        let count = try reader.varint()
        guard count <= UInt64(reader.remaining / minEntryBytes) else { throw .corrupt("posting list count exceeds value") }
        entries.reserveCapacity(entries.count + Int(count))
        var start = maxStart
        var previousNumber: Int64 = 0
        for _ in 0..<count {
            let delta = try reader.varint()
            guard delta <= start else { throw .corrupt("posting list start underflows") }
            start -= delta
            let number: UInt64
            if found == pagedVersion {
                let (next, overflow) = previousNumber.addingReportingOverflow(try reader.zigzag())
                guard !overflow, next >= 0, next <= Int64(UInt32.max) else { throw .corrupt("posting list trace number out of range") }
                previousNumber = next
                number = UInt64(next)
            } else {
                number = try reader.varint()
            }
            let duration = withDurations ? try reader.varint() : 0
            entries.append(RawPosting(start: start, number: number, durationNanos: duration))
        }
        guard reader.remaining == 0 else { throw .corrupt("posting list trailing bytes") }
    }

    /// FNV-1a (64-bit): the key suffix of lists and trace tables. It keeps them apart, while a request sent twice
    /// writes the same keys and values again instead of second copies.
    static func hash(_ bytes: [UInt8]) -> UInt64 { FNV1a64.hash(bytes) }
}

/// The trace ids a posting list numbers: one request's (`tenant 0x11 [hash:u64 BE]`, v2 lists), or one page of an
/// index flush's (`tenant 0x11 [hash:u64 BE] [page:u32 BE]`, v3 lists), or one page of a flush's slot table (v4
/// lists), whose entries also carry the trace's first and last span start among the slot's postings.
///
/// ```
/// value := [version:u8 = 1] [count:varint] count × [trace id: 16 bytes, high then low, big-endian]
/// page  := [version:u8 = 2] [count:varint] count × ([trace id: 16] [first − previous entry's first: varint]
///          [last − first: varint])     (the first entry's "previous first" is 0; firsts never decrease)
/// ```
package enum TraceTable {
    static let version: UInt8 = 1
    static let timedVersion: UInt8 = 2

    /// One decoded page: ids, and for a timed page each entry's first and last start (empty otherwise).
    package struct Page: Sendable {
        package var ids: [TraceID] = []
        package var firsts: [UInt64] = []
        package var lasts: [UInt64] = []
        /// True for a slot table's page (version 2), which has times.
        package var timed = false
    }

    /// Encodes a timed page; `firsts` must not decrease and each `lasts[i] ≥ firsts[i]`.
    static func encodePage(ids: ArraySlice<TraceID>, firsts: ArraySlice<UInt64>, lasts: ArraySlice<UInt64>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + ids.count * 22)
        out.append(timedVersion)
        StoredSpanCodec.putVarint(UInt64(ids.count), &out)
        var previous: UInt64 = 0
        for (id, (first, last)) in zip(ids, zip(firsts, lasts)) {
            Keys.appendTraceID(id, to: &out)
            StoredSpanCodec.putVarint(first - previous, &out)
            StoredSpanCodec.putVarint(last - first, &out)
            previous = first
        }
        return out
    }

    /// Decodes a page of either version.
    package static func decodePage(_ value: UnsafeRawBufferPointer) throws(StorageError) -> Page {
        guard let version = value.first else { throw .corrupt("trace table version") }
        if version == Self.version { return Page(ids: try decode(value)) }
        var reader = ValueReader(value)
        guard try reader.byte() == timedVersion else { throw .corrupt("trace table version") }
        let count = try reader.varint()
        guard count <= UInt64(reader.remaining / 18) else { throw .corrupt("trace table count exceeds value") }
        var page = Page(timed: true)
        page.ids.reserveCapacity(Int(count))
        page.firsts.reserveCapacity(Int(count))
        page.lasts.reserveCapacity(Int(count))
        var first: UInt64 = 0
        for _ in 0..<count {
            let high = try reader.bigEndian64()
            page.ids.append(TraceID(high: high, low: try reader.bigEndian64()))
            let (next, overflow) = first.addingReportingOverflow(try reader.varint())
            let (last, lastOverflow) = next.addingReportingOverflow(try reader.varint())
            guard !overflow, !lastOverflow else { throw .corrupt("trace table start overflows") }
            first = next
            page.firsts.append(first)
            page.lasts.append(last)
        }
        guard reader.remaining == 0 else { throw .corrupt("trace table trailing bytes") }
        return page
    }

    package static func decode(_ value: UnsafeRawBufferPointer) throws(StorageError) -> [TraceID] {
        var reader = ValueReader(value)
        guard try reader.byte() == version else { throw .corrupt("trace table version") }
        let count = try reader.varint()
        guard count <= UInt64(reader.remaining / 16) else { throw .corrupt("trace table count exceeds value") }
        var ids: [TraceID] = []
        ids.reserveCapacity(Int(count))
        for _ in 0..<count {
            let high = try reader.bigEndian64()
            ids.append(TraceID(high: high, low: try reader.bigEndian64()))
        }
        guard reader.remaining == 0 else { throw .corrupt("trace table trailing bytes") }
        return ids
    }
}

/// Duration classes of the duration index: four per power of two, monotonic in the duration, 0...255.
package enum DurationClass {
    /// The class of a duration: exact below 4 ns, then the binary exponent and the next two bits.
    package static func of(_ nanos: UInt64) -> UInt8 {
        if nanos < 4 { return UInt8(nanos) }
        let exponent = 63 - nanos.leadingZeroBitCount  // ≥ 2
        let sub = (nanos >> UInt64(exponent - 2)) & 3
        return UInt8(exponent * 4 + Int(sub))
    }
}
