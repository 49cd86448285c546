import SpoorModel

@testable import SpoorStorage

// Writers of the index formats earlier releases wrote (v2/v3 posting lists, v1 trace tables). The server only reads
// them now; the tests write them to check that stores holding them are still searched.

extension PostingList {
    /// Encodes entries already sorted with `Posting.newerFirst` and free of duplicates; `number` gives each trace's
    /// position in the table whose hash is `table`.
    static func encode(
        _ postings: ArraySlice<Posting>, withDurations: Bool, table: UInt64, paged: Bool = false, number: (TraceID) -> UInt32,
        into out: inout [UInt8]
    ) {
        out.reserveCapacity(out.count + 10 + postings.count * (withDurations ? 9 : 5))
        out.append(paged ? pagedVersion : version)
        Keys.appendUInt64(table, to: &out)
        StoredSpanCodec.putVarint(UInt64(postings.count), &out)
        var previous = postings.first?.start ?? 0
        var previousNumber: Int64 = 0
        for posting in postings {
            StoredSpanCodec.putVarint(previous - posting.start, &out)
            previous = posting.start
            let traceNumber = Int64(number(posting.traceID))
            if paged {
                StoredSpanCodec.putZigzag(traceNumber - previousNumber, &out)
                previousNumber = traceNumber
            } else {
                StoredSpanCodec.putVarint(UInt64(traceNumber), &out)
            }
            if withDurations { StoredSpanCodec.putVarint(posting.durationNanos, &out) }
        }
    }
}

extension TraceTable {
    static func encode(_ ids: [TraceID]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + ids.count * 16)
        out.append(version)
        StoredSpanCodec.putVarint(UInt64(ids.count), &out)
        for id in ids { Keys.appendTraceID(id, to: &out) }
        return out
    }
}
