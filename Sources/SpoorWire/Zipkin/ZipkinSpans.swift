import SpoorModel

// The two Zipkin data models, as decoded and before conversion into Jaeger spans.
//
// v1 (zipkincore.thrift, also the v1 JSON API) keeps Thrift's signed integers and optional fields
// so the legacy converter can apply Jaeger's sanitizers exactly; v2 (zipkin2 JSON, zipkin.proto3)
// holds already-validated ids.

/// `zipkincore.Endpoint {1: i32 ipv4, 2: i16 port, 3: string service_name, 4: optional binary ipv6}`.
struct ZipkinV1Endpoint {
    /// Packed big-endian: `1.2.3.4` is `0x01020304`; 0 means unknown.
    var ipv4: Int32 = 0
    /// Unsigned on the wire's i16: 65535 arrives as -1.
    var port: Int16 = 0
    var serviceName = ""
    var ipv6: [UInt8]?
}

/// `zipkincore.Annotation {1: i64 timestamp (µs), 2: string value, 3: optional Endpoint host}`.
struct ZipkinV1Annotation {
    var timestamp: Int64 = 0
    var value = ""
    var host: ZipkinV1Endpoint?
}

/// `zipkincore.AnnotationType`: numeric values are big-endian, BOOL true is the single byte 1.
enum ZipkinAnnotationType {
    static let bool: Int32 = 0
    static let bytes: Int32 = 1
    static let i16: Int32 = 2
    static let i32: Int32 = 3
    static let i64: Int32 = 4
    static let double: Int32 = 5
    static let string: Int32 = 6
}

/// `zipkincore.BinaryAnnotation {1: string key, 2: binary value, 3: AnnotationType annotation_type,
/// 4: optional Endpoint host}`. An absent type is 0 (BOOL), as in Thrift's generated code.
struct ZipkinV1BinaryAnnotation {
    var key = ""
    var value: [UInt8] = []
    var type: Int32 = ZipkinAnnotationType.bool
    var host: ZipkinV1Endpoint?
}

/// `zipkincore.Span`; see the field table in spec/ingest.md §2.7.
struct ZipkinV1Span {
    var traceID: Int64 = 0
    var traceIDHigh: Int64?
    var name = ""
    var id: Int64 = 0
    var parentID: Int64?
    var annotations: [ZipkinV1Annotation] = []
    var binaryAnnotations: [ZipkinV1BinaryAnnotation] = []
    var debug = false
    /// µs since the epoch.
    var timestamp: Int64?
    /// µs.
    var duration: Int64?
}

/// A v2 endpoint (`localEndpoint` / `remoteEndpoint`).
struct ZipkinV2Endpoint {
    var serviceName = ""
    /// Exactly 4 bytes when present.
    var ipv4: [UInt8]?
    /// Exactly 16 bytes when present.
    var ipv6: [UInt8]?
    /// 0 means unknown.
    var port: Int = 0
}

/// Zipkin v2 span kinds.
enum ZipkinV2Kind {
    case unspecified, client, server, producer, consumer
}

/// One v2 span: `zipkin.proto3.Span` or one element of a v2 JSON array.
struct ZipkinV2Span {
    var traceID: TraceID = .zero
    var id: SpanID = .zero
    /// Zero means none.
    var parentID: SpanID = .zero
    var kind: ZipkinV2Kind = .unspecified
    var name = ""
    /// µs since the epoch; 0 when absent.
    var timestamp: UInt64 = 0
    /// µs; 0 when absent.
    var duration: UInt64 = 0
    var localEndpoint: ZipkinV2Endpoint?
    var remoteEndpoint: ZipkinV2Endpoint?
    var annotations: [(timestamp: UInt64, value: String)] = []
    /// In arrival order; a repeated key keeps its first position and its last value.
    var tags: [(key: String, value: String)] = []
    var debug = false
    var shared = false
}

/// Key/value pairs in first-arrival order where a repeated key keeps its first position and takes
/// the last value (Go map semantics, but deterministic). Keys are told apart by their bytes, as Go's are: two
/// spellings that render alike are two keys. Hashed, so hostile input with many keys costs linear time.
struct ZipkinOrderedPairs<Value> {
    private(set) var pairs: [(key: String, value: Value)] = []
    private var positions: [ExactString: Int] = [:]

    init() {}

    var count: Int { pairs.count }

    /// Appends a new key, or replaces the value of an existing one in place.
    mutating func put(_ key: String, _ value: Value) {
        if let index = positions[ExactString(key)] {
            pairs[index].value = value
        } else {
            positions[ExactString(key)] = pairs.count
            pairs.append((key, value))
        }
    }

    /// The value of `key`, if present.
    subscript(key: String) -> Value? {
        positions[ExactString(key)].map { pairs[$0].value }
    }
}

/// Microseconds (Zipkin's unit) to nanoseconds (the model's).
enum ZipkinTime {
    /// Negative times clamp to 0, overflow saturates at `UInt64.max`.
    @inline(__always)
    static func nanos(micros: Int64) -> UInt64 {
        guard micros > 0 else { return 0 }
        return nanos(micros: UInt64(micros))
    }

    /// Overflow saturates at `UInt64.max`.
    @inline(__always)
    static func nanos(micros: UInt64) -> UInt64 {
        let (product, overflow) = micros.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : product
    }
}
