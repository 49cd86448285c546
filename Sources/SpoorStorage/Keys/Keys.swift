import SpoorModel

#if canImport(Glibc)
import Glibc
#endif

/// Every key layout of Spoor's RocksDB store, in one place.
///
/// All keys start with the tenant; strings are length-prefixed so ("ab","c") and ("a","bc") differ; integers are
/// big-endian so byte order is numeric order.
///
/// ```
/// tenant  := [len:u8][utf8]                      (at most 255 bytes; "" is the single-tenant default)
/// str     := [len:u16 BE][utf8]                  (index strings are cut at Keys.maxIndexedStringBytes)
/// id      := [high:u64 BE][low:u64 BE]           (trace id, 16 bytes)
///
/// Bucket column families "spans-<startSeconds>-<widthSeconds>" hold everything written for spans that START in
/// [start, start+width); retention drops a whole family:
///   summary    tenant 0x01 id                                       → TraceSummary merge operands
///   span       tenant 0x10 id [start:u64 BE][spanID:u64 BE][hash:u32 BE] → StoredSpanCodec value (older stores)
///   chunk      tenant 0x10 id [chunkStart:u64 BE][hash:u32 BE] → SpanChunkCodec value (a trace's spans of a request;
///                                                                     stores before 2026-11-26 wrote a u64 hash)
///   names      0x00 0x12 [number:u32 BE]                            → utf8: a name the bucket's v3 chunks share
///                                                                     (`ChunkNames`; the store's, not a tenant's)
///   traces     tenant 0x11 [hash:u64 BE]                            → TraceTable (the trace ids v2 posting lists number)
///   traces     tenant 0x11 [hash:u64 BE] [page:u32 BE]              → TraceTable (one page of a v3 list's traces,
///                                                                     or of a v4 list's slot table, with times)
///   service    tenant 0x24 str(service) list                         → PostingList
///   operation  tenant 0x25 str(service) str(operation) list          → PostingList
///   tag        tenant 0x26 str(service) str(key) str(value) list     → PostingList
///   duration   tenant 0x27 str(service) [class:u8] list              → PostingList with durations
///              list := [maxStart:u64 BE] [hash:u64 BE]: one key per index key, index flush and 60 s slot
///              (v3: every start s in the list has maxStart − postingSlotNanos < s ≤ maxStart; v4: maxStart is the
///              newest first start of its traces, whose first and last starts lie in maxStart's slot, the multiple
///              of postingSlotNanos at or below it)
///                    | [slotLast:u64 BE]: the slot list (v5, merge operands) of an index key's small lists, keyed by
///              the slot's last nanosecond. Either way every visit start lies within a slot below the key's first 8
///              bytes, which is what lets a scan merge lists newest first; class: DurationClass
///   Stores written before posting lists (read, never written any more):
///   service    tenant 0x20 str(service) [start:u64 BE] id           → ""
///   operation  tenant 0x21 str(service) str(operation) [start:u64 BE] id → [kind:u8]
///   tag        tenant 0x22 str(service) str(key) str(value) [start:u64 BE] id → ""
///   duration   tenant 0x23 str(service) [duration:u64 BE] [start:u64 BE] id → ""
///   dependency tenant 0x30|0x31 [slot:u64 BE] str(parent) str(child)  → counter merge operands (0x30 minute, 0x31 hour)
///   rollup     tenant 0x32|0x33 str(service) [slot:u64 BE] [kind:u8] str(operation) → SpanRollup merge operands
///                                                                     (0x32 minute, 0x33 hour; slot = seconds)
/// The "archive" family keeps archived traces forever, with span keys as above.
/// The catalog family "catalog" lists what exists in which bucket:
///   operation  tenant 0x02 str(service) str(operation) [kind:u8] [bucketStart:u64 BE] → ""
///   marker     0x00 0x03 [bucketStart:u64 BE]   → [1]: the bucket was created with posting lists (no legacy index)
///   journal    0x00 0x04 [sequence:u64 BE]      → IndexJournal value: the chunks whose postings are not yet flushed
/// ```
/// The span and chunk keys' hash (of the encoded value) keeps records that share an id and start but differ in
/// content, while an identical record sent twice overwrites itself.
package enum Keys {
    /// Index strings longer than this are cut; the search verifies matches on the full spans anyway.
    package static let maxIndexedStringBytes = 256
    /// Tenants longer than this are rejected at ingest.
    package static let maxTenantBytes = 255

    package static let summaryTag: UInt8 = 0x01
    package static let catalogTag: UInt8 = 0x02
    package static let postingsMarkerTag: UInt8 = 0x03
    package static let indexJournalTag: UInt8 = 0x04
    package static let spanTag: UInt8 = 0x10
    package static let traceTableTag: UInt8 = 0x11
    package static let chunkNameTag: UInt8 = 0x12
    package static let serviceIndexTag: UInt8 = 0x20
    package static let operationIndexTag: UInt8 = 0x21
    package static let tagIndexTag: UInt8 = 0x22
    package static let durationIndexTag: UInt8 = 0x23
    package static let servicePostingsTag: UInt8 = 0x24
    package static let operationPostingsTag: UInt8 = 0x25
    package static let tagPostingsTag: UInt8 = 0x26
    package static let durationPostingsTag: UInt8 = 0x27
    /// Posting lists are cut per time slot of this length: a v3 list's starts lie within this much below its maxStart,
    /// a v4 list's traces in the slot (aligned on multiples of it) of its maxStart.
    package static let postingSlotNanos: UInt64 = 60_000_000_000
    package static let dependencyMinuteTag: UInt8 = 0x30
    package static let dependencyHourTag: UInt8 = 0x31
    package static let rollupMinuteTag: UInt8 = 0x32
    package static let rollupHourTag: UInt8 = 0x33

    /// The type byte of a key (after the tenant), or nil for a malformed key.
    package static func typeTag(_ key: UnsafeRawBufferPointer) -> UInt8? {
        guard let length = key.first, Int(length) + 1 < key.count else { return nil }
        return key[Int(length) + 1]
    }

    /// The dependency key type for a resolution.
    package static func dependencyTag(_ resolution: RollupResolution) -> UInt8 {
        resolution == .minute ? dependencyMinuteTag : dependencyHourTag
    }

    /// The rollup key type for a resolution.
    package static func rollupTag(_ resolution: RollupResolution) -> UInt8 {
        resolution == .minute ? rollupMinuteTag : rollupHourTag
    }

    /// Appends the tenant prefix.
    @inline(__always)
    package static func appendTenant(_ tenant: String, to key: inout [UInt8]) {
        var tenant = tenant
        tenant.withUTF8 { utf8 in
            let cut = UnsafeBufferPointer(rebasing: utf8.prefix(maxTenantBytes))
            key.append(UInt8(cut.count))
            key.append(contentsOf: cut)
        }
    }

    /// A string as `appendString` stores it: cut at `limit` UTF-8 bytes (a cut inside a character decodes as U+FFFD).
    package static func stored(_ s: String, limit: Int = maxIndexedStringBytes) -> String {
        s.utf8.count <= limit ? s : String(decoding: Array(s.utf8.prefix(limit)), as: UTF8.self)
    }

    /// A tenant as `appendTenant` stores it.
    package static func storedTenant(_ tenant: String) -> String { stored(tenant, limit: maxTenantBytes) }

    /// Appends a length-prefixed string, cut at `limit` bytes (copied from contiguous UTF-8, not byte by byte).
    @inline(__always)
    package static func appendString(_ s: String, limit: Int = maxIndexedStringBytes, to key: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            let cut = UnsafeBufferPointer(rebasing: utf8.prefix(limit))
            appendUInt16(UInt16(cut.count), to: &key)
            key.append(contentsOf: cut)
        }
    }

    /// Appends a tag value as `appendString(value.searchString)` would, without building the string for the common
    /// kinds (text, integers, booleans).
    package static func appendSearchValue(_ value: AttributeValue, to key: inout [UInt8]) {
        switch value {
        case .string(let text):
            appendString(text, to: &key)
        case .bool(let flag):
            appendString(flag ? "true" : "false", to: &key)
        case .int64(let number):
            appendDecimal(number, to: &key)
        case .float64(let number) where number.isFinite && number == number.rounded() && abs(number) < 1e15:
            appendDecimal(Int64(number), to: &key)  // as `FloatFormat.shortest` spells a whole number
        case .float64, .binary:
            appendString(value.searchString, to: &key)
        }
    }

    /// Appends `str(String(number))` without building the string: at most 20 bytes ("-9223372036854775808"), far below
    /// the string limit.
    private static func appendDecimal(_ number: Int64, to key: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var magnitude = number.magnitude
            var end = buffer.count
            repeat {
                end -= 1
                buffer[end] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
            } while magnitude > 0
            if number < 0 {
                end -= 1
                buffer[end] = 0x2D
            }
            appendUInt16(UInt16(buffer.count - end), to: &key)
            key.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[end...]))
        }
    }

    @inline(__always)
    package static func appendUInt16(_ v: UInt16, to key: inout [UInt8]) {
        key.append(UInt8(v >> 8))
        key.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    package static func appendUInt32(_ v: UInt32, to key: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    @inline(__always)
    package static func appendUInt64(_ v: UInt64, to key: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    @inline(__always)
    package static func appendTraceID(_ id: TraceID, to key: inout [UInt8]) {
        appendUInt64(id.high, to: &key)
        appendUInt64(id.low, to: &key)
    }

    /// Reads a big-endian u64 at `offset`; nil when the key is too short.
    package static func readUInt64(_ key: UnsafeRawBufferPointer, at offset: Int) -> UInt64? {
        guard offset >= 0, offset + 8 <= key.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v = (v << 8) | UInt64(key[offset + i]) }
        return v
    }

    /// Reads the 16-byte trace id at `offset`.
    package static func readTraceID(_ key: UnsafeRawBufferPointer, at offset: Int) -> TraceID? {
        guard let high = readUInt64(key, at: offset), let low = readUInt64(key, at: offset + 8) else { return nil }
        return TraceID(high: high, low: low)
    }

    // MARK: - Keys and prefixes

    /// `tenant 0x01 id`
    package static func summary(tenant: String, traceID: TraceID) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(tenant.utf8.count + 18)
        appendTenant(tenant, to: &key)
        key.append(summaryTag)
        appendTraceID(traceID, to: &key)
        return key
    }

    /// `tenant 0x11 hash` — a trace table.
    package static func traceTable(tenant: String, hash: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(tenant.utf8.count + 10)
        appendTenant(tenant, to: &key)
        key.append(traceTableTag)
        appendUInt64(hash, to: &key)
        return key
    }

    /// `tenant 0x11 hash page` — one page of a paged trace table; `tenant` is the encoded tenant (`[len][utf8]`).
    package static func traceTablePage(tenant: ArraySlice<UInt8>, hash: UInt64, page: UInt32) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(tenant.count + 13)
        key.append(contentsOf: tenant)
        key.append(traceTableTag)
        appendUInt64(hash, to: &key)
        appendUInt32(page, to: &key)
        return key
    }

    /// `0x00 0x12 number` (bucket family): a name shared by the bucket's chunks.
    package static func chunkName(_ number: UInt32) -> [UInt8] {
        var key: [UInt8] = [0, chunkNameTag]
        appendUInt32(number, to: &key)
        return key
    }

    /// The number of a `chunkName` key, or nil for another key.
    package static func parseChunkName(_ key: UnsafeRawBufferPointer) -> UInt32? {
        guard key.count == 6, key[0] == 0, key[1] == chunkNameTag else { return nil }
        return UInt32(key[2]) << 24 | UInt32(key[3]) << 16 | UInt32(key[4]) << 8 | UInt32(key[5])
    }

    /// `0x00 0x04 seq` (catalog family): one request's index postings, until a flush writes them as posting lists.
    package static func indexJournal(sequence: UInt64) -> [UInt8] { storeKey(indexJournalTag, sequence) }

    /// The sequence number of an index journal key, or nil for any other key.
    package static func parseIndexJournal(_ key: UnsafeRawBufferPointer) -> UInt64? { parseStoreKey(key, indexJournalTag) }

    /// `0x00 tag` — the prefix of every index journal key (tag `indexJournalTag`) or bucket marker.
    package static func storeKeyPrefix(_ tag: UInt8) -> [UInt8] { [0, tag] }

    /// `0x00 tag [value:u64 BE]`: a key of the store itself, not of a tenant, in the catalog family. Tenant keys there
    /// carry `catalogTag`, so the empty tenant's keys (`0x00 0x02 …`) never meet these tags.
    private static func storeKey(_ tag: UInt8, _ value: UInt64) -> [UInt8] {
        var key = storeKeyPrefix(tag)
        appendUInt64(value, to: &key)
        return key
    }

    private static func parseStoreKey(_ key: UnsafeRawBufferPointer, _ tag: UInt8) -> UInt64? {
        guard key.count == 10, key[0] == 0, key[1] == tag else { return nil }
        return readUInt64(key, at: 2)
    }

    /// `tenant 0x10 id` — prefix of every span of a trace.
    package static func spanPrefix(tenant: String, traceID: TraceID) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(tenant.utf8.count + 18)
        appendTenant(tenant, to: &key)
        key.append(spanTag)
        appendTraceID(traceID, to: &key)
        return key
    }

    /// `tenant 0x10 id start spanID hash`
    package static func span(tenant: String, traceID: TraceID, start: UInt64, spanID: SpanID, contentHash: UInt32) -> [UInt8] {
        var key = spanPrefix(tenant: tenant, traceID: traceID)
        appendUInt64(start, to: &key)
        appendUInt64(spanID.value, to: &key)
        appendUInt32(contentHash, to: &key)
        return key
    }

    /// `tenant 0x10 id chunkStart hash` — a chunk of a trace's spans (`SpanChunkCodec`). The hash of the value only
    /// tells apart chunks of one trace with the same earliest start (a retried request writes the same key again), so
    /// 32 bits are enough; stores written before 2026-11-26 have a 64-bit one. The suffix length (12 or 16 bytes)
    /// tells a chunk from a one-span record (20 bytes).
    package static func spanChunk(tenant: String, traceID: TraceID, chunkStart: UInt64, contentHash: UInt32) -> [UInt8] {
        var key = spanPrefix(tenant: tenant, traceID: traceID)
        appendUInt64(chunkStart, to: &key)
        appendUInt32(contentHash, to: &key)
        return key
    }

    /// Whether a suffix of this length (after `spanPrefix`) is a chunk's.
    @inline(__always)
    package static func isChunkSuffix(_ length: Int) -> Bool { length == 12 || length == 16 }

    /// The tenant, trace id and chunk start of a span chunk key, or nil.
    package static func parseSpanChunk(_ key: UnsafeRawBufferPointer) -> (tenant: String, traceID: TraceID, chunkStart: UInt64)? {
        guard let length = key.first.map(Int.init), key.count > length + 18, isChunkSuffix(key.count - length - 18),
            key[length + 1] == spanTag, let traceID = readTraceID(key, at: length + 2), let start = readUInt64(key, at: length + 18)
        else { return nil }
        return (String(decoding: UnsafeRawBufferPointer(rebasing: key[1..<(1 + length)]), as: UTF8.self), traceID, start)
    }

    /// `tenant 0x20|0x24 str(service)` — followed by `start id` (0x20) or a posting list suffix (0x24).
    package static func servicePrefix(tenant: String, service: String, type: UInt8 = servicePostingsTag) -> [UInt8] {
        var key: [UInt8] = []
        appendServicePrefix(tenant: tenant, service: service, type: type, to: &key)
        return key
    }

    /// Appends `servicePrefix` to a reusable buffer.
    @inline(__always)
    package static func appendServicePrefix(tenant: String, service: String, type: UInt8 = servicePostingsTag, to key: inout [UInt8]) {
        appendTenant(tenant, to: &key)
        key.append(type)
        appendString(service, to: &key)
    }

    /// `tenant 0x21|0x25 str(service) str(operation)` — followed by `start id` or a posting list suffix.
    package static func operationPrefix(
        tenant: String, service: String, operation: String, type: UInt8 = operationPostingsTag
    ) -> [UInt8] {
        var key: [UInt8] = []
        appendOperationPrefix(tenant: tenant, service: service, operation: operation, type: type, to: &key)
        return key
    }

    /// Appends `operationPrefix` to a reusable buffer.
    @inline(__always)
    package static func appendOperationPrefix(
        tenant: String, service: String, operation: String, type: UInt8 = operationPostingsTag, to key: inout [UInt8]
    ) {
        appendTenant(tenant, to: &key)
        key.append(type)
        appendString(service, to: &key)
        appendString(operation, to: &key)
    }

    /// `tenant 0x22|0x26 str(service) str(key) str(value)` — followed by `start id` or a posting list suffix.
    package static func tagPrefix(
        tenant: String, service: String, key tagKey: String, value: String, type: UInt8 = tagPostingsTag
    ) -> [UInt8] {
        var key: [UInt8] = []
        appendTagPrefix(tenant: tenant, service: service, key: tagKey, value: value, type: type, to: &key)
        return key
    }

    /// Appends `tagPrefix` to a reusable buffer.
    @inline(__always)
    package static func appendTagPrefix(
        tenant: String, service: String, key tagKey: String, value: String, type: UInt8 = tagPostingsTag, to key: inout [UInt8]
    ) {
        appendTenant(tenant, to: &key)
        key.append(type)
        appendString(service, to: &key)
        appendString(tagKey, to: &key)
        appendString(value, to: &key)
    }

    /// `tenant 0x23|0x27 str(service)` — followed by `duration start id` (0x23) or `class` and a posting list suffix.
    package static func durationPrefix(tenant: String, service: String, type: UInt8 = durationPostingsTag) -> [UInt8] {
        var key: [UInt8] = []
        appendDurationPrefix(tenant: tenant, service: service, type: type, to: &key)
        return key
    }

    /// Appends `durationPrefix` to a reusable buffer.
    @inline(__always)
    package static func appendDurationPrefix(tenant: String, service: String, type: UInt8 = durationPostingsTag, to key: inout [UInt8]) {
        appendTenant(tenant, to: &key)
        key.append(type)
        appendString(service, to: &key)
    }

    /// `tenant 0x02 str(service) str(operation) kind bucketStart` (catalog family).
    package static func catalog(tenant: String, service: String, operation: String, kind: SpanKind, bucketStart: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        appendTenant(tenant, to: &key)
        key.append(catalogTag)
        appendString(service, to: &key)
        appendString(operation, to: &key)
        key.append(kind.rawValue)
        appendUInt64(bucketStart, to: &key)
        return key
    }

    /// `tenant 0x30|0x31` — followed by `slot str(parent) str(child)`.
    package static func dependencyPrefix(tenant: String, resolution: RollupResolution) -> [UInt8] {
        var key: [UInt8] = []
        appendTenant(tenant, to: &key)
        key.append(dependencyTag(resolution))
        return key
    }

    /// `tenant 0x30|0x31 slot str(parent) str(child)`
    package static func dependency(
        tenant: String, resolution: RollupResolution, slot: UInt64, parent: String, child: String
    ) -> [UInt8] {
        var key = dependencyPrefix(tenant: tenant, resolution: resolution)
        appendUInt64(slot, to: &key)
        appendString(parent, to: &key)
        appendString(child, to: &key)
        return key
    }

    /// Decodes the part of a dependency key after its prefix.
    package static func parseDependency(_ key: UnsafeRawBufferPointer, prefixLength: Int) -> (slot: UInt64, parent: String, child: String)? {
        var reader = KeyReader(key)
        reader.skip(prefixLength)
        guard let slot = reader.uint64(), let parent = reader.lengthPrefixedString(), let child = reader.lengthPrefixedString(),
            reader.isAtEnd
        else { return nil }
        return (slot, parent, child)
    }

    /// `tenant 0x32|0x33 str(service)` — followed by `slot kind str(operation)`.
    package static func rollupPrefix(tenant: String, resolution: RollupResolution, service: String) -> [UInt8] {
        var key: [UInt8] = []
        appendTenant(tenant, to: &key)
        key.append(rollupTag(resolution))
        appendString(service, to: &key)
        return key
    }

    /// `tenant 0x32|0x33 str(service) slot kind str(operation)`
    package static func rollup(
        tenant: String, resolution: RollupResolution, service: String, slot: UInt64, kind: SpanKind, operation: String
    ) -> [UInt8] {
        var key = rollupPrefix(tenant: tenant, resolution: resolution, service: service)
        appendUInt64(slot, to: &key)
        key.append(kind.rawValue)
        appendString(operation, to: &key)
        return key
    }

    /// Decodes the part of a rollup key after its prefix.
    package static func parseRollup(_ key: UnsafeRawBufferPointer, prefixLength: Int) -> (slot: UInt64, kind: SpanKind, operation: String)? {
        var reader = KeyReader(key)
        reader.skip(prefixLength)
        guard let slot = reader.uint64(), let kindByte = reader.byte(), let kind = SpanKind(rawValue: kindByte),
            let operation = reader.lengthPrefixedString(), reader.isAtEnd
        else { return nil }
        return (slot, kind, operation)
    }

    /// `0x00 0x03 bucketStart` (catalog family): the bucket holds posting-list indexes only.
    package static func postingsBucketMarker(bucketStart: UInt64) -> [UInt8] { storeKey(postingsMarkerTag, bucketStart) }

    /// The bucket start of a posting-list marker key, or nil for any other key.
    package static func parsePostingsBucketMarker(_ key: UnsafeRawBufferPointer) -> UInt64? { parseStoreKey(key, postingsMarkerTag) }

    /// Decodes a catalog key.
    package static func parseCatalog(_ key: UnsafeRawBufferPointer) -> (tenant: String, service: String, operation: String, kind: SpanKind, bucketStart: UInt64)? {
        var reader = KeyReader(key)
        guard let tenantLength = reader.byte(), let tenant = reader.string(length: Int(tenantLength)),
            reader.byte() == catalogTag, let service = reader.lengthPrefixedString(),
            let operation = reader.lengthPrefixedString(), let kindByte = reader.byte(),
            let kind = SpanKind(rawValue: kindByte), let bucket = reader.uint64(), reader.isAtEnd
        else { return nil }
        return (tenant, service, operation, kind, bucket)
    }

    /// Bytewise key order (RocksDB's default comparator).
    @inline(__always)
    package static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let common = min(pa.count, pb.count)
                if common > 0, let ba = pa.baseAddress, let bb = pb.baseAddress {
                    let c = memcmp(ba, bb, common)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }
    }

    /// Iteration bounds for the keys `prefix [v:u64 BE] …` with `from ≤ v ≤ through` (upper bound exclusive).
    package static func range(_ prefix: [UInt8], from: UInt64, through: UInt64) -> (lower: [UInt8], upper: [UInt8]) {
        var lower = prefix
        appendUInt64(from, to: &lower)
        if through == .max { return (lower, upperBound(of: prefix)) }
        var upper = prefix
        appendUInt64(through + 1, to: &upper)
        return (lower, upper)
    }

    /// The exclusive upper bound of every key starting with `prefix` (prefix + 0xFF…, or the incremented prefix).
    package static func upperBound(of prefix: [UInt8]) -> [UInt8] {
        var bound = prefix
        while let last = bound.last {
            if last == 0xFF {
                bound.removeLast()
            } else {
                bound[bound.count - 1] = last + 1
                return bound
            }
        }
        return [UInt8](repeating: 0xFF, count: prefix.count + 1)
    }
}

/// Cursor over key bytes; every read checks bounds.
package struct KeyReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func skip(_ count: Int) { offset = min(bytes.count, offset + max(0, count)) }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint64() -> UInt64? {
        guard let v = Keys.readUInt64(bytes, at: offset) else { return nil }
        offset += 8
        return v
    }

    mutating func string(length: Int) -> String? {
        guard length >= 0, offset + length <= bytes.count else { return nil }
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
    }

    mutating func lengthPrefixedString() -> String? {
        guard let hi = byte(), let lo = byte() else { return nil }
        return string(length: Int(hi) << 8 | Int(lo))
    }
}
