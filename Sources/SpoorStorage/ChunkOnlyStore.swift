import SpoorModel

/// The least a durable span store with Spoor's trace layout does, for `spoor bench-ingest --floor` and
/// `spoor bench-serve-floor`: each request's spans
/// become one chunk record per trace, made as `SpanStore.prepare` makes them (the same encoder with the bucket's shared
/// names, the same keys, the new names' entries in the same batch, entries in key order) and written in one RocksDB
/// batch through the WAL, with the same column family options. No index, rollup, summary, catalog or dependency work.
///
/// `write` may run on several threads at once: each call has its own encoder and batch, the shared names are behind
/// `ChunkNames`'s mutex, and a call that uses a name not yet durable carries that name's entry in its own batch.
package final class ChunkOnlyStore: Sendable {
    let database: RocksDatabase
    let family: ColumnFamily
    private let names = ChunkNames()
    /// One bucket for everything: shared names are per bucket (its bounds matter nowhere here).
    static let bucket = BucketRef(start: 0, width: 3_600)

    package init(path: String, tuning: StorageTuning = StorageTuning()) throws(RocksError) {
        database = try RocksDatabase(path: path, tuning: tuning, mergeOperator: nil)
        family = try database.columnFamilyCreatingIfNeeded("chunks")
    }

    /// Stores `spans` as one chunk per trace (at most `SpanChunkCodec.maxSpans` spans each) in one batch; returns the
    /// chunk records written.
    @discardableResult
    package func write(tenant: String, spans: [Span]) throws(RocksError) -> Int {
        var chunkOf: [TraceID: Int] = [:]
        var chunks: [(traceID: TraceID, spans: [Int], start: UInt64)] = []
        for (index, span) in spans.enumerated() {
            if let chunk = chunkOf[span.traceID], chunks[chunk].spans.count < SpanChunkCodec.maxSpans {
                chunks[chunk].spans.append(index)
                chunks[chunk].start = min(chunks[chunk].start, span.startTimeUnixNanos)
            } else {
                chunkOf[span.traceID] = chunks.count
                chunks.append((span.traceID, [index], span.startTimeUnixNanos))
            }
        }
        var encoder = SpanChunkEncoder(names: names)
        var entries: [PreparedWrite.Entry] = []
        entries.reserveCapacity(chunks.count)
        for chunk in chunks {
            let value = encoder.encode(spans, chunk.spans[...], traceID: chunk.traceID, chunkStart: chunk.start, bucket: Self.bucket)
            let key = Keys.spanChunk(tenant: tenant, traceID: chunk.traceID, chunkStart: chunk.start, contentHash: SpanStore.chunkHash(value))
            entries.append(.init(bucket: Self.bucket, key: key, value: value, spanCount: chunk.spans.count))
        }
        let pendingNames = encoder.pendingNames
        entries.append(contentsOf: pendingNames.map(PreparedWrite.Entry.init(sharedName:)))
        let batch = try WriteBatch()
        for entry in PreparedWrite.Entry.sortedInBatchOrder(entries) { batch.put(family, key: entry.key, value: entry.value) }
        try database.write(batch, sync: false)
        names.markDurable(pendingNames)
        return chunks.count
    }

    /// The shared names chunks refer to, for reading them back.
    func sharedNames() -> SharedNames { names.names(bucket: Self.bucket.start) }

    package func close() { database.close() }
}
