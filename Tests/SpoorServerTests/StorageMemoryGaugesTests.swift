import SpoorModel
import SpoorStorage
import SpoorTestSupport
import Testing

@testable import SpoorServer

struct StorageMemoryGaugesTests {
    @Test func everyPartIsExportedWithTheQueueAndMemtablesCounted() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = try TestStores.open(dir)
        let writer = SpanWriter(store: store, logger: TestStores.logger, now: { 0 })
        // The writer is not running: what is enqueued stays queued and must show up in the gauge.
        let spans = (1...20).map { SpanBuilder.span(trace: $0, span: 1, startMicros: 1_767_225_600_000_000) }
        let prepared = store.prepare(tenant: "", spans: spans)
        #expect(prepared.byteCount > 20 * 300)  // keys, values and bookkeeping, not just the span values
        #expect(writer.enqueue(prepared))
        _ = try store.write([store.prepare(tenant: "", spans: spans)], now: 1_767_225_600_000_000_000)

        let text = StorageMemoryGauges.prometheusText(store: store, writer: writer)
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("spoor_storage_memory_bytes{") {
            let parts = line.split(separator: " ")
            values[String(parts[0])] = UInt64(parts[1])
        }
        #expect(values["spoor_storage_memory_bytes{part=\"write_queue\"}"] == UInt64(prepared.byteCount))
        #expect((values["spoor_storage_memory_bytes{part=\"memtables\"}"] ?? 0) > 0)
        #expect(values["spoor_storage_memory_bytes{part=\"table_readers\"}"] != nil)
        #expect(values["spoor_storage_memory_bytes{part=\"block_cache\"}"] != nil)
        #expect(values["spoor_storage_memory_bytes{part=\"pending_index\"}"] == UInt64(store.pendingIndexBytes))
        #expect(text.contains("# TYPE spoor_storage_memory_bytes gauge"))
    }
}
