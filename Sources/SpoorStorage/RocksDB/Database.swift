import CRocksDB
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Owns one RocksDB instance with its options and column-family handles.
///
/// `@unchecked Sendable`: the RocksDB handle is thread-safe; the mutable map of column-family handles is guarded by
/// a mutex. A dropped family's handle lives on while anyone holds it (a read that listed the family before retention
/// dropped it), and is destroyed by the first `releaseDroppedFamilies` after the last holder lets go, or at `close`.
package final class RocksDatabase: @unchecked Sendable {
    private let db: OpaquePointer
    private let dbOptions: OpaquePointer
    private let cfOptions: OpaquePointer
    private let mergeOperator: OpaquePointer?
    private let writeOptions: OpaquePointer
    private let syncWriteOptions: OpaquePointer
    private let families: Mutex<[String: ColumnFamily]>
    /// Handles of dropped families, destroyed once nobody else holds them (`releaseDroppedFamilies`) or at `close`.
    private let dropped = Mutex<[ColumnFamilyHandle]>([])
    private let closed = Mutex(false)

    /// Opens (creating if missing) the database at `path` with every existing column family.
    /// - Parameters:
    ///   - mergeOperator: installed on every column family (its `merge` runs for merge operands only).
    package init(path: String, tuning: StorageTuning, mergeOperator: MergeOperatorSpec?) throws(RocksError) {
        guard let options = rocksdb_options_create() else { throw RocksError(operation: "open", message: "options") }
        rocksdb_options_set_create_if_missing(options, 1)
        rocksdb_options_set_create_missing_column_families(options, 1)
        rocksdb_options_increase_parallelism(options, Int32(tuning.backgroundThreads))
        rocksdb_options_set_max_background_jobs(options, Int32(tuning.backgroundThreads))
        rocksdb_options_set_max_total_wal_size(options, tuning.maxTotalWALBytes)
        // One memtable budget for every column family together: memory stays bounded however many buckets are written.
        rocksdb_options_set_db_write_buffer_size(options, tuning.totalWriteBufferBytes)
        rocksdb_options_set_enable_pipelined_write(options, 1)
        rocksdb_options_set_keep_log_file_num(options, 3)
        Self.applyColumnFamilyOptions(options, tuning: tuning)
        let merge = mergeOperator.map { $0.make() } ?? nil
        if let merge { rocksdb_options_set_merge_operator(options, merge) }
        dbOptions = options
        cfOptions = options
        self.mergeOperator = merge

        // Existing column families (none on a new database).
        var count: Int = 0
        var names: [String] = ["default"]
        var listErr: UnsafeMutablePointer<CChar>? = nil
        if let list = rocksdb_list_column_families(options, path, &count, &listErr) {
            names = (0..<count).compactMap { list[$0].map { String(cString: $0) } }
            rocksdb_list_column_families_destroy(list, count)
        }
        if let listErr { rocksdb_free(listErr) }  // a missing database is not an error here
        if !names.contains("default") { names.insert("default", at: 0) }

        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        let optionsList = [OpaquePointer?](repeating: options, count: names.count)
        let opened: OpaquePointer? = try RocksError.check("open \(path)") { err in
            cNames.map { UnsafePointer($0) }.withUnsafeBufferPointer { namePtrs in
                optionsList.withUnsafeBufferPointer { optPtrs in
                    handles.withUnsafeMutableBufferPointer { handlePtrs in
                        rocksdb_open_column_families(
                            options, path, Int32(names.count), namePtrs.baseAddress, optPtrs.baseAddress,
                            handlePtrs.baseAddress, err)
                    }
                }
            }
        }
        guard let opened else { throw RocksError(operation: "open \(path)", message: "no handle returned") }
        db = opened
        var map: [String: ColumnFamily] = [:]
        for (name, handle) in zip(names, handles) {
            if let handle { map[name] = ColumnFamily(name: name, owner: ColumnFamilyHandle(handle)) }
        }
        families = Mutex(map)
        guard let wo = rocksdb_writeoptions_create(), let swo = rocksdb_writeoptions_create() else {
            throw RocksError(operation: "open", message: "write options")
        }
        rocksdb_writeoptions_set_sync(swo, 1)
        // A write racing retention may name a family just dropped (its bucket is past retention): its entries are
        // skipped. Without this, RocksDB fails the batch after its WAL write, and with pipelined writes a failed
        // memtable insert can stop every later write.
        rocksdb_writeoptions_set_ignore_missing_column_families(wo, 1)
        rocksdb_writeoptions_set_ignore_missing_column_families(swo, 1)
        writeOptions = wo
        syncWriteOptions = swo
    }

    private static func applyColumnFamilyOptions(_ options: OpaquePointer, tuning: StorageTuning) {
        rocksdb_options_set_compression(options, Int32(tuning.compression.rawValue))
        if let bottom = tuning.bottommostCompression {
            // The last level holds most bytes and is rewritten least: compress it harder, with a trained dictionary
            // (span records repeat the same keys and values across blocks).
            rocksdb_options_set_bottommost_compression(options, Int32(bottom.rawValue))
            if bottom == .zstd {
                rocksdb_options_set_bottommost_compression_options(options, -14, tuning.bottommostZstdLevel, 0, 16 * 1024, 1)
                rocksdb_options_set_bottommost_compression_options_zstd_max_train_bytes(options, 100 * 16 * 1024, 1)
            }
        }
        rocksdb_options_set_write_buffer_size(options, tuning.writeBufferBytes)
        rocksdb_options_set_max_write_buffer_number(options, 4)
        rocksdb_options_set_level_compaction_dynamic_level_bytes(options, 1)
        if tuning.tracePrefixBloom, let extractor = TracePrefixExtractor.make() {
            rocksdb_options_set_prefix_extractor(options, extractor)  // the options own it from here
        }
        if let table = rocksdb_block_based_options_create() {
            if let filter = rocksdb_filterpolicy_create_bloom(10) {
                rocksdb_block_based_options_set_filter_policy(table, filter)
            }
            rocksdb_block_based_options_set_block_size(table, 32 * 1024)
            if let cache = rocksdb_cache_create_lru(tuning.blockCacheBytes) {
                rocksdb_block_based_options_set_block_cache(table, cache)
                rocksdb_cache_destroy(cache)  // the table options keep their own reference
            }
            rocksdb_options_set_block_based_table_factory(options, table)
            rocksdb_block_based_options_destroy(table)
        }
    }

    deinit { close() }

    /// Flushes nothing, closes the database and frees every handle. Idempotent.
    package func close() {
        let wasClosed = closed.withLock { c -> Bool in
            defer { c = true }
            return c
        }
        guard !wasClosed else { return }
        let all = families.withLock { map -> [ColumnFamily] in
            defer { map.removeAll() }
            return Array(map.values)
        }
        let held = dropped.withLock { list -> [ColumnFamilyHandle] in
            defer { list.removeAll() }
            return list
        }
        for family in all { family.owner.destroy() }
        for handle in held { handle.destroy() }
        rocksdb_close(db)
        rocksdb_writeoptions_destroy(writeOptions)
        rocksdb_writeoptions_destroy(syncWriteOptions)
        rocksdb_options_destroy(dbOptions)
    }

    /// Names of the open column families.
    package var columnFamilyNames: [String] { families.withLock { Array($0.keys) } }

    /// The handle of a column family, if open.
    package func columnFamily(_ name: String) -> ColumnFamily? { families.withLock { $0[name] } }

    /// Returns the named column family, creating it when missing.
    package func columnFamilyCreatingIfNeeded(_ name: String) throws(RocksError) -> ColumnFamily {
        if let existing = columnFamily(name) { return existing }
        return try families.withLock { map throws(RocksError) -> ColumnFamily in
            if let existing = map[name] { return existing }
            let handle: OpaquePointer? = try RocksError.check("create column family \(name)") { err in
                rocksdb_create_column_family(db, cfOptions, name, err)
            }
            guard let handle else { throw RocksError(operation: "create column family", message: name) }
            let family = ColumnFamily(name: name, owner: ColumnFamilyHandle(handle))
            map[name] = family
            return family
        }
    }

    /// Drops a column family and all its data (whole SST files go; no scan).
    ///
    /// Its handle is not destroyed here: a reader may still hold the family (it listed the buckets before retention
    /// dropped this one). RocksDB keeps a dropped family readable until its handle is destroyed, which
    /// `releaseDroppedFamilies` does once nobody else holds it (or `close`); writes naming it are skipped.
    package func dropColumnFamily(_ name: String) throws(RocksError) {
        guard let family = families.withLock({ $0.removeValue(forKey: name) }) else { return }
        do {
            try withExtendedLifetime(family) { () throws(RocksError) in
                try RocksError.check("drop column family \(name)") { err in rocksdb_drop_column_family(db, family.handle, err) }
            }
        } catch {
            families.withLock { $0[name] = family }  // still there: flushes, compactions and the next drop see it
            throw error
        }
        dropped.withLock { $0.append(family.owner) }
    }

    /// Destroys the handles of dropped families nobody holds any more. Destroying one deletes the family's files, so
    /// this runs on the caller's thread (retention's), not on whichever reader lets go last.
    package func releaseDroppedFamilies() {
        dropped.withLock { list in
            for index in list.indices.reversed() where isKnownUniquelyReferenced(&list[index]) {
                list[index].destroy()
                list.remove(at: index)
            }
        }
    }

    /// Dropped families whose handles are not destroyed yet.
    package var heldDroppedFamilies: Int { dropped.withLock { $0.count } }

    /// Applies a batch atomically; returns once it is in the WAL (and fsynced when `sync`).
    package func write(_ batch: WriteBatch, sync: Bool) throws(RocksError) {
        try RocksError.check("write") { err in rocksdb_write(db, sync ? syncWriteOptions : writeOptions, batch.handle, err) }
    }

    /// Reads one value.
    package func get(_ family: ColumnFamily, key: [UInt8]) throws(RocksError) -> [UInt8]? {
        guard let readOptions = rocksdb_readoptions_create() else { return nil }
        defer { rocksdb_readoptions_destroy(readOptions) }
        var length = 0
        let value: UnsafeMutablePointer<CChar>? = try RocksError.check("get") { err in
            key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { kc in
                    rocksdb_get_cf(db, readOptions, family.handle, kc.baseAddress, kc.count, &length, err)
                }
            }
        }
        guard let value else { return nil }
        defer { rocksdb_free(value) }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Iterates the keys in `[lower, upper)` of a column family, forwards or backwards.
    /// `body` returns false to stop. The key/value buffers are only valid during the call.
    package func scan(
        _ family: ColumnFamily, lower: [UInt8], upper: [UInt8], reverse: Bool = false,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        guard let readOptions = rocksdb_readoptions_create() else { return }
        defer { rocksdb_readoptions_destroy(readOptions) }
        try lower.withUnsafeBufferPointer { lowerPtr in
            try upper.withUnsafeBufferPointer { upperPtr in
                try lowerPtr.withMemoryRebound(to: CChar.self) { lowerC in
                    try upperPtr.withMemoryRebound(to: CChar.self) { upperC in
                        rocksdb_readoptions_set_iterate_lower_bound(readOptions, lowerC.baseAddress, lowerC.count)
                        rocksdb_readoptions_set_iterate_upper_bound(readOptions, upperC.baseAddress, upperC.count)
                        guard let iterator = rocksdb_create_iterator_cf(db, readOptions, family.handle) else { return }
                        defer { rocksdb_iter_destroy(iterator) }
                        if reverse {
                            rocksdb_iter_seek_to_last(iterator)
                        } else {
                            rocksdb_iter_seek_to_first(iterator)
                        }
                        while rocksdb_iter_valid(iterator) != 0 {
                            var keyLength = 0
                            var valueLength = 0
                            guard let keyPtr = rocksdb_iter_key(iterator, &keyLength) else { break }
                            let valuePtr = rocksdb_iter_value(iterator, &valueLength)
                            let key = UnsafeRawBufferPointer(start: keyPtr, count: keyLength)
                            let value = UnsafeRawBufferPointer(start: valuePtr, count: valueLength)
                            guard try body(key, value) else { break }
                            if reverse { rocksdb_iter_prev(iterator) } else { rocksdb_iter_next(iterator) }
                        }
                        try RocksError.check("iterate") { err in rocksdb_iter_get_error(iterator, err) }
                    }
                }
            }
        }
    }

    /// A cursor over the keys in `[lower, upper)` of a column family, positioned on the last key when `reverse`,
    /// else on the first. For merging several ordered streams; `scan` is simpler for one.
    package func iterator(_ family: ColumnFamily, lower: [UInt8], upper: [UInt8], reverse: Bool) -> RocksIterator? {
        RocksIterator(db: db, family: family, lower: lower, upper: upper, reverse: reverse)
    }

    /// Flushes the memtables of every column family to SST files.
    package func flushAll() throws(RocksError) {
        guard let flushOptions = rocksdb_flushoptions_create() else { return }
        defer { rocksdb_flushoptions_destroy(flushOptions) }
        rocksdb_flushoptions_set_wait(flushOptions, 1)
        for family in families.withLock({ Array($0.values) }) {
            try RocksError.check("flush \(family.name)") { err in rocksdb_flush_cf(db, flushOptions, family.handle, err) }
        }
    }

    /// Compacts every column family fully (used by benchmarks to measure bytes at rest): every file is rewritten into
    /// the bottommost level, merge operands merged and bottommost compression applied. (A plain full-range compaction
    /// may just move a lone file down, keeping its flush-time compression and unmerged operands.)
    package func compactAll() {
        guard let options = rocksdb_compactoptions_create() else { return }
        defer { rocksdb_compactoptions_destroy(options) }
        rocksdb_compactoptions_set_bottommost_level_compaction(options, 2)  // kForce
        for family in families.withLock({ Array($0.values) }) {
            rocksdb_compact_range_cf_opt(db, family.handle, options, nil, 0, nil, 0)
        }
    }

    /// Memory RocksDB holds now: memtables and SST index/filter readers summed over column families, and the shared
    /// block cache once.
    package func memoryUsage() -> (memtables: UInt64, tableReaders: UInt64, blockCache: UInt64) {
        var memtables: UInt64 = 0
        var readers: UInt64 = 0
        var cache: UInt64 = 0
        for family in families.withLock({ Array($0.values) }) {
            memtables += property("rocksdb.cur-size-all-mem-tables", family: family).flatMap { UInt64($0) } ?? 0
            readers += property("rocksdb.estimate-table-readers-mem", family: family).flatMap { UInt64($0) } ?? 0
            cache = max(cache, property("rocksdb.block-cache-usage", family: family).flatMap { UInt64($0) } ?? 0)
        }
        return (memtables, readers, cache)
    }

    /// A RocksDB property of one column family (e.g. `rocksdb.total-sst-files-size`).
    package func property(_ name: String, family: ColumnFamily) -> String? {
        guard let value = rocksdb_property_value_cf(db, family.handle, name) else { return nil }
        defer { rocksdb_free(value) }
        return String(cString: value)
    }
}

/// A column family. Copies share one handle, which stays valid while any copy lives (even once the family is
/// dropped), until the database is closed.
///
/// `@unchecked Sendable`: RocksDB column-family handles may be used from any thread.
package struct ColumnFamily: @unchecked Sendable {
    /// The family's name.
    package let name: String
    let owner: ColumnFamilyHandle
    /// The RocksDB handle: valid while this value lives (a callee may use it while its caller holds the value).
    var handle: OpaquePointer { owner.pointer }
}

/// Owns a RocksDB column-family handle: destroyed once, by `RocksDatabase.close` or `releaseDroppedFamilies` (or by
/// its deinit, when neither did: a family created after `close`).
final class ColumnFamilyHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    private let destroyed = Atomic(false)

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    func destroy() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rocksdb_column_family_handle_destroy(pointer)
    }

    deinit { destroy() }
}

/// Compression algorithms as numbered by RocksDB's C API.
package enum Compression: Int, Sendable {
    case none = 0, snappy = 1, zlib = 2, bz2 = 3, lz4 = 4, lz4hc = 5, xpress = 6, zstd = 7
}

/// RocksDB settings that matter for Spoor.
package struct StorageTuning: Sendable {
    /// Background flush/compaction threads.
    package var backgroundThreads = 2
    /// Memtable size per column family.
    package var writeBufferBytes = 64 << 20
    /// Memtable memory across all column families; reaching it flushes the largest memtable. 96 MiB, not 128, to keep
    /// the peak RSS of sustained ingest under 512 MB beside the pending index (`StoreConfiguration.indexFlushBytes`).
    package var totalWriteBufferBytes = 96 << 20
    /// Shared block cache.
    package var blockCacheBytes = 128 << 20
    /// WAL size that forces flushes of idle column families.
    package var maxTotalWALBytes: UInt64 = 512 << 20
    /// Block compression (LZ4: ~3× faster ingest than zlib on these machines).
    package var compression: Compression = .lz4
    /// Bloom filters also on the trace prefix of span keys (trace reads skip SST files without the trace).
    package var tracePrefixBloom = true
    /// Compression of the bottommost level (nil = same as `compression`).
    package var bottommostCompression: Compression? = .zstd
    /// zstd level of the bottommost level.
    package var bottommostZstdLevel: Int32 = 3

    /// Defaults.
    package init() {}
}

/// An atomic batch of puts and merges. Not Sendable: build and write it on one thread.
package final class WriteBatch {
    let handle: OpaquePointer

    /// Creates an empty batch.
    package init() throws(RocksError) {
        guard let handle = rocksdb_writebatch_create() else {
            throw RocksError(operation: "write batch", message: "allocation failed")
        }
        self.handle = handle
    }

    deinit { rocksdb_writebatch_destroy(handle) }

    /// Adds a put.
    package func put(_ family: ColumnFamily, key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in
                rocksdb_writebatch_put_cf(
                    handle, family.handle, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count,
                    v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count)
            }
        }
    }

    /// Adds a merge operand.
    package func merge(_ family: ColumnFamily, key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in
                rocksdb_writebatch_merge_cf(
                    handle, family.handle, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count,
                    v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count)
            }
        }
    }

    /// Adds a delete.
    package func delete(_ family: ColumnFamily, key: [UInt8]) {
        key.withUnsafeBytes { k in
            rocksdb_writebatch_delete_cf(handle, family.handle, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count)
        }
    }

    /// Number of operations.
    package var count: Int { Int(rocksdb_writebatch_count(handle)) }
}

/// A RocksDB iterator with its own bounds. Not thread-safe; destroyed with the object. Key and value buffers are valid
/// until the next move.
package final class RocksIterator {
    private let iterator: OpaquePointer
    private let readOptions: OpaquePointer
    private let lower: UnsafeMutableBufferPointer<CChar>
    private let upper: UnsafeMutableBufferPointer<CChar>
    private let reverse: Bool
    /// Held so the family's handle outlives the iterator.
    private let family: ColumnFamily

    fileprivate init?(db: OpaquePointer, family: ColumnFamily, lower: [UInt8], upper: [UInt8], reverse: Bool) {
        self.family = family
        guard let readOptions = rocksdb_readoptions_create() else { return nil }
        // RocksDB keeps pointers to the bounds, so they live as long as the iterator.
        self.lower = .allocate(capacity: max(1, lower.count))
        self.upper = .allocate(capacity: max(1, upper.count))
        for (i, b) in lower.enumerated() { self.lower[i] = CChar(bitPattern: b) }
        for (i, b) in upper.enumerated() { self.upper[i] = CChar(bitPattern: b) }
        rocksdb_readoptions_set_iterate_lower_bound(readOptions, self.lower.baseAddress, lower.count)
        rocksdb_readoptions_set_iterate_upper_bound(readOptions, self.upper.baseAddress, upper.count)
        guard let iterator = rocksdb_create_iterator_cf(db, readOptions, family.handle) else {
            rocksdb_readoptions_destroy(readOptions)
            self.lower.deallocate()
            self.upper.deallocate()
            return nil
        }
        self.readOptions = readOptions
        self.iterator = iterator
        self.reverse = reverse
        if reverse { rocksdb_iter_seek_to_last(iterator) } else { rocksdb_iter_seek_to_first(iterator) }
    }

    deinit {
        rocksdb_iter_destroy(iterator)
        rocksdb_readoptions_destroy(readOptions)
        lower.deallocate()
        upper.deallocate()
    }

    /// False at the end of the range (or after an error: check `status()`).
    package var isValid: Bool { rocksdb_iter_valid(iterator) != 0 }

    /// The current key (valid until the next move).
    package var key: UnsafeRawBufferPointer {
        var length = 0
        let pointer = rocksdb_iter_key(iterator, &length)
        return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : length)
    }

    /// The current value (valid until the next move).
    package var value: UnsafeRawBufferPointer {
        var length = 0
        let pointer = rocksdb_iter_value(iterator, &length)
        return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : length)
    }

    /// Moves one key on, in the iterator's direction.
    package func advance() {
        if reverse { rocksdb_iter_prev(iterator) } else { rocksdb_iter_next(iterator) }
    }

    /// Throws the error that ended iteration early, if any.
    package func status() throws(RocksError) {
        try RocksError.check("iterate") { err in rocksdb_iter_get_error(iterator, err) }
    }
}
