import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

struct SpanChunkCodecTests {
    static let longValue = String(repeating: "x", count: SpanChunkCodec.maxInternedBytes + 1)

    /// The rich span of `StoredSpanCodecTests`, a second one of the same trace (another service, a long string
    /// value) and a third with no optional fields.
    static let spans: [Span] = {
        let rich = StoredSpanCodecTests.rich
        var second = SpanBuilder.span(
            trace: 7, span: 4, parent: 3, service: "payments", operation: "GET /cart", startMicros: 1_700_000_000_000_100,
            tags: [.string("http.method", "GET"), .string("sql", longValue)], processTags: [.string("hostname", "h1")])
        second.references.append(SpanReference(refType: .childOf, traceID: rich.traceID, spanID: SpanID(99)))
        let bare = Span(
            traceID: rich.traceID, spanID: SpanID(5), operationName: "", references: [], flags: 0,
            startTimeUnixNanos: rich.startTimeUnixNanos, durationNanos: 0, tags: [], logs: [], process: Process(serviceName: ""),
            warnings: [])
        return [rich, second, bare]
    }()

    static let bucket = BucketRef(start: 3600, width: 3600)

    private static func encode(_ spans: [Span], encoder: inout SpanChunkEncoder, bucket: BucketRef = bucket) -> (value: [UInt8], start: UInt64) {
        let start = spans.map(\.startTimeUnixNanos).min() ?? 0
        return (encoder.encode(spans, Array(spans.indices)[...], traceID: spans[0].traceID, chunkStart: start, bucket: bucket), start)
    }

    private static func decode(_ value: [UInt8], start: UInt64, names: SharedNames = SharedNames()) throws -> [Span] {
        var spans: [Span] = []
        try value.withUnsafeBytes {
            try SpanChunkCodec.decode($0, traceID: Self.spans[0].traceID, chunkStart: start, names: names, into: &spans)
        }
        return spans
    }

    private static func occurrences(of string: String, in value: [UInt8]) -> Int {
        let text = Array(string.utf8)
        return (0...(value.count - text.count)).filter { Array(value[$0..<($0 + text.count)]) == text }.count
    }

    /// With shared names, keys, names and short values are numbers into the bucket's names; the rest stays in the chunk.
    @Test func chunksWithSharedNamesRoundTripAndCarryOnlyTheirOwnStrings() throws {
        let names = ChunkNames()
        var encoder = SpanChunkEncoder(names: names)
        let (value, start) = Self.encode(Self.spans, encoder: &encoder)
        #expect(value.first == SpanChunkCodec.sharedNamesVersion)
        let shared = names.names(bucket: Self.bucket.start)
        #expect(try Self.decode(value, start: start, names: shared) == Self.spans)
        #expect(Self.occurrences(of: "http.method", in: value) == 0)
        #expect(shared.all.contains("http.method") && shared.all.contains("payments") && shared.all.contains("GET /cart"))
        #expect(Self.occurrences(of: Self.longValue, in: value) == 1)  // too long to share: in place
        // Every shared name used is pending until a write marks it durable; a later call then carries none.
        #expect(Set(encoder.pendingNames.map(\.name)) == Set(shared.all))
        names.markDurable(encoder.pendingNames)
        var next = SpanChunkEncoder(names: names)
        let (again, againStart) = Self.encode(Self.spans, encoder: &next)
        #expect(next.pendingNames.isEmpty)
        #expect(again == value)  // the same numbers: byte-identical chunks
        #expect(try Self.decode(again, start: againStart, names: names.names(bucket: Self.bucket.start)) == Self.spans)
        // Another bucket numbers its own names, and the encoder switches tables with it.
        let other = BucketRef(start: 7200, width: 3600)
        let (elsewhere, elsewhereStart) = Self.encode(Self.spans, encoder: &next, bucket: other)
        #expect(Set(next.pendingNames.map(\.bucket)) == [other])
        #expect(try Self.decode(elsewhere, start: elsewhereStart, names: names.names(bucket: other.start)) == Self.spans)
        // Without its names the chunk is corrupt, not misread.
        #expect(throws: StorageError.self) { _ = try Self.decode(value, start: start) }
        for length in 0..<value.count {
            #expect(throws: StorageError.self) { _ = try Self.decode(Array(value.prefix(length)), start: start, names: shared) }
        }
        var rng = SplitMix(seed: 11)
        for _ in 0..<3_000 {
            var mutated = value
            mutated[1 + Int(rng.next() % UInt64(mutated.count - 1))] = UInt8(truncatingIfNeeded: rng.next())
            _ = try? Self.decode(mutated, start: start, names: shared)
        }
    }

    /// A full table shares nothing more: tag values stop at half the byte budget, keys and names at all of it, and
    /// no table passes `maxNames`.
    @Test func sharedNamesAreBounded() {
        let names = ChunkNames()
        let bucket = BucketRef(start: 1, width: 1)
        var admitted = 0
        func padded(_ n: Int) -> String { String(repeating: "0", count: 8 - String(n).count) + String(n) }
        while names.number(of: padded(admitted) + String(repeating: "v", count: 120), bucket: bucket, isValue: true) != nil {
            admitted += 1
        }
        #expect(admitted == ChunkNames.maxBytes / 2 / 128)
        #expect(names.number(of: "a key", bucket: bucket, isValue: false)?.number == UInt32(admitted))
        #expect(names.number(of: "v", bucket: bucket, isValue: true) == nil)
        #expect(names.number(of: String(repeating: "k", count: ChunkNames.maxNameBytes + 1), bucket: bucket, isValue: false) == nil)
        let other = BucketRef(start: 2, width: 1)
        #expect(names.number(of: "fresh", bucket: other, isValue: true)?.number == 0)
        // Short names: the count limit.
        var count = 1
        while names.number(of: "\(count)", bucket: other, isValue: false) != nil { count += 1 }
        #expect(count == ChunkNames.maxNames)
        #expect(names.names(bucket: other.start).count == ChunkNames.maxNames)
        #expect(names.names(bucket: other.start)[ChunkNames.maxNames - 1] == "\(ChunkNames.maxNames - 1)")
        // Retention forgets dropped buckets for good: no table comes back for them.
        names.dropBuckets(endingBy: other.endNanos)
        #expect(names.names(bucket: other.start).count == 0)
        #expect(names.number(of: "after", bucket: other, isValue: false) == nil)
        #expect(names.names(bucket: other.start).count == 0)
        let later = BucketRef(start: other.start + other.width, width: 1)
        #expect(names.number(of: "after", bucket: later, isValue: false)?.number == 0)
    }

    @Test func chunksRoundTripEverySpanField() throws {
        var encoder = SpanChunkEncoder()
        let (value, start) = Self.encode(Self.spans, encoder: &encoder)
        #expect(try Self.decode(value, start: start) == Self.spans)
        #expect(value.withUnsafeBytes { SpanChunkCodec.spanCount($0) } == 3)
        // Repeated names and keys are written once, in the string table.
        let text = Array("http.method".utf8)
        let occurrences = (0...(value.count - text.count)).filter { Array(value[$0..<($0 + text.count)]) == text }.count
        #expect(occurrences == 1)
    }

    /// One encoder serves a whole request; each chunk still carries every string it uses.
    @Test func eachChunkOfAnEncoderStandsAlone() throws {
        var encoder = SpanChunkEncoder()
        let (first, firstStart) = Self.encode([Self.spans[0]], encoder: &encoder)
        let (second, secondStart) = Self.encode([Self.spans[1], Self.spans[0]], encoder: &encoder)
        let (third, thirdStart) = Self.encode([Self.spans[1]], encoder: &encoder)
        #expect(try Self.decode(first, start: firstStart) == [Self.spans[0]])
        #expect(try Self.decode(second, start: secondStart) == [Self.spans[1], Self.spans[0]])
        #expect(try Self.decode(third, start: thirdStart) == [Self.spans[1]])
    }

    @Test func everyTruncationAndEveryCorruptionThrowsInsteadOfTrapping() throws {
        var encoder = SpanChunkEncoder()
        let (value, start) = Self.encode(Self.spans, encoder: &encoder)
        for length in 0..<value.count {
            #expect(throws: StorageError.self) { _ = try Self.decode(Array(value.prefix(length)), start: start) }
        }
        #expect(throws: StorageError.self) { _ = try Self.decode(value + [0], start: start) }
        #expect(throws: StorageError.self) { _ = try Self.decode(value, start: .max) }  // start overflows
        var rng = SplitMix(seed: 7)
        for _ in 0..<5_000 {
            var mutated = value
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? Self.decode(mutated, start: start)
            let random = [SpanChunkCodec.version] + (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? Self.decode(random, start: start)
        }
    }

    @Test func journalReferencesRoundTripAndRefuseGarbage() throws {
        let references = [
            IndexJournal.ChunkReference(bucket: BucketRef(start: 3600, width: 3600), key: [0, 0x10, 1, 2, 3]),
            IndexJournal.ChunkReference(bucket: BucketRef(start: .max, width: 1), key: []),
        ]
        let value = IndexJournal.encode(references)
        #expect(try value.withUnsafeBytes { try IndexJournal.decode($0) } == references)
        for length in 0..<value.count {
            #expect(throws: StorageError.self) { try value.prefix(length).withUnsafeBytes { _ = try IndexJournal.decode($0) } }
        }
        #expect(throws: StorageError.self) { try (value + [0]).withUnsafeBytes { _ = try IndexJournal.decode($0) } }
        var rng = SplitMix(seed: 11)
        for _ in 0..<2_000 {
            let random = [IndexJournal.chunkReferencesVersion] + (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? random.withUnsafeBytes { try IndexJournal.decode($0) }
        }
    }

    @Test func chunkKeysParseBack() {
        let id = TraceID(high: 1, low: 2)
        for tenant in ["", "acme"] {
            let key = Keys.spanChunk(tenant: tenant, traceID: id, chunkStart: 99, contentHash: 5)
            let parsed = key.withUnsafeBytes { Keys.parseSpanChunk($0) }
            #expect(parsed?.tenant == tenant && parsed?.traceID == id && parsed?.chunkStart == 99)
        }
        let oneSpan = Keys.span(tenant: "", traceID: id, start: 1, spanID: SpanID(2), contentHash: 3)
        #expect(oneSpan.withUnsafeBytes { Keys.parseSpanChunk($0) } == nil)
        // Stores before the 32-bit hash wrote a 64-bit one: those keys still parse; other lengths do not.
        let prefix = Keys.spanPrefix(tenant: "acme", traceID: id)
        let older = prefix + [0, 0, 0, 0, 0, 0, 0, 99] + [UInt8](repeating: 7, count: 8)
        #expect(older.withUnsafeBytes { Keys.parseSpanChunk($0) }?.chunkStart == 99)
        for extra in [0, 3, 7, 9, 12] {  // suffixes of 8, 11, 15, 17 and 20 (a one-span record's) bytes
            let odd = prefix + [0, 0, 0, 0, 0, 0, 0, 99] + [UInt8](repeating: 7, count: extra)
            #expect(odd.withUnsafeBytes { Keys.parseSpanChunk($0) } == nil)
        }
        #expect(Keys.spanChunk(tenant: "acme", traceID: id, chunkStart: 99, contentHash: 5).count == prefix.count + 12)
    }
}

struct SpanChunkStoreTests {
    static let t0 = SpanStoreTests.t0
    static let now = SpanStoreTests.t0 * 1000 + SpanStoreTests.hour

    private func spanRecords(_ store: SpanStore) throws -> Int {
        try store.keyCount(types: Keys.spanTag...Keys.spanTag)
    }

    @Test func aTraceOfARequestIsOneRecordReadBackInStartOrder() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // Arrival order is not start order: reads sort by start, then span id.
        let spans = (1...6).map { n in
            SpanBuilder.span(trace: 1 + n % 2, span: n, service: "s\(n % 3)", startMicros: Self.t0 + (7 - n) * 10)
        }
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.now)
        #expect(try spanRecords(store) == 2)
        #expect(try store.statistics().spans == 6)
        for trace: UInt64 in 1...2 {
            let expected = spans.filter { $0.traceID.low == trace }.sorted { $0.startTimeUnixNanos < $1.startTimeUnixNanos }
            #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: trace)) == expected)
        }
        #expect(try store.archive(tenant: "", traceID: TraceID(high: 0, low: 1)) == 3)
        #expect(try store.archivedTrace(tenant: "", traceID: TraceID(high: 0, low: 1)).count == 3)
    }

    /// Stores of earlier releases hold one record per span (version 1): a trace mixing both reads as one.
    @Test func oneSpanRecordsOfEarlierStoresAreReadWithChunks() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let chunked = SpanBuilder.span(trace: 1, span: 2, startMicros: Self.t0 + 5, tags: [.string("k", "v")])
        _ = try store.write([store.prepare(tenant: "", spans: [chunked])], now: Self.now)
        let legacy = StoredSpanCodecTests.rich
        var value: [UInt8] = []
        StoredSpanCodec.encode(legacy, into: &value)
        let batch = try WriteBatch()
        let key = Keys.span(
            tenant: "", traceID: legacy.traceID, start: legacy.startTimeUnixNanos, spanID: legacy.spanID,
            contentHash: StoredSpanCodec.contentHash(value))
        batch.put(try #require(store.allBuckets.first).family, key: key, value: value)
        try store.database.write(batch, sync: false)
        var old = legacy
        old.traceID = chunked.traceID  // same trace as the chunk, written the old way
        var oldValue: [UInt8] = []
        StoredSpanCodec.encode(old, into: &oldValue)
        let oldBatch = try WriteBatch()
        oldBatch.put(
            try #require(store.allBuckets.first).family,
            key: Keys.span(
                tenant: "", traceID: old.traceID, start: old.startTimeUnixNanos, spanID: old.spanID,
                contentHash: StoredSpanCodec.contentHash(oldValue)),
            value: oldValue)
        try store.database.write(oldBatch, sync: false)
        let read = try store.trace(tenant: "", traceID: chunked.traceID)
        #expect(read == [old, chunked].sorted { $0.startTimeUnixNanos < $1.startTimeUnixNanos })
        #expect(try store.statistics().spans == 3)
    }

    /// Two different chunks of one request never share a key, even when their 32-bit hashes would: the later one
    /// takes the next hash. The same value twice keeps its key, so a repeat overwrites only itself.
    @Test func chunkKeysOfARequestAreUnique() {
        let id = TraceID(high: 3, low: 4)
        var issued: [[UInt8]: UInt64] = [:]
        let first = SpanStore.uniqueChunkKey(tenant: "", traceID: id, chunkStart: 7, value: [1, 2, 3], issued: &issued)
        #expect(SpanStore.uniqueChunkKey(tenant: "", traceID: id, chunkStart: 7, value: [1, 2, 3], issued: &issued) == first)
        // The key `prepare` gives a chunk of an unsplit trace.
        #expect(first == Keys.spanChunk(tenant: "", traceID: id, chunkStart: 7, contentHash: SpanStore.chunkHash([1, 2, 3])))
        // Another value whose hash took that key first (simulated: the table says so).
        var taken: [[UInt8]: UInt64] = [first: 12_345]
        let moved = SpanStore.uniqueChunkKey(tenant: "", traceID: id, chunkStart: 7, value: [1, 2, 3], issued: &taken)
        #expect(moved != first && moved.count == first.count && moved.dropLast(4) == first.dropLast(4))
        #expect(taken.count == 2)
        #expect(moved.withUnsafeBytes { Keys.parseSpanChunk($0) }?.chunkStart == 7)
    }

    /// Stores before the 32-bit content hash keyed chunks with a 64-bit one: such chunks read, count and archive as
    /// today's do, beside chunks written now.
    @Test func chunksKeyedWithTheOlderLongHashStillRead() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let first = SpanBuilder.span(trace: 4, span: 1, service: "a", startMicros: Self.t0 + 1, tags: [.string("k", "v")])
        _ = try store.write([store.prepare(tenant: "", spans: [first])], now: Self.now)
        let family = try #require(store.allBuckets.first).family
        var written: [([UInt8], [UInt8])] = []
        try store.database.scan(family, lower: [0, Keys.spanTag], upper: [0, Keys.spanTag + 1]) { key, value in
            written.append(([UInt8](key), [UInt8](value)))
            return true
        }
        let (key, value) = try #require(written.first)
        #expect(written.count == 1 && key.count == Keys.spanPrefix(tenant: "", traceID: first.traceID).count + 12)
        // Rewrite it the way earlier stores keyed it: the same start, then a 64-bit hash.
        let batch = try WriteBatch()
        batch.delete(family, key: key)
        batch.put(family, key: Array(key.prefix(key.count - 4)) + [1, 2, 3, 4, 5, 6, 7, 8], value: value)
        try store.database.write(batch, sync: false)
        let second = SpanBuilder.span(trace: 4, span: 2, service: "b", startMicros: Self.t0 + 2)
        _ = try store.write([store.prepare(tenant: "", spans: [second])], now: Self.now)
        #expect(try spanRecords(store) == 2)
        #expect(try store.trace(tenant: "", traceID: first.traceID) == [first, second])
        #expect(try store.statistics().spans == 2)
        #expect(try store.archive(tenant: "", traceID: first.traceID) == 2)
        #expect(try store.archivedTrace(tenant: "", traceID: first.traceID) == [first, second])
    }

    @Test func largeTracesAreSplitIntoBoundedChunks() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let count = SpanChunkCodec.maxSpans * 2 + 10
        let spans = (1...UInt64(count)).map { SpanBuilder.span(trace: 1, span: $0, startMicros: Self.t0 + $0) }
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.now)
        #expect(try spanRecords(store) == 3)
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 1)) == spans)
        #expect(try store.summary(tenant: "", traceID: TraceID(high: 0, low: 1))?.spanCount == UInt32(count))
    }

    /// Stores of the previous release journaled the postings themselves (version 1): they still replay.
    @Test func legacyJournalValuesStillReplay() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let span = SpanBuilder.span(trace: 3, span: 1, service: "s", startMicros: Self.t0, tags: [.string("k", "v")])
        do {
            let store = try TestStores.open(dir)
            let prepared = store.prepare(tenant: "", spans: [span])
            _ = try store.write([prepared], now: Self.now)
            // Replace the version 2 entry by the version 1 value of the same postings.
            let sequence = try store.firstJournalSequence()
            let batch = try WriteBatch()
            batch.put(store.catalogFamily, key: Keys.indexJournal(sequence: try #require(sequence)), value: prepared.postings.legacyJournalValue())
            try store.database.write(batch, sync: false)
            store.database.close()  // no flush
        }
        let store = try TestStores.open(dir)
        var found: [TraceID] = []
        try store.scan(tenant: "", index: .tag(service: "s", key: "k", value: "v"), startMin: 0, startMax: .max) { id, _ in
            found.append(id)
            return true
        }
        #expect(found == [span.traceID])
    }

    /// A journal entry naming a chunk whose bucket is gone replays nothing for it, and the next flush deletes it.
    @Test func replaySkipsChunksOfDroppedBuckets() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            _ = try store.write([store.prepare(tenant: "", spans: [SpanBuilder.span(trace: 1, span: 1, service: "s", startMicros: Self.t0)])], now: Self.now)
            for bucket in store.allBuckets { try store.database.dropColumnFamily(bucket.family.name) }
            store.database.close()
        }
        let store = try TestStores.open(dir)
        #expect(store.pendingIndexBytes == 0)
        _ = try store.write([store.prepare(tenant: "", spans: [SpanBuilder.span(trace: 2, span: 1, service: "s", startMicros: Self.t0)])], now: Self.now)
        try store.flushIndex(now: Self.now)
        let prefix = Keys.storeKeyPrefix(Keys.indexJournalTag)
        var left = 0
        try store.database.scan(store.catalogFamily, lower: prefix, upper: Keys.upperBound(of: prefix)) { _, _ in
            left += 1
            return true
        }
        #expect(left == 0)
        var found: [UInt64] = []
        try store.scan(tenant: "", index: .service("s"), startMin: 0, startMax: .max) { id, _ in
            found.append(id.low)
            return true
        }
        #expect(found == [2])
    }
}

struct ReviewRegressionTests {
    static let t0 = SpanStoreTests.t0
    static let now = SpanStoreTests.t0 * 1000 + SpanStoreTests.hour

    /// Canonically equivalent spellings are different bytes: each span keeps its own.
    @Test func chunksKeepEachUnicodeSpellingsBytes() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)  // Swift's String equality: why the encoder interns by bytes
        let spans = [
            SpanBuilder.span(trace: 1, span: 1, operation: composed, startMicros: Self.t0, tags: [.string("k", composed)]),
            SpanBuilder.span(trace: 1, span: 2, operation: decomposed, startMicros: Self.t0 + 1, tags: [.string("k", decomposed)]),
        ]
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.now)
        let read = try store.trace(tenant: "", traceID: TraceID(high: 0, low: 1))
        #expect(read.count == 2)
        #expect(read.map { Array($0.operationName.utf8) } == [Array(composed.utf8), Array(decomposed.utf8)])
        let values = read.map { span -> [UInt8] in
            guard case .string(let text) = span.tags[0].value else { return [] }
            return Array(text.utf8)
        }
        #expect(values == [Array(composed.utf8), Array(decomposed.utf8)])
    }

    /// One unreadable chunk in a journal entry costs only its own postings at replay.
    @Test func aCorruptChunkDoesNotLoseTheOtherChunksOfItsJournalEntry() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            let store = try TestStores.open(dir)
            let spans = (1...3).map { SpanBuilder.span(trace: $0, span: 1, service: "s", startMicros: Self.t0 + $0) }
            _ = try store.write([store.prepare(tenant: "", spans: spans)], now: Self.now)
            let bucket = try #require(store.allBuckets.first)
            var chunkKey: [UInt8] = []
            let prefix = Keys.spanPrefix(tenant: "", traceID: TraceID(high: 0, low: 2))
            try store.database.scan(bucket.family, lower: prefix, upper: Keys.upperBound(of: prefix)) { key, _ in
                chunkKey = Array(key)
                return false
            }
            let batch = try WriteBatch()
            batch.put(bucket.family, key: chunkKey, value: [SpanChunkCodec.version, 9, 9])
            try store.database.write(batch, sync: false)
            store.database.close()  // no flush
        }
        let store = try TestStores.open(dir)
        var found: [UInt64] = []
        try store.scan(tenant: "", index: .service("s"), startMin: 0, startMax: .max) { id, _ in
            found.append(id.low)
            return true
        }
        #expect(found == [3, 1])
    }

    /// Pending rollups of one tenant are never another's, and a name longer than keys hold reads as one row before
    /// and after a flush.
    @Test func pendingRollupsKeepTenantsApartAndLongNamesInOneRow() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        // 255 ASCII bytes, then "é" (2 bytes): the store's 256-byte cut falls inside it.
        let long = String(repeating: "o", count: 255) + "\u{E9}tail"
        func write(_ tenant: String, _ trace: UInt64, operation: String) throws {
            let span = SpanBuilder.span(trace: trace, span: 1, service: "s", operation: operation, startMicros: Self.t0 + trace)
            _ = try store.write([store.prepare(tenant: tenant, spans: [span])], now: Self.now)
        }
        func calls(_ tenant: String) throws -> [String: UInt64] {
            try store.rollups(
                tenant: tenant, service: "s", kinds: [], startNanos: Self.t0 * 1000 - SpanStoreTests.hour,
                endNanos: Self.t0 * 1000 + SpanStoreTests.hour, resolution: .minute
            ).reduce(into: [:]) { $0[$1.operation, default: 0] += $1.rollup.count }
        }
        try write("a", 1, operation: "op")
        try write("b", 2, operation: "op")
        try write("b", 3, operation: "op")
        try write("a", 4, operation: long)
        let cut = Keys.stored(long)
        #expect(try calls("a") == ["op": 1, cut: 1])
        #expect(try calls("b") == ["op": 2])
        try store.flushIndex(now: Self.now)
        try write("a", 5, operation: long)
        #expect(try calls("a") == ["op": 1, cut: 2])  // one flushed, one pending: one row
        #expect(try calls("b") == ["op": 2])
    }
}

struct PostingGroupTableTests {
    /// Enough groups to grow the table several times, in two buckets; dropping one bucket keeps every posting of the
    /// other under its own group.
    @Test func growingAndDroppingABucketKeepTheOtherGroups() throws {
        var groups = PostingGroups()
        let early = BucketRef(start: 0, width: 3600)
        let late = BucketRef(start: 3600, width: 3600)
        for n: UInt64 in 0..<3_000 {
            let bucket = n % 2 == 0 ? early : late
            for copy: UInt64 in 0..<2 {
                groups.add(Posting(start: n * 10 + copy, traceID: TraceID(high: copy, low: n)), bucket: bucket) {
                    $0 += [0, 0x26] + withUnsafeBytes(of: n.bigEndian) { Array($0) }
                }
            }
        }
        #expect(groups.groupCount == 3_000)
        #expect(groups.postingCount == 6_000)
        groups.removeBuckets(endingBy: early.endNanos)
        #expect(groups.groupCount == 1_500)
        #expect(groups.postingCount == 3_000)
        for n: UInt64 in 0..<3_000 {
            let prefix: [UInt8] = [0, 0x26] + withUnsafeBytes(of: n.bigEndian) { Array($0) }
            let found = groups.postings(bucket: n % 2 == 0 ? early.start : late.start, width: 3600, prefix: prefix)
            if n % 2 == 0 {
                #expect(found == nil)
            } else {
                #expect(Set(found ?? []) == [Posting(start: n * 10, traceID: TraceID(high: 0, low: n)), Posting(start: n * 10 + 1, traceID: TraceID(high: 1, low: n))])
            }
        }
    }
}

extension SharedNames {
    var all: [String] { (0..<count).map { self[$0] } }
}

struct ChunkNameStoreTests {
    static let t0 = SpanStoreTests.t0
    static let now = t0 * 1000 + SpanStoreTests.hour

    /// Names are written with the first chunks that use them: a store that died right after a write reads its traces,
    /// and names added after the restart are numbered after the stored ones.
    @Test func namesSurviveACrashAndNewOnesAreNumberedAfterThem() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let first = SpanBuilder.span(trace: 1, span: 1, service: "a", operation: "op-a", startMicros: Self.t0, tags: [.string("k1", "v1")])
        let second = SpanBuilder.span(trace: 2, span: 1, service: "b", operation: "op-b", startMicros: Self.t0 + 1, tags: [.string("k2", "v2")])
        var storedNames = 0
        do {
            let store = try TestStores.open(dir)
            _ = try store.write([store.prepare(tenant: "", spans: [first])], now: Self.now)
            storedNames = try store.keyCount(types: Keys.chunkNameTag...Keys.chunkNameTag)
            #expect(storedNames == 4)  // a, op-a, k1, v1
            // A second write of the same names carries none of them again.
            let again = store.prepare(tenant: "t2", spans: [first])
            #expect(again.names.isEmpty)
            store.database.close()  // as if the process died here
        }
        let store = try TestStores.open(dir)
        #expect(try store.trace(tenant: "", traceID: first.traceID) == [first])
        let prepared = store.prepare(tenant: "", spans: [second])
        #expect(prepared.names.map(\.number).sorted() == (0..<4).map { UInt32(storedNames + $0) })
        _ = try store.write([prepared], now: Self.now)
        #expect(try store.trace(tenant: "", traceID: second.traceID) == [second])
        #expect(try store.trace(tenant: "", traceID: first.traceID) == [first])
    }

    /// A write whose bucket expired stored none of its name entries: they stay pending for the next write.
    @Test func namesOfASkippedWriteStayPending() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let span = SpanBuilder.span(trace: 1, span: 1, service: "a", startMicros: Self.t0, tags: [.string("k", "v")])
        let skipped = store.prepare(tenant: "", spans: [span])
        #expect(!skipped.names.isEmpty)
        let result = try store.write([skipped], now: Self.now + 100 * SpanStoreTests.hour * 24 * 365)
        #expect(result.expiredSpans == 1)
        let next = store.prepare(tenant: "", spans: [span])
        #expect(Set(next.names.map(\.number)) == Set(skipped.names.map(\.number)))
        _ = try store.write([next], now: Self.now)
        #expect(try store.trace(tenant: "", traceID: span.traceID) == [span])
    }

    /// Chunks of a bucket retention has dropped share nothing; a store that lost its names in memory reads them from
    /// the bucket; a corrupt name number does not stop the store from opening.
    @Test func expiredBucketsShareNothingAndReadersFallBackToStoredNames() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let span = SpanBuilder.span(trace: 1, span: 1, service: "a", startMicros: Self.t0, tags: [.string("k", "v")])
        do {
            let store = try TestStores.open(dir)
            _ = try store.write([store.prepare(tenant: "", spans: [span])], now: Self.now)
            store.chunkNames.dropBuckets(endingBy: .max)  // as if a reader raced retention
            #expect(try store.trace(tenant: "", traceID: span.traceID) == [span])
            let family = try #require(store.allBuckets.first).family
            let batch = try WriteBatch()
            batch.put(family, key: Keys.chunkName(.max), value: Array("junk".utf8))
            try store.database.write(batch, sync: false)
            store.close()
        }
        let store = try TestStores.open(dir)
        #expect(try store.trace(tenant: "", traceID: span.traceID) == [span])
        _ = try store.applyRetention(now: Self.now + 100 * SpanStoreTests.hour * 24 * 365)
        let late = store.prepare(tenant: "", spans: [span])
        #expect(late.names.isEmpty)
        #expect(late.entries.allSatisfy { $0.value.first != SpanChunkCodec.sharedNamesVersion })
    }
}
