import SpoorModel

/// The spans of one trace that arrived in one request, stored as one record (span record version 2).
///
/// One record per trace instead of one per span: a 500-span request of 7-span traces makes ~70 RocksDB entries, not
/// 500, and the names, attribute keys and repeated values of those spans are written once, in the record's string
/// table.
///
/// ```
/// chunk := [version:u8 = 2] [spanCount:varint] [stringCount:varint] stringCount × str
///          spanCount × span
/// span  := [start − chunkStart:varint] [spanID:u64 LE] [flags:varint] [duration:varint] [operation:ref]
///          [refCount:varint] refs (as in version 1)
///          attributes (tags)
///          [logCount:varint] { [timestamp − start: zigzag varint] attributes }
///          [service:ref] attributes (process tags)
///          [warningCount:varint] { str }
/// attributes := [count:varint] { [key:ref] [type:u8] value }
///          type 0 string: [ref]; 1 bool: u8; 2 int64: zigzag varint; 3 float64: u64 LE bits;
///          4 binary: [len:varint][bytes]; 5 string longer than `maxInternedBytes`: str
/// ref   := [index into the string table:varint]
/// str   := [len:varint][utf8]
/// ```
/// Version 3 is the same but for its refs, which are shared names of the bucket (`ChunkNames`, stored at
/// `Keys.chunkName`) where they can be:
/// ```
/// ref   := [n:varint]   n even: the bucket's name n / 2; n odd: the chunk's own string (n − 1) / 2
/// ```
/// The trace id and the chunk's earliest start live in the key (`Keys.spanChunk`).
package enum SpanChunkCodec {
    /// The record version (the first value byte; version 1 is `StoredSpanCodec`'s one-span record).
    package static let version: UInt8 = 2
    /// The version whose refs may be the bucket's shared names.
    package static let sharedNamesVersion: UInt8 = 3
    /// The `StorageError.corrupt` message of a ref past the shared names given: corrupt, or names newer than the
    /// reader's snapshot.
    static let unknownSharedName = "span chunk shared name reference"
    /// Spans per chunk; a request with more spans of one trace makes several chunks.
    package static let maxSpans = 256
    /// The smallest encoded span: start, span id (8 bytes) and nine one-byte fields.
    static let minSpanBytes = 18
    /// Strings up to this length go into the string table; longer ones are written in place.
    static let maxInternedBytes = 128

    /// The span count of a chunk value, or nil when it is not one.
    package static func spanCount(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var reader = ValueReader(bytes)
        guard let found = try? reader.byte(), found == version || found == sharedNamesVersion, let count = try? reader.varint() else {
            return nil
        }
        return Int(exactly: count)
    }

    /// Decodes a chunk written by `SpanChunkEncoder`, appending its spans; `names` are the shared names of its bucket
    /// (version 3). Throws on any inconsistency (corruption never traps or over-allocates).
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, traceID: TraceID, chunkStart: UInt64, names: SharedNames = SharedNames(),
        into spans: inout [Span]
    ) throws(StorageError) {
        var r = ValueReader(bytes)
        let found = try r.byte()
        guard found == version || found == sharedNamesVersion else { throw .corrupt("span chunk version") }
        let shared = found == sharedNamesVersion
        let spanCount = try r.count()
        let stringCount = try r.count()
        var table: [String] = []
        table.reserveCapacity(min(stringCount, r.remaining))
        for _ in 0..<stringCount { table.append(try r.string()) }
        func ref() throws(StorageError) -> String {
            var index = try r.varint()
            if shared {
                if index & 1 == 0 {
                    guard index / 2 < UInt64(names.count) else { throw .corrupt(SpanChunkCodec.unknownSharedName) }
                    return names[Int(index / 2)]
                }
                index /= 2
            }
            guard index < UInt64(table.count) else { throw .corrupt("span chunk string reference") }
            return table[Int(index)]
        }
        func attributes() throws(StorageError) -> [Attribute] {
            let n = try r.count()
            var result: [Attribute] = []
            result.reserveCapacity(n)
            for _ in 0..<n {
                let key = try ref()
                let value: AttributeValue
                switch try r.byte() {
                case 0: value = .string(try ref())
                case 1: value = .bool(try r.byte() != 0)
                case 2: value = .int64(try r.zigzag())
                case 3: value = .float64(Double(bitPattern: try r.fixed64()))
                case 4: value = .binary(Array(try r.rawBytes()))
                case 5: value = .string(try r.string())
                default: throw .corrupt("attribute type")
                }
                result.append(Attribute(key: key, value: value))
            }
            return result
        }
        // At most one span per `minSpanBytes` left, so a corrupt count cannot reserve much more than the value's size.
        let reserve = spans.count + min(spanCount, r.remaining / Self.minSpanBytes)
        if spans.capacity < reserve { spans.reserveCapacity(max(reserve, spans.capacity * 2)) }
        for _ in 0..<spanCount {
            let (start, overflow) = chunkStart.addingReportingOverflow(try r.varint())
            guard !overflow else { throw .corrupt("span chunk start") }
            let spanID = SpanID(try r.fixed64())
            let flags = try r.varint()
            let duration = try r.varint()
            let operation = try ref()
            let refs = try r.references(traceID: traceID)
            let tags = try attributes()
            let logCount = try r.count()
            var logs: [SpanLog] = []
            logs.reserveCapacity(logCount)
            for _ in 0..<logCount {
                let delta = try r.zigzag()
                logs.append(SpanLog(timestampUnixNanos: start &+ UInt64(bitPattern: delta), fields: try attributes()))
            }
            let service = try ref()
            let processTags = try attributes()
            let warningCount = try r.count()
            var warnings: [String] = []
            for _ in 0..<warningCount { warnings.append(try r.string()) }
            spans.append(
                Span(
                    traceID: traceID, spanID: spanID, operationName: operation, references: refs,
                    flags: UInt32(truncatingIfNeeded: flags), startTimeUnixNanos: start, durationNanos: duration, tags: tags,
                    logs: logs, process: Process(serviceName: service, tags: processTags), warnings: warnings))
        }
        guard r.remaining == 0 else { throw .corrupt("span chunk trailing bytes") }
    }
}

/// Encodes span chunks (`SpanChunkCodec`). One encoder serves one `prepare` call: strings are numbered once per call
/// and renumbered per chunk with an array, so a string repeated across the call's spans is hashed once per span that
/// uses it and copied once per chunk. With `names`, chunks are version 3: a string the bucket shares is looked up
/// once per call (and bucket) and written as its number.
struct SpanChunkEncoder {
    /// The shared names, or nil for self-contained version 2 chunks (the archive).
    private let names: ChunkNames?
    /// Per string of this call: its shared number in `bucket`, `unknown` or `notShared`; other buckets' numbers wait
    /// in `otherBuckets` (a request near a bucket boundary alternates between two).
    private var sharedNumber: [UInt32] = []
    private var otherBuckets: [BucketRef: [UInt32]] = [:]
    private var bucket = BucketRef(start: .max, width: 0)
    /// Whether the current chunk refers to shared names.
    private var sharing = false
    /// Shared names this call used that were not yet durable: the write must carry their entries.
    private(set) var pendingNames: [ChunkNames.Pending] = []
    private static let unknown = UInt32.max
    private static let notShared = UInt32.max - 1

    init(names: ChunkNames? = nil) { self.names = names }

    /// Every string seen in this call, numbered.
    private var strings = NameInterner()
    /// Per string: the chunk (`generation`) that last used it and its index in that chunk's table.
    private var lastChunk: [UInt32] = []
    private var localIndex: [UInt32] = []
    private var generation: UInt32 = 0
    /// The current chunk's table, as call-wide numbers.
    private var table: [UInt32] = []
    private var body: [UInt8] = []
    /// Refs written as an index into their chunk's table (not as a shared name), counted.
    private var localRefs = 0
    /// The last process encoded and its bytes (`putProcess`).
    private var lastProcess: EncodedProcess?

    /// A process's encoded bytes (service ref and tags), reusable for a later span of the same process instance: in
    /// the same chunk, or in any chunk of the same bucket when every ref in them is a shared name.
    private struct EncodedProcess {
        /// Kept, so its tags buffer cannot be freed and its address taken by another (`isSameInstance`).
        var process: Process
        /// Reused from one process to the next: a miss (each span with a process of its own) allocates nothing.
        var bytes: [UInt8] = []
        var generation: UInt32
        var bucket: BucketRef
        var sharing: Bool
        var hasLocalRefs: Bool
    }

    /// Encodes `spans[indices]` (spans of `traceID`, none starting before `chunkStart`) as one chunk value of `bucket`;
    /// `share` false writes a self-contained chunk (a bucket retention is dropping gets no shared names).
    mutating func encode(
        _ spans: [Span], _ indices: ArraySlice<Int>, traceID: TraceID, chunkStart: UInt64, bucket: BucketRef, share: Bool = true
    ) -> [UInt8] {
        sharing = names != nil && share
        if sharing, bucket != self.bucket {
            if self.bucket.width > 0 { otherBuckets[self.bucket] = sharedNumber }
            sharedNumber = otherBuckets.removeValue(forKey: bucket) ?? []
            while sharedNumber.count < lastChunk.count { sharedNumber.append(Self.unknown) }
            self.bucket = bucket
        }
        generation &+= 1
        if generation == 0 {  // wrapped: no stale stamp may match
            for i in lastChunk.indices { lastChunk[i] = 0 }
            generation = 1
            lastProcess = nil
        }
        table.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        for index in indices { encodeSpan(spans[index], traceID: traceID, chunkStart: chunkStart) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 8 + table.count * 12)
        out.append(sharing ? SpanChunkCodec.sharedNamesVersion : SpanChunkCodec.version)
        StoredSpanCodec.putVarint(UInt64(indices.count), &out)
        StoredSpanCodec.putVarint(UInt64(table.count), &out)
        for id in table { StoredSpanCodec.putString(strings.name(id), &out) }
        out.append(contentsOf: body)
        return out
    }

    private mutating func encodeSpan(_ span: Span, traceID: TraceID, chunkStart: UInt64) {
        StoredSpanCodec.putVarint(span.startTimeUnixNanos &- chunkStart, &body)
        StoredSpanCodec.putFixed64(span.spanID.value, &body)
        StoredSpanCodec.putVarint(UInt64(span.flags), &body)
        StoredSpanCodec.putVarint(span.durationNanos, &body)
        putRef(span.operationName, isValue: false)
        StoredSpanCodec.putReferences(span.references, traceID: traceID, &body)
        putAttributes(span.tags)
        StoredSpanCodec.putVarint(UInt64(span.logs.count), &body)
        for log in span.logs {
            StoredSpanCodec.putZigzag(Int64(bitPattern: log.timestampUnixNanos &- span.startTimeUnixNanos), &body)
            putAttributes(log.fields)
        }
        putProcess(span.process)
        StoredSpanCodec.putVarint(UInt64(span.warnings.count), &body)
        for warning in span.warnings { StoredSpanCodec.putString(warning, &body) }
    }

    /// Appends `[service:ref] attributes` of `process`. The spans of one batch share one process instance, so its
    /// bytes are copied from the last span's when they are valid here, instead of looking up each name again.
    private mutating func putProcess(_ process: Process) {
        if let last = lastProcess, last.process.isSameInstance(as: process), last.sharing == sharing,
            last.generation == generation || (!last.hasLocalRefs && last.bucket == bucket)
        {
            body.append(contentsOf: last.bytes)
            return
        }
        let start = body.count
        let localBefore = localRefs
        putRef(process.serviceName, isValue: false)
        putAttributes(process.tags)
        var encoded = lastProcess ?? EncodedProcess(process: process, generation: 0, bucket: bucket, sharing: false, hasLocalRefs: true)
        lastProcess = nil  // uniquely referenced while it is refilled
        encoded.process = process
        encoded.bytes.removeAll(keepingCapacity: true)
        encoded.bytes.append(contentsOf: body[start...])
        encoded.generation = generation
        encoded.bucket = bucket
        encoded.sharing = sharing
        encoded.hasLocalRefs = localRefs != localBefore
        lastProcess = encoded
    }

    private mutating func putAttributes(_ attributes: [Attribute]) {
        StoredSpanCodec.putVarint(UInt64(attributes.count), &body)
        for attribute in attributes {
            putRef(attribute.key, isValue: false)
            switch attribute.value {
            case .string(let s):
                if s.utf8.count <= SpanChunkCodec.maxInternedBytes {
                    body.append(0)
                    putRef(s, isValue: true)
                } else {
                    body.append(5)
                    StoredSpanCodec.putString(s, &body)
                }
            case .bool(let b):
                body.append(1)
                body.append(b ? 1 : 0)
            case .int64(let i):
                body.append(2)
                StoredSpanCodec.putZigzag(i, &body)
            case .float64(let d):
                body.append(3)
                StoredSpanCodec.putFixed64(d.bitPattern, &body)
            case .binary(let bytes):
                body.append(4)
                StoredSpanCodec.putVarint(UInt64(bytes.count), &body)
                body.append(contentsOf: bytes)
            }
        }
    }

    /// Appends the ref of `s`: its shared number when the bucket shares it, else its index in the chunk's table, added
    /// on first use. Attribute keys longer than `maxInternedBytes` are interned too (a key has no in-place form).
    private mutating func putRef(_ s: String, isValue: Bool) {
        let number = strings.id(s)
        let id = Int(number)
        if id == lastChunk.count {  // first use in this call
            lastChunk.append(0)
            localIndex.append(0)
        }
        if sharing, let names {
            while sharedNumber.count <= id { sharedNumber.append(Self.unknown) }
            if sharedNumber[id] == Self.unknown {
                if let (shared, durable) = names.number(of: s, bucket: bucket, isValue: isValue) {
                    sharedNumber[id] = shared
                    if !durable { pendingNames.append(.init(bucket: bucket, number: shared, name: s)) }
                } else {
                    sharedNumber[id] = Self.notShared
                }
            }
            if sharedNumber[id] != Self.notShared {
                StoredSpanCodec.putVarint(UInt64(sharedNumber[id]) << 1, &body)
                return
            }
        }
        if lastChunk[id] != generation {
            lastChunk[id] = generation
            localIndex[id] = UInt32(table.count)
            table.append(number)
        }
        localRefs &+= 1
        StoredSpanCodec.putVarint(sharing ? UInt64(localIndex[id]) << 1 | 1 : UInt64(localIndex[id]), &body)
    }
}
