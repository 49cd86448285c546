import SpoorModel

/// Spoor's own on-disk span format. Storage never imports wire types: a wire change cannot change what is on disk.
///
/// Version 1 (trace id, start time and span id live in the key and are not repeated):
/// ```
/// [version:u8 = 1] [flags:varint] [duration:varint] str(operation)
/// [refCount:varint] { [type:u8 | 0x80 when another trace] [traceID:16 if other trace] [spanID:u64 LE] }
/// [tagCount:varint] { attribute }
/// [logCount:varint] { [timestamp - start: zigzag varint] [fieldCount:varint] { attribute } }
/// str(service) [processTagCount:varint] { attribute }
/// [warningCount:varint] { str }
/// attribute := str(key) [type:u8] value   (0 string: str, 1 bool: u8, 2 int64: zigzag varint,
///                                            3 float64: u64 LE bits, 4 binary: [len:varint][bytes])
/// str := [len:varint][utf8]
/// ```
package enum StoredSpanCodec {
    /// Current format version.
    package static let version: UInt8 = 1

    /// Encodes everything but trace id, span id and start time.
    package static func encode(_ span: Span, into out: inout [UInt8]) {
        out.append(version)
        putVarint(UInt64(span.flags), &out)
        putVarint(span.durationNanos, &out)
        putString(span.operationName, &out)
        putReferences(span.references, traceID: span.traceID, &out)
        putAttributes(span.tags, &out)
        putVarint(UInt64(span.logs.count), &out)
        for log in span.logs {
            let delta = Int64(bitPattern: log.timestampUnixNanos &- span.startTimeUnixNanos)
            putZigzag(delta, &out)
            putAttributes(log.fields, &out)
        }
        putString(span.process.serviceName, &out)
        putAttributes(span.process.tags, &out)
        putVarint(UInt64(span.warnings.count), &out)
        for warning in span.warnings { putString(warning, &out) }
    }

    /// Decodes a value written by `encode`; throws on any inconsistency (corruption never traps).
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, traceID: TraceID, spanID: SpanID, startTimeUnixNanos: UInt64
    ) throws(StorageError) -> Span {
        var r = ValueReader(bytes)
        guard try r.byte() == version else { throw .corrupt("span value version") }
        let flags = try r.varint()
        let duration = try r.varint()
        let operation = try r.string()
        let refs = try r.references(traceID: traceID)
        let tags = try r.attributes()
        let logCount = try r.count()
        var logs: [SpanLog] = []
        logs.reserveCapacity(logCount)
        for _ in 0..<logCount {
            let delta = try r.zigzag()
            let fields = try r.attributes()
            logs.append(SpanLog(timestampUnixNanos: startTimeUnixNanos &+ UInt64(bitPattern: delta), fields: fields))
        }
        let service = try r.string()
        let processTags = try r.attributes()
        let warningCount = try r.count()
        var warnings: [String] = []
        for _ in 0..<warningCount { warnings.append(try r.string()) }
        return Span(
            traceID: traceID, spanID: spanID, operationName: operation, references: refs,
            flags: UInt32(truncatingIfNeeded: flags), startTimeUnixNanos: startTimeUnixNanos, durationNanos: duration,
            tags: tags, logs: logs, process: Process(serviceName: service, tags: processTags), warnings: warnings)
    }

    /// FNV-1a over the encoded value: the span key's disambiguator.
    package static func contentHash(_ bytes: [UInt8]) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for b in bytes {
            hash ^= UInt32(b)
            hash = hash &* 16_777_619
        }
        return hash
    }

    // MARK: - Writing

    @inline(__always)
    static func putVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// A signed integer as a zigzag varint (small magnitudes, either sign, take few bytes).
    static func putZigzag(_ value: Int64, _ out: inout [UInt8]) {
        putVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), &out)
    }

    @inline(__always)
    static func putFixed64(_ value: UInt64, _ out: inout [UInt8]) {
        for shift in stride(from: 0, through: 56, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    @inline(__always)
    static func putString(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            putVarint(UInt64(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    /// `[count:varint] { [type:u8 | 0x80 when another trace] [traceID:16 if other trace] [spanID:u64 LE] }`
    static func putReferences(_ references: [SpanReference], traceID: TraceID, _ out: inout [UInt8]) {
        putVarint(UInt64(references.count), &out)
        for ref in references {
            let foreign = ref.traceID != traceID
            out.append(ref.refType.rawValue | (foreign ? 0x80 : 0))
            if foreign {
                putFixed64(ref.traceID.high, &out)
                putFixed64(ref.traceID.low, &out)
            }
            putFixed64(ref.spanID.value, &out)
        }
    }

    static func putAttributes(_ attributes: [Attribute], _ out: inout [UInt8]) {
        putVarint(UInt64(attributes.count), &out)
        for attribute in attributes {
            putString(attribute.key, &out)
            switch attribute.value {
            case .string(let s):
                out.append(0)
                putString(s, &out)
            case .bool(let b):
                out.append(1)
                out.append(b ? 1 : 0)
            case .int64(let i):
                out.append(2)
                putZigzag(i, &out)
            case .float64(let d):
                out.append(3)
                putFixed64(d.bitPattern, &out)
            case .binary(let bytes):
                out.append(4)
                putVarint(UInt64(bytes.count), &out)
                out.append(contentsOf: bytes)
            }
        }
    }
}

/// Errors of the storage layer.
package enum StorageError: Error, CustomStringConvertible, Sendable {
    /// Any error thrown while reading the store, as a `StorageError` (RocksDB errors keep their kind; anything
    /// else, such as a decoding failure inside a scan, is corruption).
    static func wrapping(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        if let error = error as? RocksError { return .rocks(error) }
        return .corrupt("\(error)")
    }

    /// A stored value could not be decoded.
    case corrupt(String)
    /// RocksDB failed.
    case rocks(RocksError)
    /// The store is closed or shutting down.
    case closed
    /// The write queue is full.
    case overloaded

    package var description: String {
        switch self {
        case .corrupt(let what): return "corrupt stored data: \(what)"
        case .rocks(let error): return error.description
        case .closed: return "storage is closed"
        case .overloaded: return "storage write queue is full"
        }
    }
}

/// Bounds-checked reader for stored values.
struct ValueReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func byte() throws(StorageError) -> UInt8 {
        guard offset < bytes.count else { throw .corrupt("truncated value") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(StorageError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw .corrupt("varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag varint (`StoredSpanCodec.putZigzag`).
    mutating func zigzag() throws(StorageError) -> Int64 {
        let z = try varint()
        return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
    }

    /// A count that must fit in the remaining bytes (each element takes at least one byte).
    mutating func count() throws(StorageError) -> Int {
        let v = try varint()
        guard v <= UInt64(remaining) else { throw .corrupt("count exceeds value") }
        return Int(v)
    }

    mutating func fixed64() throws(StorageError) -> UInt64 {
        guard remaining >= 8 else { throw .corrupt("truncated fixed64") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += 8
        return v
    }

    mutating func bigEndian64() throws(StorageError) -> UInt64 {
        guard remaining >= 8 else { throw .corrupt("truncated fixed64") }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }

    mutating func rawBytes() throws(StorageError) -> UnsafeRawBufferPointer {
        let length = try count()
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
    }

    mutating func string() throws(StorageError) -> String {
        String(decoding: try rawBytes(), as: UTF8.self)
    }

    /// References written by `StoredSpanCodec.putReferences`; `traceID` is the span's own trace.
    mutating func references(traceID: TraceID) throws(StorageError) -> [SpanReference] {
        let count = try count()
        var refs: [SpanReference] = []
        refs.reserveCapacity(count)
        for _ in 0..<count {
            let type = try byte()
            var refTrace = traceID
            if type & 0x80 != 0 { refTrace = TraceID(high: try fixed64(), low: try fixed64()) }
            refs.append(SpanReference(refType: type & 0x7F == 1 ? .followsFrom : .childOf, traceID: refTrace, spanID: SpanID(try fixed64())))
        }
        return refs
    }

    mutating func attributes() throws(StorageError) -> [Attribute] {
        let n = try count()
        var result: [Attribute] = []
        result.reserveCapacity(n)
        for _ in 0..<n {
            let key = try string()
            let value: AttributeValue
            switch try byte() {
            case 0: value = .string(try string())
            case 1: value = .bool(try byte() != 0)
            case 2: value = .int64(try zigzag())
            case 3: value = .float64(Double(bitPattern: try fixed64()))
            case 4: value = .binary(Array(try rawBytes()))
            default: throw .corrupt("attribute type")
            }
            result.append(Attribute(key: key, value: value))
        }
        return result
    }
}
