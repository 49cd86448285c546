import Foundation
import NIOCore
import SpoorModel
import SpoorWire

// Test-only helpers for the OTLP suites: fixture loading, the client-payload manifest, message
// builders and a seeded PRNG.

/// Loads files from `Fixtures/otlp/`.
enum OTLPFixtures {
    enum FixtureError: Error { case missingBundle }

    static var directory: URL {
        get throws {
            guard let base = Bundle.module.resourceURL else { throw FixtureError.missingBundle }
            return base.appendingPathComponent("Fixtures/otlp", isDirectory: true)
        }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func buffer(_ name: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try bytes(name))
    }

    /// The eight `otlp-http-NN.otlp.pb` bodies (one span each).
    static let protobufBodies = (0..<8).map { "otlp-http-0\($0).otlp.pb" }

    /// The 32 Jaeger storage-suite traces (OTLP JSON), by base name.
    static let storageTraces = [
        "default", "dur_trace", "example_trace", "link_attributes_trace", "log_tags_trace", "max_dur_trace",
        "multi_index_trace", "multi_spot_tags_trace", "multiple1_trace", "multiple2_trace", "multiple3_trace",
        "multispottag_dur_trace", "multispottag_maxdur_trace", "multispottag_opname_dur_trace",
        "multispottag_opname_maxdur_trace", "multispottag_opname_trace", "opname_dur_trace",
        "opname_maxdur_trace", "opname_trace", "process_tags_trace", "scope_attributes_trace",
        "scope_name_version_trace", "span_tags_trace", "tags_dur_trace", "tags_escaped_operator_trace_1",
        "tags_escaped_operator_trace_2", "tags_maxdur_trace", "tags_opname_dur_trace",
        "tags_opname_maxdur_trace", "tags_opname_trace", "tags_wildcard_regex_1", "tags_wildcard_regex_2",
    ]

    static func storageTrace(_ name: String) throws -> ByteBuffer {
        try buffer("storage-traces/\(name).json")
    }

    static func manifest() throws -> ClientManifest {
        try JSONDecoder().decode(ClientManifest.self, from: Data(bytes("manifest.json")))
    }
}

/// The part of `manifest.json` these tests read: what the OTLP/HTTP client was asked to send.
struct ClientManifest: Decodable {
    struct Client: Decodable {
        struct File: Decodable {
            let file: String
            let bytes: Int
        }
        struct Sent: Decodable {
            let service: String
            let traces: [SentTrace]
        }
        let files: [File]
        let sent: Sent
    }
    struct SentTrace: Decodable {
        let traceID: String
        let spans: [SentSpan]
    }
    struct SentEvent: Decodable {
        let name: String
        let attributes: [String: ManifestValue]
    }
    struct SentSpan: Decodable {
        let spanID: String
        let parentSpanID: String?
        let operationName: String
        let kind: String
        let startTime: UInt64
        let duration: UInt64
        let attributes: [String: ManifestValue]
        let events: [SentEvent]
        let error: Bool
    }

    let otlpHTTP: Client

    enum CodingKeys: String, CodingKey { case otlpHTTP = "otlp-http" }
}

/// A typed JSON scalar of the manifest. JSONDecoder is strict, so the order bool, int, double, string is exact.
enum ManifestValue: Decodable, Equatable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    var attributeValue: AttributeValue {
        switch self {
        case .bool(let value): return .bool(value)
        case .int(let value): return .int64(value)
        case .double(let value): return .float64(value)
        case .string(let value): return .string(value)
        }
    }
}

/// Builders for hand-made OTLP messages.
enum OTLPBuild {
    typealias Request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
    typealias ResourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans
    typealias ScopeSpans = Opentelemetry_Proto_Trace_V1_ScopeSpans
    typealias OSpan = Opentelemetry_Proto_Trace_V1_Span
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue
    typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue

    static let traceBytes: [UInt8] = [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 1, 2, 3, 4, 5, 6, 7, 8]
    static let traceID = TraceID(high: 0x0a0b_0c0d_0e0f_1011, low: 0x0102_0304_0506_0708)
    static let spanBytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x2a]
    static let parentBytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x01]

    static func value(_ build: (inout AnyValue) -> Void) -> AnyValue {
        var value = AnyValue()
        build(&value)
        return value
    }

    static func string(_ text: String) -> AnyValue { value { $0.stringValue = text } }
    static func int(_ number: Int64) -> AnyValue { value { $0.intValue = number } }
    static func double(_ number: Double) -> AnyValue { value { $0.doubleValue = number } }
    static func bool(_ flag: Bool) -> AnyValue { value { $0.boolValue = flag } }
    static func bytes(_ data: [UInt8]) -> AnyValue { value { $0.bytesValue = Data(data) } }

    static func array(_ values: [AnyValue]) -> AnyValue {
        value {
            var array = Opentelemetry_Proto_Common_V1_ArrayValue()
            array.values = values
            $0.arrayValue = array
        }
    }

    static func kvlist(_ entries: [KeyValue]) -> AnyValue {
        value {
            var list = Opentelemetry_Proto_Common_V1_KeyValueList()
            list.values = entries
            $0.kvlistValue = list
        }
    }

    static func kv(_ key: String, _ value: AnyValue?) -> KeyValue {
        var keyValue = KeyValue()
        keyValue.key = key
        if let value { keyValue.value = value }
        return keyValue
    }

    static func span(_ build: (inout OSpan) -> Void = { _ in }) -> OSpan {
        var span = OSpan()
        span.traceID = Data(traceBytes)
        span.spanID = Data(spanBytes)
        span.name = "op"
        span.startTimeUnixNano = 1_000_000_000
        span.endTimeUnixNano = 1_000_005_000
        build(&span)
        return span
    }

    /// One ResourceSpans with the given resource attributes, one scope, and `spans`.
    static func request(
        resource: [KeyValue]? = [kv("service.name", string("svc"))],
        scopeName: String = "", scopeVersion: String = "",
        spans: [OSpan]
    ) -> Request {
        var scopeSpans = ScopeSpans()
        scopeSpans.scope.name = scopeName
        scopeSpans.scope.version = scopeVersion
        scopeSpans.spans = spans
        var resourceSpans = ResourceSpans()
        if let resource { resourceSpans.resource.attributes = resource }
        resourceSpans.scopeSpans = [scopeSpans]
        var request = Request()
        request.resourceSpans = [resourceSpans]
        return request
    }

    /// Converts a one-span request and returns that span.
    static func convert(_ span: OSpan, limits: OTLPLimits = .default) throws -> Span {
        let spans = try OTLPDecoder.spans(from: request(spans: [span]), limits: limits)
        guard spans.count == 1, let first = spans.first else {
            throw TestFailure("expected one span, got \(spans.count)")
        }
        return first
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// SplitMix64, seeded, so a failing fuzz case reproduces.
struct OTLPTestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_E4D9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

extension Span {
    /// The value of the first tag named `key`.
    func otlpTagValue(_ key: String) -> AttributeValue? { tags.first { $0.key == key }?.value }
}

/// A buffer holding the UTF-8 of `text`.
func otlpBuffer(_ text: String) -> ByteBuffer { ByteBuffer(bytes: Array(text.utf8)) }
