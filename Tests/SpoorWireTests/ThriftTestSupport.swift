import Foundation
import NIOCore
import SpoorModel
import SpoorWire

// Test-only helpers: fixture loading, a seeded PRNG and minimal Thrift writers used to build
// hand-made payloads. The writers implement only what the tests need.

/// Loads files from `Fixtures/thrift/`.
enum ThriftFixtures {
    /// Directory holding the thrift fixtures inside the test bundle.
    static var directory: URL {
        get throws {
            guard let base = Bundle.module.resourceURL else { throw FixtureError.missingBundle }
            return base.appendingPathComponent("Fixtures/thrift", isDirectory: true)
        }
    }

    /// The bytes of one fixture file.
    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The bytes of one fixture file in a ByteBuffer.
    static func buffer(_ name: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try bytes(name))
    }

    /// Names of all datagram and body fixtures, sorted.
    static let compactDatagrams = (0..<8).flatMap { n in
        ["jaeger-client-0\(n).compact.bin", "otel-jaeger-udp-0\(n).compact.bin"]
    }
    static let binaryDatagrams = compactDatagrams.map {
        $0.replacingOccurrences(of: ".compact.bin", with: ".binary.bin")
    }
    static let httpBodies = (0..<8).map { "otel-jaeger-http-0\($0).thrift-binary.bin" }
    static let all = compactDatagrams + binaryDatagrams + httpBodies

    /// Decodes `buffer` with the decoder that the fixture `name` is meant for.
    static func decode(name: String, buffer: ByteBuffer, limits: DecodingLimits = .default) throws(ThriftError)
        -> [Span]
    {
        let message: AgentMessage
        if name.hasSuffix(".thrift-binary.bin") {
            return try JaegerThrift.decodeBatch(binary: buffer, limits: limits)
        } else if name.hasSuffix(".compact.bin") {
            message = try JaegerThrift.decodeAgentDatagram(buffer, protocol: .compact, limits: limits)
        } else {
            message = try JaegerThrift.decodeAgentDatagram(buffer, protocol: .binary, limits: limits)
        }
        guard case .emitBatch(let spans) = message else { return [] }
        return spans
    }

    enum FixtureError: Error { case missingBundle }
}

// MARK: - Writers

/// The write side of a Thrift protocol, just enough to hand-build payloads.
protocol TestThriftWriter {
    var bytes: [UInt8] { get }
    init()
    mutating func writeMessageBegin(name: String, type: UInt8, sequenceID: Int32)
    mutating func writeStructBegin()
    /// Writes the stop byte and leaves the struct.
    mutating func writeStructEnd()
    mutating func writeFieldBegin(id: Int16, type: ThriftType)
    mutating func writeBoolField(id: Int16, value: Bool)
    mutating func writeListBegin(elementType: ThriftType, count: Int)
    mutating func writeBool(_ value: Bool)
    mutating func writeI32(_ value: Int32)
    mutating func writeI64(_ value: Int64)
    mutating func writeDouble(_ value: Double)
    mutating func writeString(_ value: String)
    mutating func writeBinary(_ value: [UInt8])
}

extension TestThriftWriter {
    mutating func writeI32Field(id: Int16, _ value: Int32) {
        writeFieldBegin(id: id, type: .i32)
        writeI32(value)
    }

    mutating func writeI64Field(id: Int16, _ value: Int64) {
        writeFieldBegin(id: id, type: .i64)
        writeI64(value)
    }

    mutating func writeStringField(id: Int16, _ value: String) {
        writeFieldBegin(id: id, type: .string)
        writeString(value)
    }
}

/// Compact-protocol writer.
struct CompactTestWriter: TestThriftWriter {
    private(set) var bytes: [UInt8] = []
    private var lastFieldID: Int16 = 0
    private var stack: [Int16] = []

    init() {}

    static func compactType(_ type: ThriftType) -> UInt8 {
        switch type {
        case .stop: return 0
        case .bool: return 2
        case .byte: return 3
        case .i16: return 4
        case .i32: return 5
        case .i64: return 6
        case .double: return 7
        case .string: return 8
        case .list: return 9
        case .set: return 10
        case .map: return 11
        case .struct: return 12
        case .uuid: return 13
        }
    }

    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeMessageBegin(name: String, type: UInt8, sequenceID: Int32) {
        bytes.append(0x82)
        bytes.append(type << 5 | 0x01)
        writeVarint(UInt64(UInt32(bitPattern: sequenceID)))
        writeString(name)
    }

    mutating func writeStructBegin() {
        stack.append(lastFieldID)
        lastFieldID = 0
    }

    mutating func writeStructEnd() {
        bytes.append(0)
        lastFieldID = stack.popLast() ?? 0
    }

    private mutating func writeFieldHeader(id: Int16, compactType: UInt8) {
        let delta = Int(id) - Int(lastFieldID)
        if (1...15).contains(delta) {
            bytes.append(UInt8(delta) << 4 | compactType)
        } else {
            bytes.append(compactType)
            writeZigzag(Int64(id))
        }
        lastFieldID = id
    }

    mutating func writeFieldBegin(id: Int16, type: ThriftType) {
        writeFieldHeader(id: id, compactType: Self.compactType(type))
    }

    mutating func writeBoolField(id: Int16, value: Bool) {
        writeFieldHeader(id: id, compactType: value ? 1 : 2)
    }

    mutating func writeListBegin(elementType: ThriftType, count: Int) {
        let type = Self.compactType(elementType)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type)
        } else {
            bytes.append(0xF0 | type)
            writeVarint(UInt64(count))
        }
    }

    mutating func writeBool(_ value: Bool) { bytes.append(value ? 1 : 0) }
    mutating func writeI32(_ value: Int32) { writeZigzag(Int64(value)) }
    mutating func writeI64(_ value: Int64) { writeZigzag(value) }

    mutating func writeDouble(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeString(_ value: String) { writeBinary(Array(value.utf8)) }

    mutating func writeBinary(_ value: [UInt8]) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
}

/// Binary-protocol writer; `strict` selects the message header form.
struct BinaryTestWriter: TestThriftWriter {
    private(set) var bytes: [UInt8] = []
    var strict = true

    init() {}

    init(strict: Bool) { self.strict = strict }

    mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeMessageBegin(name: String, type: UInt8, sequenceID: Int32) {
        if strict {
            writeBigEndian(UInt32(0x8001_0000) | UInt32(type))
            writeString(name)
        } else {
            writeString(name)
            bytes.append(type)
        }
        writeBigEndian(sequenceID)
    }

    mutating func writeStructBegin() {}
    mutating func writeStructEnd() { bytes.append(0) }

    mutating func writeFieldBegin(id: Int16, type: ThriftType) {
        bytes.append(type.rawValue)
        writeBigEndian(id)
    }

    mutating func writeBoolField(id: Int16, value: Bool) {
        writeFieldBegin(id: id, type: .bool)
        writeBool(value)
    }

    mutating func writeListBegin(elementType: ThriftType, count: Int) {
        bytes.append(elementType.rawValue)
        writeBigEndian(Int32(truncatingIfNeeded: count))
    }

    mutating func writeBool(_ value: Bool) { bytes.append(value ? 1 : 0) }
    mutating func writeI32(_ value: Int32) { writeBigEndian(value) }
    mutating func writeI64(_ value: Int64) { writeBigEndian(value) }
    mutating func writeDouble(_ value: Double) { writeBigEndian(value.bitPattern) }
    mutating func writeString(_ value: String) { writeBinary(Array(value.utf8)) }

    mutating func writeBinary(_ value: [UInt8]) {
        writeBigEndian(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
}

/// The two protocols, as test arguments.
enum ThriftWireProtocol: String, CaseIterable, Sendable {
    case compact
    case binary

    /// The writer type producing this protocol.
    var writer: any TestThriftWriter.Type {
        switch self {
        case .compact: return CompactTestWriter.self
        case .binary: return BinaryTestWriter.self
        }
    }
}

// MARK: - Jaeger payload builders

/// A jaeger.thrift Tag as written on the wire (any combination of value fields).
struct JaegerWireTag {
    var key: String?
    var vType: Int32?
    var vStr: String?
    var vDouble: Double?
    var vBool: Bool?
    var vLong: Int64?
    var vBinary: [UInt8]?

    static func string(_ key: String, _ value: String) -> JaegerWireTag {
        JaegerWireTag(key: key, vType: 0, vStr: value)
    }
    static func double(_ key: String, _ value: Double) -> JaegerWireTag {
        JaegerWireTag(key: key, vType: 1, vDouble: value)
    }
    static func bool(_ key: String, _ value: Bool) -> JaegerWireTag { JaegerWireTag(key: key, vType: 2, vBool: value) }
    static func long(_ key: String, _ value: Int64) -> JaegerWireTag { JaegerWireTag(key: key, vType: 3, vLong: value) }
    static func binary(_ key: String, _ value: [UInt8]) -> JaegerWireTag {
        JaegerWireTag(key: key, vType: 4, vBinary: value)
    }
}

/// A jaeger.thrift SpanRef.
struct JaegerWireRef {
    var refType: Int32
    var traceIDLow: Int64
    var traceIDHigh: Int64
    var spanID: Int64
}

/// A jaeger.thrift Span; `omit` drops fields by id, `unknownFields` adds fields the IDL lacks.
struct JaegerWireSpan {
    var traceIDLow: Int64 = 0x1111
    var traceIDHigh: Int64 = 0
    var spanID: Int64 = 0x2222
    var parentSpanID: Int64 = 0
    var operationName = "op"
    var references: [JaegerWireRef]?
    var flags: Int32 = 1
    var startTime: Int64 = 1_700_000_000_000_000
    var duration: Int64 = 1234
    var tags: [JaegerWireTag]?
    var logs: [(timestamp: Int64, fields: [JaegerWireTag])]?
    var omit: Set<Int16> = []
    var unknownFields = false
}

enum JaegerWire {
    static func writeTag<W: TestThriftWriter>(_ tag: JaegerWireTag, to w: inout W) {
        w.writeStructBegin()
        if let key = tag.key { w.writeStringField(id: 1, key) }
        if let vType = tag.vType { w.writeI32Field(id: 2, vType) }
        if let vStr = tag.vStr { w.writeStringField(id: 3, vStr) }
        if let vDouble = tag.vDouble {
            w.writeFieldBegin(id: 4, type: .double)
            w.writeDouble(vDouble)
        }
        if let vBool = tag.vBool { w.writeBoolField(id: 5, value: vBool) }
        if let vLong = tag.vLong { w.writeI64Field(id: 6, vLong) }
        if let vBinary = tag.vBinary {
            w.writeFieldBegin(id: 7, type: .string)
            w.writeBinary(vBinary)
        }
        w.writeStructEnd()
    }

    static func writeTagList<W: TestThriftWriter>(id: Int16, _ tags: [JaegerWireTag], to w: inout W) {
        w.writeFieldBegin(id: id, type: .list)
        w.writeListBegin(elementType: .struct, count: tags.count)
        for tag in tags { writeTag(tag, to: &w) }
    }

    static func writeSpan<W: TestThriftWriter>(_ span: JaegerWireSpan, to w: inout W) {
        w.writeStructBegin()
        if span.unknownFields {
            // Unknown ids of every shape before and between known fields.
            w.writeFieldBegin(id: 99, type: .struct)
            w.writeStructBegin()
            w.writeStringField(id: 1, "nested")
            w.writeFieldBegin(id: 2, type: .list)
            w.writeListBegin(elementType: .i64, count: 3)
            w.writeI64(1)
            w.writeI64(2)
            w.writeI64(3)
            w.writeStructEnd()
        }
        let omit = span.omit
        if !omit.contains(1) { w.writeI64Field(id: 1, span.traceIDLow) }
        if !omit.contains(2) { w.writeI64Field(id: 2, span.traceIDHigh) }
        if !omit.contains(3) { w.writeI64Field(id: 3, span.spanID) }
        if !omit.contains(4) { w.writeI64Field(id: 4, span.parentSpanID) }
        if !omit.contains(5) { w.writeStringField(id: 5, span.operationName) }
        if let references = span.references {
            w.writeFieldBegin(id: 6, type: .list)
            w.writeListBegin(elementType: .struct, count: references.count)
            for ref in references {
                w.writeStructBegin()
                w.writeI32Field(id: 1, ref.refType)
                w.writeI64Field(id: 2, ref.traceIDLow)
                w.writeI64Field(id: 3, ref.traceIDHigh)
                w.writeI64Field(id: 4, ref.spanID)
                w.writeStructEnd()
            }
        }
        if !omit.contains(7) { w.writeI32Field(id: 7, span.flags) }
        if span.unknownFields {
            // Known id with a wrong wire type is skipped too (here: operationName as an i32).
            w.writeI32Field(id: 5, 77)
            w.writeBoolField(id: 50, value: true)
            w.writeFieldBegin(id: 51, type: .double)
            w.writeDouble(2.5)
        }
        if !omit.contains(8) { w.writeI64Field(id: 8, span.startTime) }
        if !omit.contains(9) { w.writeI64Field(id: 9, span.duration) }
        if let tags = span.tags { writeTagList(id: 10, tags, to: &w) }
        if let logs = span.logs {
            w.writeFieldBegin(id: 11, type: .list)
            w.writeListBegin(elementType: .struct, count: logs.count)
            for log in logs {
                w.writeStructBegin()
                w.writeI64Field(id: 1, log.timestamp)
                writeTagList(id: 2, log.fields, to: &w)
                w.writeStructEnd()
            }
        }
        w.writeStructEnd()
    }

    /// A Batch struct; `service == nil` omits the Process.
    static func writeBatch<W: TestThriftWriter>(
        service: String?, processTags: [JaegerWireTag] = [], spans: [JaegerWireSpan], processLast: Bool = false,
        to w: inout W
    ) {
        func writeProcess(_ w: inout W) {
            guard let service else { return }
            w.writeFieldBegin(id: 1, type: .struct)
            w.writeStructBegin()
            w.writeStringField(id: 1, service)
            if !processTags.isEmpty { writeTagList(id: 2, processTags, to: &w) }
            w.writeStructEnd()
        }
        w.writeStructBegin()
        if !processLast { writeProcess(&w) }
        w.writeFieldBegin(id: 2, type: .list)
        w.writeListBegin(elementType: .struct, count: spans.count)
        for span in spans { writeSpan(span, to: &w) }
        if processLast { writeProcess(&w) }
        w.writeStructEnd()
    }

    /// A whole `Agent.emitBatch` message.
    static func emitBatch<W: TestThriftWriter>(
        _ writer: W.Type, service: String? = "svc", processTags: [JaegerWireTag] = [], spans: [JaegerWireSpan],
        messageType: UInt8 = 4, processLast: Bool = false
    ) -> [UInt8] {
        var w = W()
        w.writeMessageBegin(name: "emitBatch", type: messageType, sequenceID: 7)
        w.writeStructBegin()
        w.writeFieldBegin(id: 1, type: .struct)
        writeBatch(service: service, processTags: processTags, spans: spans, processLast: processLast, to: &w)
        w.writeStructEnd()
        return w.bytes
    }

    /// Decodes a whole emitBatch message built by one of the writers.
    static func decode<W: TestThriftWriter>(_ writer: W.Type, _ bytes: [UInt8]) throws(ThriftError) -> [Span] {
        let kind: ThriftProtocolKind = writer == CompactTestWriter.self ? .compact : .binary
        let message = try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: bytes), protocol: kind)
        guard case .emitBatch(let spans) = message else { return [] }
        return spans
    }
}
