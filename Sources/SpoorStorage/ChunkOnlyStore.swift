import SpoorModel

/// The least a durable span store does, for `spoor bench-ingest --floor`: each request's spans become one chunk record
/// per trace (the same encoder and key as `SpanStore`, self-contained names), written in one RocksDB batch through the
/// WAL, with the same column family options. No index, rollup, summary, catalog or dependency work: what it costs per
/// span bounds what any ingest with the same durability and trace-by-id layout can reach on a machine.
package final class ChunkOnlyStore {
    let database: RocksDatabase
    let family: ColumnFamily

    package init(path: String, tuning: StorageTuning = StorageTuning()) throws(RocksError) {
        database = try RocksDatabase(path: path, tuning: tuning, mergeOperator: nil)
        family = try database.columnFamilyCreatingIfNeeded("chunks")
    }

    /// Stores `spans` as one chunk per trace (in first-seen order, at most `SpanChunkCodec.maxSpans` spans each) in one
    /// batch; returns the chunks written.
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
        var encoder = SpanChunkEncoder()
        let batch = try WriteBatch()
        for chunk in chunks {
            let value = encoder.encode(
                spans, chunk.spans[...], traceID: chunk.traceID, chunkStart: chunk.start, bucket: BucketRef(start: 0, width: 0),
                share: false)
            let key = Keys.spanChunk(tenant: tenant, traceID: chunk.traceID, chunkStart: chunk.start, contentHash: SpanStore.chunkHash(value))
            batch.put(family, key: key, value: value)
        }
        try database.write(batch, sync: false)
        return chunks.count
    }

    package func close() { database.close() }
}
