import SpoorModel

/// One entry of an index posting list: a span's start, its trace and (in duration lists) its duration.
package struct Posting: Hashable, Sendable {
    package var start: UInt64
    package var traceID: TraceID
    package var durationNanos: UInt64

    package init(start: UInt64, traceID: TraceID, durationNanos: UInt64 = 0) {
        self.start = start
        self.traceID = traceID
        self.durationNanos = durationNanos
    }

    /// Newest first, then by trace id and duration, descending (a total order, so encoding is deterministic).
    static func newerFirst(_ a: Posting, _ b: Posting) -> Bool {
        if a.start != b.start { return a.start > b.start }
        if a.traceID != b.traceID { return (a.traceID.high, a.traceID.low) > (b.traceID.high, b.traceID.low) }
        return a.durationNanos > b.durationNanos
    }
}

/// The value of an index posting-list key: every (start, trace) of one index key written in one request and one
/// time slot, newest first.
///
/// ```
/// value := [version:u8 = 1] [count:varint] count × entry
/// entry := [previous start − start: varint]  (the first entry's "previous" is the key's maxStart, so it is 0)
///          [trace id: 16 bytes, high then low, big-endian]
///          [duration: varint]                 (duration lists only)
/// ```
/// Pure and bounds-checked: a corrupt value throws, it never traps or over-allocates.
package enum PostingList {
    static let version: UInt8 = 1
    /// Entries per list; a request with more is split into several keys.
    package static let maxEntries = 4096
    /// Smallest encoded entry (1-byte delta + trace id), which bounds `count` before allocating.
    static let minEntryBytes = 17

    /// Encodes entries already sorted with `Posting.newerFirst` and free of duplicates.
    static func encode(_ postings: ArraySlice<Posting>, withDurations: Bool, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + 2 + postings.count * (withDurations ? 21 : 18))
        out.append(version)
        StoredSpanCodec.putVarint(UInt64(postings.count), &out)
        var previous = postings.first?.start ?? 0
        for posting in postings {
            StoredSpanCodec.putVarint(previous - posting.start, &out)
            previous = posting.start
            Keys.appendTraceID(posting.traceID, to: &out)
            if withDurations { StoredSpanCodec.putVarint(posting.durationNanos, &out) }
        }
    }

    /// Decodes a list whose key carries `maxStart`, appending its entries to `postings`.
    package static func decode(
        _ value: UnsafeRawBufferPointer, maxStart: UInt64, withDurations: Bool, into postings: inout [Posting]
    ) throws(StorageError) {
        var reader = ValueReader(value)
        guard try reader.byte() == version else { throw .corrupt("posting list version") }
        let count = try reader.varint()
        guard count <= UInt64(reader.remaining / minEntryBytes) else { throw .corrupt("posting list count exceeds value") }
        postings.reserveCapacity(postings.count + Int(count))
        var start = maxStart
        for _ in 0..<count {
            let delta = try reader.varint()
            guard delta <= start else { throw .corrupt("posting list start underflows") }
            start -= delta
            let high = try reader.bigEndian64()
            let low = try reader.bigEndian64()
            let duration = withDurations ? try reader.varint() : 0
            postings.append(Posting(start: start, traceID: TraceID(high: high, low: low), durationNanos: duration))
        }
        guard reader.remaining == 0 else { throw .corrupt("posting list trailing bytes") }
    }

    /// FNV-1a (64-bit) of an encoded list: the key suffix that keeps lists apart, while a request sent twice writes
    /// the same key and value again instead of a second copy.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
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
