import SpoorModel

extension SpanStore {
    /// Copies every live span of a trace into the archive family, which retention never touches.
    /// - Returns: the number of spans archived (0 when the trace is in no live bucket).
    @discardableResult
    package func archive(tenant: String, traceID: TraceID) throws(StorageError) -> Int {
        let prefix = Keys.spanPrefix(tenant: tenant, traceID: traceID)
        let upper = Keys.upperBound(of: prefix)
        let batch: WriteBatch
        do {
            batch = try WriteBatch()
        } catch {
            throw .rocks(error)
        }
        var copied = 0
        var issued: [[UInt8]: UInt64] = [:]
        // Chunks that share their bucket's names are written again self-contained (version 2): the archive outlives
        // the bucket and its names.
        var encoder = SpanChunkEncoder()
        var spans: [Span] = []
        let offset = prefix.count
        for bucket in allBuckets {
            var names: SharedNames? = nil
            do {
                // Other records are copied as they are: the same record archived twice overwrites itself.
                try database.scan(bucket.family, lower: prefix, upper: upper) { key, value in
                    guard value.first == SpanChunkCodec.sharedNamesVersion, let start = Keys.readUInt64(key, at: offset) else {
                        batch.put(archiveFamily, key: [UInt8](key), value: [UInt8](value))
                        copied += SpanChunkCodec.spanCount(value) ?? 1
                        return true
                    }
                    spans.removeAll(keepingCapacity: true)
                    try decodeSharedChunk(
                        value, family: bucket.family, bucket: bucket.startSeconds, names: &names, traceID: traceID, chunkStart: start,
                        into: &spans)
                    let chunk = encoder.encode(spans, Array(spans.indices)[...], traceID: traceID, chunkStart: start, bucket: bucket.ref)
                    let key = Self.uniqueChunkKey(tenant: tenant, traceID: traceID, chunkStart: start, value: chunk, issued: &issued)
                    batch.put(archiveFamily, key: key, value: chunk)
                    copied += spans.count
                    return true
                }
            } catch {
                throw StorageError.wrapping(error)
            }
        }
        guard copied > 0 else { return 0 }
        do {
            try database.write(batch, sync: configuration.syncWrites)
        } catch {
            throw .rocks(error)
        }
        return copied
    }

    /// The archived spans of a trace, by start time and span id; empty when it was never archived.
    package func archivedTrace(tenant: String, traceID: TraceID) throws(StorageError) -> [Span] {
        var spans: [Span] = []
        try readSpans(archiveFamily, bucket: nil, tenant: tenant, traceID: traceID, into: &spans)
        return Self.inStartOrder(spans)
    }
}
