import Foundation
import NIOCore
import SpoorModel
import SpoorWire

// Test-only helpers for the Zipkin suites: fixture loading, the client manifests, and writers for
// hand-made zipkincore Thrift and zipkin.proto3 payloads.

/// Loads files from `Fixtures/zipkin/`.
enum ZipkinFixtures {
    enum FixtureError: Error { case missingBundle }

    static var directory: URL {
        get throws {
            guard let base = Bundle.module.resourceURL else { throw FixtureError.missingBundle }
            return base.appendingPathComponent("Fixtures/zipkin", isDirectory: true)
        }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func buffer(_ name: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try bytes(name))
    }

    /// opentelemetry-exporter-zipkin-json 1.45.1, v2 JSON (the shared client payloads).
    static let v2JSON = (0..<8).map { "zipkin-0\($0).zipkin-v2.json" }
    /// opentelemetry-exporter-zipkin-proto-http 1.45.1, v2 protobuf.
    static let v2Proto = (0..<8).map { "zipkin-proto-0\($0).zipkin-v2.pb" }
    /// opentelemetry-exporter-zipkin-json 1.45.1 with `Protocol.V1`, v1 JSON.
    static let v1JSON = (0..<8).map { "zipkin-v1-0\($0).zipkin-v1.json" }

    /// Decodes a fixture with the decoder its name calls for.
    static func decode(_ name: String, _ buffer: ByteBuffer, limits: DecodingLimits = .default) throws -> [Span] {
        if name.hasSuffix(".zipkin-v2.pb") { return try ZipkinDecoder.decodeV2Proto(buffer, limits: limits) }
        if name.hasSuffix(".zipkin-v1.json") { return try ZipkinDecoder.decodeV1JSON(buffer, limits: limits) }
        return try ZipkinDecoder.decodeV2JSON(buffer, limits: limits)
    }

    /// The "zipkin" client of the shared `manifest.json`.
    static func sharedManifest() throws -> ZipkinManifest.Client {
        try JSONDecoder().decode(ZipkinManifest.self, from: Data(bytes("manifest.json"))).zipkin
    }

    /// The two captured clients of `captures.json`, by name (`zipkin-proto`, `zipkin-v1`).
    static func captures() throws -> [String: ZipkinManifest.Client] {
        try JSONDecoder().decode([String: ZipkinManifest.Client].self, from: Data(bytes("captures.json")))
    }
}

/// What a client was asked to send (the schema of `manifest.json` entries and `captures.json`).
struct ZipkinManifest: Decodable {
    struct Client: Decodable {
        struct File: Decodable { let file: String }
        struct Sent: Decodable {
            let service: String
            let traces: [ClientManifest.SentTrace]
        }
        let files: [File]
        let sent: Sent

        /// Every sent span with its trace id, keyed by span id.
        var spansByID: [String: (traceID: String, span: ClientManifest.SentSpan)] {
            var out: [String: (traceID: String, span: ClientManifest.SentSpan)] = [:]
            for trace in sent.traces {
                for span in trace.spans { out[span.spanID] = (trace.traceID, span) }
            }
            return out
        }
    }

    let zipkin: Client
}

extension ManifestValue {
    /// The text a Zipkin exporter writes for the value (Zipkin tags are strings).
    var zipkinTagText: String {
        switch self {
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return "\(value)"
        case .string(let value): return value
        }
    }
}

extension Span {
    /// The value of the first tag named `key`.
    func tag(_ key: String) -> AttributeValue? { tags.first { $0.key == key }?.value }

    /// How many tags are named `key`.
    func tagCount(_ key: String) -> Int { tags.filter { $0.key == key }.count }
}

extension SpoorModel.Process {
    func tag(_ key: String) -> AttributeValue? { tags.first { $0.key == key }?.value }
}

// MARK: - zipkincore Thrift builders

/// A zipkincore Endpoint as written on the wire.
struct ZipkinWireEndpoint {
    var ipv4: Int32 = 0
    var port: Int16 = 0
    var serviceName = "svc"
    var ipv6: [UInt8]?
}

/// A zipkincore BinaryAnnotation; `type == nil` omits the field (zipkincore's default is BOOL).
struct ZipkinWireBinaryAnnotation {
    var key: String
    var value: [UInt8]
    var type: Int32? = 6
    var host: ZipkinWireEndpoint?

    static func string(_ key: String, _ value: String, host: ZipkinWireEndpoint? = nil) -> Self {
        Self(key: key, value: Array(value.utf8), type: 6, host: host)
    }
}

/// A zipkincore Span; optional fields are written only when set.
struct ZipkinWireSpan {
    var traceID: Int64 = 0x1111
    var traceIDHigh: Int64?
    var name = "op"
    var id: Int64 = 0x2222
    var parentID: Int64?
    var annotations: [(timestamp: Int64, value: String, host: ZipkinWireEndpoint?)] = []
    var binaryAnnotations: [ZipkinWireBinaryAnnotation] = []
    var debug: Bool?
    var timestamp: Int64? = 1_700_000_000_000_000
    var duration: Int64? = 1234
    /// Adds fields the IDL lacks (and a known id with a wrong type) between the known ones.
    var unknownFields = false
}

/// The Thrift test writers plus the i16 that zipkincore's Endpoint.port needs.
protocol ZipkinTestWriter: TestThriftWriter {
    mutating func writeI16(_ value: Int16)
}

extension CompactTestWriter: ZipkinTestWriter {
    mutating func writeI16(_ value: Int16) { writeZigzag(Int64(value)) }
}

extension BinaryTestWriter: ZipkinTestWriter {
    mutating func writeI16(_ value: Int16) { writeBigEndian(value) }
}

enum ZipkinWire {
    static func writeEndpoint<W: ZipkinTestWriter>(_ endpoint: ZipkinWireEndpoint, to w: inout W) {
        w.writeStructBegin()
        w.writeI32Field(id: 1, endpoint.ipv4)
        w.writeFieldBegin(id: 2, type: .i16)
        w.writeI16(endpoint.port)
        w.writeStringField(id: 3, endpoint.serviceName)
        if let ipv6 = endpoint.ipv6 {
            w.writeFieldBegin(id: 4, type: .string)
            w.writeBinary(ipv6)
        }
        w.writeStructEnd()
    }

    static func writeSpan<W: ZipkinTestWriter>(_ span: ZipkinWireSpan, to w: inout W) {
        w.writeStructBegin()
        if span.unknownFields {
            w.writeFieldBegin(id: 2, type: .struct)
            w.writeStructBegin()
            w.writeStringField(id: 1, "unused id 2")
            w.writeStructEnd()
        }
        w.writeI64Field(id: 1, span.traceID)
        w.writeStringField(id: 3, span.name)
        w.writeI64Field(id: 4, span.id)
        if let parentID = span.parentID { w.writeI64Field(id: 5, parentID) }
        if !span.annotations.isEmpty {
            w.writeFieldBegin(id: 6, type: .list)
            w.writeListBegin(elementType: .struct, count: span.annotations.count)
            for annotation in span.annotations {
                w.writeStructBegin()
                w.writeI64Field(id: 1, annotation.timestamp)
                w.writeStringField(id: 2, annotation.value)
                if let host = annotation.host {
                    w.writeFieldBegin(id: 3, type: .struct)
                    writeEndpoint(host, to: &w)
                }
                w.writeStructEnd()
            }
        }
        if span.unknownFields {
            w.writeFieldBegin(id: 7, type: .list)
            w.writeListBegin(elementType: .i64, count: 2)
            w.writeI64(1)
            w.writeI64(2)
            w.writeI32Field(id: 3, 99)  // known id, wrong type: skipped
        }
        if !span.binaryAnnotations.isEmpty {
            w.writeFieldBegin(id: 8, type: .list)
            w.writeListBegin(elementType: .struct, count: span.binaryAnnotations.count)
            for annotation in span.binaryAnnotations {
                w.writeStructBegin()
                w.writeStringField(id: 1, annotation.key)
                w.writeFieldBegin(id: 2, type: .string)
                w.writeBinary(annotation.value)
                if let type = annotation.type { w.writeI32Field(id: 3, type) }
                if let host = annotation.host {
                    w.writeFieldBegin(id: 4, type: .struct)
                    writeEndpoint(host, to: &w)
                }
                w.writeStructEnd()
            }
        }
        if let debug = span.debug { w.writeBoolField(id: 9, value: debug) }
        if let timestamp = span.timestamp { w.writeI64Field(id: 10, timestamp) }
        if let duration = span.duration { w.writeI64Field(id: 11, duration) }
        if let high = span.traceIDHigh { w.writeI64Field(id: 12, high) }
        w.writeStructEnd()
    }

    /// A bare `list<zipkincore.Span>` (the HTTP v1 Thrift body when written with the binary writer).
    static func spanList<W: ZipkinTestWriter>(_ writer: W.Type, _ spans: [ZipkinWireSpan]) -> [UInt8] {
        var w = W()
        w.writeListBegin(elementType: .struct, count: spans.count)
        for span in spans { writeSpan(span, to: &w) }
        return w.bytes
    }

    /// A whole `Agent.emitZipkinBatch` message.
    static func emitZipkinBatch<W: ZipkinTestWriter>(_ writer: W.Type, _ spans: [ZipkinWireSpan]) -> [UInt8] {
        var w = W()
        w.writeMessageBegin(name: "emitZipkinBatch", type: 4, sequenceID: 3)
        w.writeStructBegin()
        w.writeFieldBegin(id: 1, type: .list)
        w.writeListBegin(elementType: .struct, count: spans.count)
        for span in spans { writeSpan(span, to: &w) }
        w.writeStructEnd()
        return w.bytes
    }

    /// Decodes an emitZipkinBatch datagram built by one of the writers.
    static func decodeDatagram<W: ZipkinTestWriter>(_ writer: W.Type, _ bytes: [UInt8]) throws -> [Span] {
        let kind: ThriftProtocolKind = writer == CompactTestWriter.self ? .compact : .binary
        guard
            case .emitZipkinBatch(let spans) = try JaegerThrift.decodeAgentDatagram(
                ByteBuffer(bytes: bytes), protocol: kind)
        else { return [] }
        return spans
    }
}

// MARK: - zipkin.proto3 builder

/// A minimal protobuf writer for hand-made `ListOfSpans` bodies.
struct ProtoTestWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: UInt64, _ wireType: UInt64) { varint(field << 3 | wireType) }

    mutating func raw(_ data: [UInt8]) { bytes += data }

    mutating func bytesField(_ field: UInt64, _ value: [UInt8]) {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func stringField(_ field: UInt64, _ value: String) { bytesField(field, Array(value.utf8)) }

    mutating func varintField(_ field: UInt64, _ value: UInt64) {
        tag(field, 0)
        varint(value)
    }

    mutating func fixed64Field(_ field: UInt64, _ value: UInt64) {
        tag(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func messageField(_ field: UInt64, _ build: (inout ProtoTestWriter) -> Void) {
        var inner = ProtoTestWriter()
        build(&inner)
        bytesField(field, inner.bytes)
    }
}

/// A zipkin.proto3 Span as written on the wire.
struct ProtoWireSpan {
    var traceID: [UInt8] = [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 1, 2, 3, 4, 5, 6, 7, 8]
    var parentID: [UInt8]?
    var id: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x2a]
    var kind: UInt64?
    var name = "op"
    var timestamp: UInt64 = 1_700_000_000_000_000
    var duration: UInt64 = 1500
    var local: (service: String, ipv4: [UInt8]?, ipv6: [UInt8]?, port: UInt64?)? = ("svc", nil, nil, nil)
    var remote: (service: String, ipv4: [UInt8]?, ipv6: [UInt8]?, port: UInt64?)?
    var annotations: [(UInt64, String)] = []
    var tags: [(String, String)] = []
    var debug = false
    var shared = false

    func write(_ w: inout ProtoTestWriter) {
        func endpoint(_ e: (service: String, ipv4: [UInt8]?, ipv6: [UInt8]?, port: UInt64?)) -> (inout ProtoTestWriter)
            -> Void
        {
            { w in
                w.stringField(1, e.service)
                if let ipv4 = e.ipv4 { w.bytesField(2, ipv4) }
                if let ipv6 = e.ipv6 { w.bytesField(3, ipv6) }
                if let port = e.port { w.varintField(4, port) }
            }
        }
        w.bytesField(1, traceID)
        if let parentID { w.bytesField(2, parentID) }
        w.bytesField(3, id)
        if let kind { w.varintField(4, kind) }
        w.stringField(5, name)
        w.fixed64Field(6, timestamp)
        w.varintField(7, duration)
        if let local { w.messageField(8, endpoint(local)) }
        if let remote { w.messageField(9, endpoint(remote)) }
        for (timestamp, value) in annotations {
            w.messageField(10) { a in
                a.fixed64Field(1, timestamp)
                a.stringField(2, value)
            }
        }
        for (key, value) in tags {
            w.messageField(11) { e in
                e.stringField(1, key)
                e.stringField(2, value)
            }
        }
        if debug { w.varintField(12, 1) }
        if shared { w.varintField(13, 1) }
    }

    /// A `ListOfSpans` body holding `spans`.
    static func list(_ spans: [ProtoWireSpan]) -> [UInt8] {
        var w = ProtoTestWriter()
        for span in spans { w.messageField(1) { span.write(&$0) } }
        return w.bytes
    }
}
