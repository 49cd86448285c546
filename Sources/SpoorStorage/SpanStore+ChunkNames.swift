import SpoorModel

extension SpanStore {
    /// Decodes a chunk that refers to its bucket's shared names. The names are taken once the chunk has been read
    /// (every name a readable chunk uses was numbered before its batch was written); should a ref still miss (the
    /// bucket being dropped meanwhile), the names are read from the family itself.
    func decodeSharedChunk(
        _ value: UnsafeRawBufferPointer, family: ColumnFamily, bucket: UInt64?, names: inout SharedNames?, traceID: TraceID,
        chunkStart: UInt64, into spans: inout [Span]
    ) throws(StorageError) {
        if names == nil { names = bucket.map { chunkNames.names(bucket: $0) } ?? SharedNames() }
        let count = spans.count
        do {
            try SpanChunkCodec.decode(value, traceID: traceID, chunkStart: chunkStart, names: names!, into: &spans)
            return
        } catch {
            spans.removeSubrange(count...)
            guard case .corrupt(let message) = error, message == SpanChunkCodec.unknownSharedName else { throw error }
        }
        names = SharedNames(numbered: try Self.readChunkNames(database, family))
        try SpanChunkCodec.decode(value, traceID: traceID, chunkStart: chunkStart, names: names!, into: &spans)
    }

    /// Every stored shared name of a family, with its number (`SharedNames(numbered:)` bounds the numbers).
    static func readChunkNames(_ database: RocksDatabase, _ family: ColumnFamily) throws(StorageError) -> [(UInt32, String)] {
        let prefix = Keys.storeKeyPrefix(Keys.chunkNameTag)
        var stored: [(UInt32, String)] = []
        do {
            try database.scan(family, lower: prefix, upper: Keys.upperBound(of: prefix)) { key, value in
                if let number = Keys.parseChunkName(key) {
                    stored.append((number, String(decoding: value, as: UTF8.self)))
                }
                return true
            }
        } catch {
            throw .corrupt("chunk names of \(family.name): \(error)")
        }
        return stored
    }
}

extension PreparedWrite.Entry {
    /// The stored entry of a shared name a write carries: `Keys.chunkName`, the text as UTF-8, in the name's bucket.
    init(sharedName name: ChunkNames.Pending) {
        self.init(bucket: name.bucket, key: Keys.chunkName(name.number), value: Array(name.name.utf8))
    }
}
