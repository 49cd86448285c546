import SpoorStorage

/// Where the storage layer's memory is, read when /metrics is scraped: RocksDB's memtables, SST readers and block
/// cache, the write queue and the index postings not yet flushed as posting lists. Bounded by `--collector.queue-size-memory` and the RocksDB budgets.
enum StorageMemoryGauges {
    static func prometheusText(store: SpanStore, writer: SpanWriter) -> String {
        let rocks = store.database.memoryUsage()
        return """
            # HELP spoor_storage_memory_bytes Memory held by the storage layer, by part.
            # TYPE spoor_storage_memory_bytes gauge
            spoor_storage_memory_bytes{part="memtables"} \(rocks.memtables)
            spoor_storage_memory_bytes{part="table_readers"} \(rocks.tableReaders)
            spoor_storage_memory_bytes{part="block_cache"} \(rocks.blockCache)
            spoor_storage_memory_bytes{part="write_queue"} \(writer.queuedBytes)
            spoor_storage_memory_bytes{part="pending_index"} \(store.pendingIndexBytes)

            """
    }
}
