import SpoorModel

extension PostingGroups {
    /// The version of journal values that hold postings (`IndexJournal` version 1, written by the previous release).
    static let journalVersion: UInt8 = 1

    /// Version 1 journal values, as the previous release wrote them:
    /// ```
    /// value := [version:u8 = 1] [groups:varint] groups × group
    /// group := [bucketStart:varint] [bucketWidth:varint] [withDurations:u8] [prefix length:varint] [prefix]
    ///          [count:varint] count × ([start:u64 BE] [trace id:16] [duration:varint])
    /// ```
    /// Adds the groups of a version 1 journal value, one lookup per group. Nothing is added when the value is
    /// corrupt: a first pass only checks the value, the second adds it.
    mutating func absorbJournal(_ value: UnsafeRawBufferPointer) throws(StorageError) {
        var buffer: [Posting] = []
        try Self.walkJournal(value, postings: &buffer) { _, _, _, _ in }
        try Self.walkJournal(value, postings: &buffer) { bucket, withDurations, prefix, postings in
            let group = self.group(bucket: bucket, withDurations: withDurations, prefix: prefix, hash: Self.hash(bucket, prefix))
            for posting in postings { append(span: appendSpan(posting), to: group) }
        }
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
