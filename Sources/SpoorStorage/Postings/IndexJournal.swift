/// The index journal value stored with each request's spans under `0x00 0x04 sequence` (catalog family), until an
/// index flush writes the request's postings as posting lists and deletes it.
///
/// Versions 2 and 3 name the span chunks the request wrote; a replay reads them back and derives their postings
/// (`PostingGroups.addPostings`), so the journal costs a few dozen bytes per trace, not the postings themselves:
/// ```
/// value := [version:u8 = 3] [count:varint] count × ([bucketStart:varint] [bucketWidth:varint] [key length:varint] [key])
/// ```
/// Version 3 (written now) also leaves the chunks' trace summaries pending (`PendingSummaries`), so a replay derives
/// them too; version 2 values (an earlier release) were written with their summaries. Version 1 values hold the
/// postings (`PostingGroups.absorbJournal`).
enum IndexJournal {
    /// Chunk references whose summaries were written with the chunks.
    static let chunkReferencesVersion: UInt8 = 2
    /// Chunk references whose summaries are pending until the next flush.
    static let pendingSummariesVersion: UInt8 = 3

    /// A chunk written with the journal value: its bucket and key (`Keys.spanChunk`).
    struct ChunkReference: Equatable {
        var bucket: BucketRef
        var key: [UInt8]
    }

    static func encode(_ references: [ChunkReference]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + references.reduce(0) { $0 + $1.key.count + 12 })
        out.append(pendingSummariesVersion)
        StoredSpanCodec.putVarint(UInt64(references.count), &out)
        for reference in references {
            StoredSpanCodec.putVarint(reference.bucket.start, &out)
            StoredSpanCodec.putVarint(reference.bucket.width, &out)
            StoredSpanCodec.putVarint(UInt64(reference.key.count), &out)
            out.append(contentsOf: reference.key)
        }
        return out
    }

    /// Whether `version` is a chunk-reference version (2 or 3).
    static func holdsChunkReferences(_ version: UInt8?) -> Bool {
        version == chunkReferencesVersion || version == pendingSummariesVersion
    }

    /// The references of a version 2 or 3 value; throws on anything malformed.
    static func decode(_ value: UnsafeRawBufferPointer) throws(StorageError) -> [ChunkReference] {
        var reader = ValueReader(value)
        guard holdsChunkReferences(try reader.byte()) else { throw .corrupt("index journal version") }
        let count = try reader.count()
        var references: [ChunkReference] = []
        references.reserveCapacity(count)
        for _ in 0..<count {
            let start = try reader.varint()
            let width = try reader.varint()
            guard width > 0 else { throw .corrupt("index journal bucket") }
            let key = try reader.rawBytes()
            guard key.count <= 4096 else { throw .corrupt("index journal key") }
            references.append(ChunkReference(bucket: BucketRef(start: start, width: width), key: Array(key)))
        }
        guard reader.remaining == 0 else { throw .corrupt("index journal trailing bytes") }
        return references
    }
}
