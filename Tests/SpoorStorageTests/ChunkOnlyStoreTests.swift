import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// `ChunkOnlyStore` is the floor `spoor bench-ingest --floor` measures: it must do the real work of storing spans.
struct ChunkOnlyStoreTests {
    @Test func everySpanIsStoredInChunkRecordsOfItsTrace() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try ChunkOnlyStore(path: dir.path)
        defer { store.close() }
        // Two small traces interleaved, and one long enough to take two chunks.
        var spans: [Span] = []
        for index in 0..<6 {
            spans.append(
                SpanBuilder.span(
                    trace: UInt64(1 + index % 2), span: UInt64(100 + index), service: "s\(index % 3)",
                    startMicros: 1_700_000_000_000_000 + UInt64(index), tags: [.string("k", "v\(index)")]))
        }
        let long = SpanChunkCodec.maxSpans + 10
        for index in 0..<long {
            spans.append(SpanBuilder.span(trace: 3, span: UInt64(1_000 + index), startMicros: 1_700_000_000_000_000 + UInt64(index)))
        }
        #expect(try store.write(tenant: "t", spans: spans) == 4)

        var read: [Span] = []
        var records = 0
        var nameRecords = 0
        try store.database.scan(store.family, lower: [], upper: [UInt8](repeating: 0xFF, count: 64)) { key, value in
            if Keys.chunkName(0).count == key.count, key[0] == 0, key[1] == Keys.chunkNameTag {
                nameRecords += 1  // a shared name, read back through `sharedNames`
                return true
            }
            let parsed = try #require(Keys.parseSpanChunk(key))
            #expect(parsed.tenant == "t")
            var chunk: [Span] = []
            try SpanChunkCodec.decode(value, traceID: parsed.traceID, chunkStart: parsed.chunkStart, names: store.sharedNames(), into: &chunk)
            #expect(chunk.allSatisfy { $0.traceID == parsed.traceID })
            #expect(chunk.map(\.startTimeUnixNanos).min() == parsed.chunkStart)
            read += chunk
            records += 1
            return true
        }
        #expect(records == 4)
        // The chunks refer to the bucket's shared names, as SpanStore's do, and the names are stored beside them.
        #expect(nameRecords > 0)
        #expect(nameRecords == store.sharedNames().count)
        #expect(read.count == spans.count)
        let key = { (span: Span) in "\(span.traceID.low)/\(span.spanID.value)/\(span.process.serviceName)/\(span.tags.count)" }
        #expect(Set(read.map(key)) == Set(spans.map(key)))
    }
}
