import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// Retention drops a bucket's column family while readers may hold it (they listed the buckets just before): the
/// handle must outlive the drop for as long as anyone holds it, and go once nobody does.
struct ColumnFamilyLifetimeTests {
    /// A family dropped while held stays readable through the held copy; a write naming it is skipped (its bucket is
    /// past retention), and other writes go on; its handle is destroyed once no copy is held any more.
    @Test func aDroppedFamilyStaysReadableToItsHoldersUntilTheyLetGo() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let database = try RocksDatabase(path: dir.path + "/db", tuning: StorageTuning(), mergeOperator: nil)
        defer { database.close() }
        var held: ColumnFamily? = try database.columnFamilyCreatingIfNeeded("bucket")
        let batch = try WriteBatch()
        batch.put(held!, key: [1], value: [2])
        batch.put(held!, key: [3], value: [4])
        try database.write(batch, sync: false)

        try database.dropColumnFamily("bucket")
        #expect(database.columnFamily("bucket") == nil)
        #expect(!database.columnFamilyNames.contains("bucket"))
        #expect(database.heldDroppedFamilies == 1)
        #expect(try database.get(held!, key: [1]) == [2])
        var seen: [[UInt8]] = []
        try database.scan(held!, lower: [0], upper: [9]) { key, _ in
            seen.append(Array(key))
            return true
        }
        #expect(seen == [[1], [3]])
        let other = try database.columnFamilyCreatingIfNeeded("other")
        let late = try WriteBatch()
        late.put(held!, key: [5], value: [6])
        late.put(other, key: [7], value: [8])
        try database.write(late, sync: false)
        #expect(try database.get(held!, key: [5]) == nil)
        #expect(try database.get(other, key: [7]) == [8])
        let after = try WriteBatch()
        after.put(other, key: [9], value: [10])
        try database.write(after, sync: false)
        #expect(try database.get(other, key: [9]) == [10])

        database.releaseDroppedFamilies()  // still held: kept
        #expect(database.heldDroppedFamilies == 1)
        #expect(try database.get(held!, key: [3]) == [4])
        held = nil
        database.releaseDroppedFamilies()
        #expect(database.heldDroppedFamilies == 0)
        // A family of the same name can be created again, empty.
        let again = try database.columnFamilyCreatingIfNeeded("bucket")
        #expect(try database.get(again, key: [1]) == nil)
    }

    /// A scan over two buckets in which retention drops the older one mid-scan (from the visit callback, after the
    /// scan listed the buckets): the scan goes on reading it through the family it holds, without an error, and the
    /// next retention pass destroys the dropped family's handle once the scan is over.
    @Test func retentionDroppingABucketDuringAScanLeavesTheScanWhole() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir, retentionNanos: 12 * SpanStoreTests.hour)
        let hourMicros: UInt64 = 3_600_000_000
        let t0 = SpanStoreTests.t0
        // Traces 1…50 in the old bucket [t0, t0 + 1 h), 51…100 in the kept one.
        let spans = (UInt64(1)...100).map { trace in
            SpanBuilder.span(trace: trace, span: 1, startMicros: t0 + (trace > 50 ? hourMicros : 0) + trace * 1_000_000)
        }
        let now = t0 * 1000 + 2 * SpanStoreTests.hour
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: now)
        try store.flushIndex(now: now)
        #expect(store.allBuckets.count == 2)

        var visited: [UInt64] = []
        var dropped: Result<Int, StorageError> = .success(0)
        try store.scan(tenant: "", index: .service("svc"), startMin: 0, startMax: .max) { id, _ in
            visited.append(id.low)
            if visited.count == 1 {
                dropped = Result { () throws(StorageError) in try store.applyRetention(now: t0 * 1000 + 13 * SpanStoreTests.hour) }
            }
            return true
        }
        #expect(try dropped.get() == 1)
        #expect(store.allBuckets.count == 1)
        // The kept bucket's traces, newest first, all of them; the old bucket's, read through the held family, after.
        #expect(Array(visited.prefix(50)) == Array((UInt64(51)...100).reversed()))
        #expect(Set(visited) == Set(UInt64(1)...100))
        #expect(store.database.heldDroppedFamilies == 1)
        #expect(try store.applyRetention(now: t0 * 1000 + 13 * SpanStoreTests.hour) == 0)
        #expect(store.database.heldDroppedFamilies == 0)
        // Later reads no longer see the dropped bucket.
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 1)).isEmpty)
        #expect(try store.trace(tenant: "", traceID: TraceID(high: 0, low: 51)).count == 1)
    }
}
