import CRocksDB

/// A RocksDB prefix extractor whose prefix is `tenant 0x10 traceID` for span keys: the bloom filters of every SST then
/// also hold the trace prefixes, so reading a trace skips the files (and buckets) that have none of its spans.
///
/// Every other key is outside the domain, so index scans keep total-order iteration and get no prefix filtering.
/// Span reads always stay inside one trace's prefix (their upper bound is the prefix's upper bound), as prefix
/// seeks require.
enum TracePrefixExtractor {
    /// Length of the trace prefix of a span key, or nil when the key is not a span key.
    static func prefixLength(_ key: UnsafeRawBufferPointer) -> Int? {
        guard let tenantLength = key.first else { return nil }
        let typeOffset = Int(tenantLength) + 1
        let length = typeOffset + 1 + 16
        guard key.count >= length, key[typeOffset] == Keys.spanTag else { return nil }
        return length
    }

    static func make() -> OpaquePointer? {
        rocksdb_slicetransform_create(
            nil, { _ in },
            { _, key, length, dstLength in
                let prefix = key.flatMap { TracePrefixExtractor.prefixLength(UnsafeRawBufferPointer(start: $0, count: length)) }
                dstLength?.pointee = prefix ?? length
                return UnsafeMutablePointer(mutating: key)
            },
            { _, key, length in
                guard let key else { return 0 }
                return TracePrefixExtractor.prefixLength(UnsafeRawBufferPointer(start: key, count: length)) == nil ? 0 : 1
            },
            { _, _, _ in 0 },
            { _ in TracePrefixExtractor.name }
        )
    }

    private static let nameLiteral: StaticString = "spoor.trace-prefix.v1"
    private static var name: UnsafePointer<CChar> {
        UnsafeRawPointer(nameLiteral.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
