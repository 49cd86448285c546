import NIOCore
import SpoorModel
import Testing

@testable import SpoorWire

/// Round trips through the Thrift writers and the existing decoders.
@Suite("Thrift writers")
struct ThriftWriterTests {
    /// A batch exercising every field kind: all five tag types, logs, 128- and 64-bit trace ids,
    /// a bare parent, several references, follows-from only, ids above Int64.max, flags.
    static func sampleSpans() -> (Process, [Span]) {
        let process = Process(
            serviceName: "frontend",
            tags: [
                .string("hostname", "host-1"), .int64("pid", -42), .float64("load", 0.75),
                .bool("canary", true),
            ])
        let trace = TraceID(high: 0xFEDC_BA98_7654_3210, low: 0x8000_0000_0000_0001)
        let shortTrace = TraceID(high: 0, low: 7)
        let tags: [Attribute] = [
            .string("http.method", "GET"), .string("empty", ""), .string("unicode", "héllo ✓"),
            .int64("http.status_code", 200), .int64("min", .min), .int64("max", .max),
            .float64("ratio", -1.5e-7), .float64("inf", .infinity),
            .bool("error", false), .bool("cache.hit", true),
            Attribute(key: "blob", value: .binary([0, 1, 0xFF, 0x80])),
            Attribute(key: "empty.blob", value: .binary([])),
        ]
        let root = Span(
            traceID: trace, spanID: SpanID(0xFFFF_FFFF_FFFF_FFFF), operationName: "GET /", flags: 1,
            startTimeUnixNanos: 1_700_000_000_123_456_000, durationNanos: 1_234_000, tags: tags,
            logs: [
                SpanLog(
                    timestampUnixNanos: 1_700_000_000_124_000_000,
                    fields: [.string("event", "retry"), .int64("n", 2)]),
                SpanLog(timestampUnixNanos: 1_700_000_000_125_000_000, fields: []),
            ],
            process: process)
        let child = Span(
            traceID: trace, spanID: SpanID(2), operationName: "db.query",
            references: [SpanReference(refType: .childOf, traceID: trace, spanID: root.spanID)],
            flags: 3, startTimeUnixNanos: 1_700_000_000_200_000_000, durationNanos: 5_000,
            process: process)
        let multi = Span(
            traceID: trace, spanID: SpanID(3), operationName: String(repeating: "x", count: 300),
            references: [
                SpanReference(refType: .followsFrom, traceID: shortTrace, spanID: SpanID(9)),
                SpanReference(refType: .childOf, traceID: trace, spanID: SpanID(2)),
                SpanReference(refType: .followsFrom, traceID: trace, spanID: root.spanID),
            ],
            startTimeUnixNanos: 1_700_000_000_300_000_000, durationNanos: 0, tags: [.int64("i", 1)],
            process: process)
        let follows = Span(
            traceID: shortTrace, spanID: SpanID(10), operationName: "async",
            references: [SpanReference(refType: .followsFrom, traceID: shortTrace, spanID: SpanID(9))],
            startTimeUnixNanos: 1_000, durationNanos: 1_000, process: process)
        // More than 14 tags forces the compact long list header; more than 15 fields apart is not
        // possible in jaeger.thrift, so the long field header is covered by the writer test below.
        let wide = Span(
            traceID: shortTrace, spanID: SpanID(11), operationName: "wide",
            startTimeUnixNanos: 2_000, durationNanos: 3_000,
            tags: (0..<40).map { .int64("k\($0)", Int64($0) * 1_000_003) }, process: process)
        return (process, [root, child, multi, follows, wide])
    }

    @Test("binary Batch round-trips through decodeBatch", arguments: [0, 1, 5])
    func binaryBatch(count: Int) throws {
        let (process, spans) = Self.sampleSpans()
        let subset = Array(spans.prefix(count))
        let bytes = JaegerThrift.encodeBatch(process: process, spans: subset, protocol: .binary)
        let decoded = try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: bytes))
        #expect(decoded == subset)
    }

    @Test(
        "emitBatch round-trips in both protocols", arguments: [ThriftProtocolKind.compact, .binary])
    func emitBatch(kind: ThriftProtocolKind) throws {
        let (process, spans) = Self.sampleSpans()
        let bytes = JaegerThrift.encodeEmitBatch(
            process: process, spans: spans, protocol: kind, sequenceID: 300)
        let message = try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: bytes), protocol: kind)
        #expect(message == .emitBatch(spans))
    }

    @Test("compact emitBatch starts with the documented header")
    func compactHeader() {
        let (process, spans) = Self.sampleSpans()
        let bytes = JaegerThrift.encodeEmitBatch(
            process: process, spans: spans, protocol: .compact, sequenceID: 1)
        // 82 81 <seqid 1> 09 "emitBatch" 1C (args field 1 struct) 18 (Batch field 1 struct... Process field 1 string)
        let expected: [UInt8] =
            [0x82, 0x81, 0x01, 0x09] + Array("emitBatch".utf8) + [0x1C, 0x1C, 0x18]
        #expect(Array(bytes.prefix(expected.count)) == expected)
        #expect(bytes.suffix(2) == [0x00, 0x00])
    }

    @Test("binary emitBatch uses a strict oneway header")
    func binaryHeader() {
        let (process, _) = Self.sampleSpans()
        let bytes = JaegerThrift.encodeEmitBatch(
            process: process, spans: [], protocol: .binary, sequenceID: 7)
        let expected: [UInt8] =
            [0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9] + Array("emitBatch".utf8) + [
                0, 0, 0, 7, 0x0C, 0x00, 0x01,
            ]
        #expect(Array(bytes.prefix(expected.count)) == expected)
    }

    @Test("compact writer: long field headers, long lists and negative zigzag read back")
    func compactPrimitives() throws {
        var writer = ThriftCompactWriter()
        writer.writeStructBegin()
        writer.writeFieldBegin(id: 40, type: .i32)  // delta 40: long form
        writer.writeI32(-3)
        writer.writeFieldBegin(id: 2, type: .i64)  // negative delta: long form
        writer.writeI64(.min)
        writer.writeBoolField(id: 3, false)
        writer.writeFieldBegin(id: 4, type: .list)
        writer.writeListBegin(elementType: .i32, count: 20)
        for i in 0..<20 { writer.writeI32(Int32(i) - 10) }
        writer.writeFieldBegin(id: 5, type: .double)
        writer.writeDouble(-2.5)
        writer.writeStructEnd()

        let bytes = writer.bytes
        let result = try ThriftCompactReader.withReader(
            over: ByteBuffer(bytes: bytes), limits: .default
        ) {
            reader throws(ThriftError) -> [String] in
            var seen: [String] = []
            let scope = try reader.readStructBegin()
            while let field = try reader.readFieldHeader() {
                switch field.type {
                case .i32: seen.append("\(field.id):\(try reader.readI32())")
                case .i64: seen.append("\(field.id):\(try reader.readI64())")
                case .bool: seen.append("\(field.id):\(try reader.readBool())")
                case .double: seen.append("\(field.id):\(try reader.readDouble())")
                case .list:
                    let header = try reader.readListHeader()
                    var sum: Int32 = 0
                    for _ in 0..<header.count { sum += try reader.readI32() }
                    seen.append("\(field.id):\(header.count)/\(sum)")
                default: try reader.skip(field.type)
                }
            }
            reader.readStructEnd(scope)
            return seen
        }
        #expect(result == ["40:-3", "2:\(Int64.min)", "3:false", "4:20/-10", "5:-2.5"])
    }

    /// `count` small spans of one trace, each with a few tags, plus an optional oversized one at `bigAt`.
    static func manySpans(_ count: Int, bigAt: Int? = nil) -> (Process, [Span]) {
        let process = Process(serviceName: "udp-service", tags: [.string("hostname", "h")])
        let trace = TraceID(high: 1, low: 2)
        let spans = (0..<count).map { i in
            Span(
                traceID: trace, spanID: SpanID(UInt64(i) + 1), operationName: "op-\(i % 7)",
                references: i == 0 ? [] : [SpanReference(refType: .childOf, traceID: trace, spanID: SpanID(1))],
                flags: 1, startTimeUnixNanos: 1_700_000_000_000_000_000 + UInt64(i) * 1000, durationNanos: 5000,
                tags: [.string("big", String(repeating: "z", count: i == bigAt ? 5000 : 10)), .int64("i", Int64(i))],
                process: process)
        }
        return (process, spans)
    }

    /// Decodes every datagram and concatenates the spans.
    static func decodeAll(_ datagrams: AgentDatagrams, kind: ThriftProtocolKind) throws -> [Span] {
        var all: [Span] = []
        for datagram in datagrams.datagrams {
            let message = try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: datagram.bytes), protocol: kind)
            guard case .emitBatch(let spans) = message else { return [] }
            #expect(spans.count == datagram.spans)
            all += spans
        }
        return all
    }

    @Test(
        "emitBatch datagrams stay under the limit and keep every span in order",
        arguments: [ThriftProtocolKind.compact, .binary])
    func datagramSplitting(kind: ThriftProtocolKind) throws {
        let (process, spans) = Self.manySpans(300)
        let encoded = JaegerThrift.encodeEmitBatches(process: process, spans: spans, protocol: kind, maxBytes: 2_000)
        #expect(encoded.datagrams.count > 5)
        #expect(encoded.datagrams.allSatisfy { $0.bytes.count < 2_000 })
        #expect(encoded.tooLarge == 0)
        let decoded = try Self.decodeAll(encoded, kind: kind)
        #expect(decoded == spans)
    }

    @Test("a batch that fits is one datagram under the default 65,000-byte limit")
    func datagramFits() throws {
        let (process, spans) = Self.manySpans(50)
        let encoded = JaegerThrift.encodeEmitBatches(process: process, spans: spans, protocol: .compact)
        #expect(encoded.datagrams.count == 1)
        #expect(
            encoded.datagrams.first?.bytes
                == JaegerThrift.encodeEmitBatch(
                    process: process, spans: spans, protocol: .compact, sequenceID: 1))
    }

    @Test("a span too large for any datagram is dropped and counted; the rest are sent")
    func datagramTooLarge() throws {
        let (process, spans) = Self.manySpans(40, bigAt: 17)
        let encoded = JaegerThrift.encodeEmitBatches(
            process: process, spans: spans, protocol: .compact, maxBytes: 3_000)
        #expect(encoded.tooLarge == 1)
        #expect(encoded.datagrams.allSatisfy { $0.bytes.count < 3_000 })
        let decoded = try Self.decodeAll(encoded, kind: .compact)
        #expect(decoded == spans.filter { $0.spanID != SpanID(18) })
    }
}
