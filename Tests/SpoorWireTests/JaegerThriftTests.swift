import Foundation
import NIOCore
import SpoorModel
import SpoorWire
import Testing

/// What `manifest.json` says a client was asked to send.
private struct Manifest: Decodable {
    struct Client: Decodable {
        var sent: Sent
    }

    struct Sent: Decodable {
        var service: String
        var traces: [Trace]
    }

    struct Trace: Decodable {
        var traceID: String
        var spans: [SentSpan]
    }

    struct SentSpan: Decodable {
        var spanID: String
        var parentSpanID: String?
        var operationName: String
        var kind: String
        var startTime: UInt64
        var duration: UInt64
        var attributes: [String: SentValue]
        var events: [Event]
        var error: Bool
    }

    struct Event: Decodable {
        var name: String
        var attributes: [String: SentValue]
    }

    /// A JSON attribute value; JSON booleans, integers and fractions stay distinct.
    enum SentValue: Decodable, Equatable {
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
            case .bool(let b): return .bool(b)
            case .int(let i): return .int64(i)
            case .double(let d): return .float64(d)
            case .string(let s): return .string(s)
            }
        }
    }

    static func load() throws -> [String: Client] {
        let data = try Data(contentsOf: try ThriftFixtures.directory.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode([String: Client].self, from: data)
    }

    /// "otel-jaeger-udp-03.binary.bin" -> "otel-jaeger-udp".
    static func clientName(forFixture name: String) -> String {
        let stem = name.prefix { $0 != "." }
        return String(stem.dropLast(3))
    }
}

private func attribute(_ key: String, in attributes: [Attribute]) -> AttributeValue? {
    attributes.first { $0.key == key }?.value
}

struct JaegerThriftTests {
    // MARK: Real client payloads

    @Test(arguments: ThriftFixtures.all)
    func fixtureDecodesToTheSpanTheClientSent(_ name: String) throws {
        let manifest = try Manifest.load()
        let client = try #require(manifest[Manifest.clientName(forFixture: name)])
        let spans = try ThriftFixtures.decode(name: name, buffer: ThriftFixtures.buffer(name))
        #expect(spans.count == 1)
        let span = try #require(spans.first)

        let trace = try #require(client.sent.traces.first { $0.traceID == span.traceID.hex32 })
        let sent = try #require(trace.spans.first { $0.spanID == span.spanID.hex })
        #expect(span.parentSpanID?.hex == sent.parentSpanID)
        #expect(span.references.count == (sent.parentSpanID == nil ? 0 : 1))
        #expect(span.operationName == sent.operationName)
        // The manifest truncates to µs; OTel's exporter rounds `(ns + 500) / 1000`, so allow 1 µs.
        let slack: UInt = name.hasPrefix("jaeger-client") ? 0 : 1000
        #expect(span.startTimeUnixNanos.distance(to: sent.startTime * 1000).magnitude <= slack)
        #expect(span.durationNanos.distance(to: sent.duration * 1000).magnitude <= slack)
        #expect(span.startTimeUnixNanos % 1000 == 0)
        #expect(span.flags & 1 == 1)
        #expect(span.process.serviceName == client.sent.service)
        #expect(span.isError == sent.error)
        #expect(attribute("error", in: span.tags) == (sent.error ? .bool(true) : nil))

        // jaeger-client omits span.kind for internal spans; OTel always writes it.
        if let kind = attribute("span.kind", in: span.tags) {
            #expect(kind == .string(sent.kind))
        } else {
            #expect(sent.kind == "internal")
        }
        for (key, value) in sent.attributes {
            #expect(attribute(key, in: span.tags) == value.attributeValue, "attribute \(key)")
        }

        #expect(span.logs.count == sent.events.count)
        for (log, event) in zip(span.logs, sent.events) {
            // OTel names the event in `message`, jaeger-client in `event`.
            let nameValue = attribute("message", in: log.fields) ?? attribute("event", in: log.fields)
            #expect(nameValue == .string(event.name))
            for (key, value) in event.attributes {
                #expect(attribute(key, in: log.fields) == value.attributeValue)
            }
            #expect(log.timestampUnixNanos >= span.startTimeUnixNanos)
            #expect(log.timestampUnixNanos <= span.endTimeUnixNanos)
        }

        if name.hasPrefix("jaeger-client") {
            #expect(span.traceID.high == 0)
            #expect(attribute("jaeger.version", in: span.process.tags) == .string("Python-4.8.0"))
            #expect(attribute("hostname", in: span.process.tags) != nil)
            #expect(attribute("ip", in: span.process.tags) != nil)
        } else {
            // OTel's Thrift exporter sends no process tags but copies resource attributes to span tags.
            #expect(span.process.tags.isEmpty)
            #expect(attribute("service.name", in: span.tags) == .string(client.sent.service))
        }
    }

    @Test(arguments: ThriftFixtures.compactDatagrams)
    func compactAndBinaryEncodingsOfADatagramDecodeToIdenticalSpans(_ compactName: String) throws {
        let binaryName = compactName.replacingOccurrences(of: ".compact.bin", with: ".binary.bin")
        let compact = try JaegerThrift.decodeAgentDatagram(ThriftFixtures.buffer(compactName), protocol: .compact)
        let binary = try JaegerThrift.decodeAgentDatagram(ThriftFixtures.buffer(binaryName), protocol: .binary)
        #expect(compact == binary)
        guard case .emitBatch(let spans) = compact else {
            Issue.record("expected emitBatch")
            return
        }
        #expect(!spans.isEmpty)
    }

    @Test func fixturesCoverEveryManifestSpan() throws {
        let manifest = try Manifest.load()
        for client in ["otel-jaeger-udp", "jaeger-client", "otel-jaeger-http"] {
            let names = ThriftFixtures.all.filter { $0.hasPrefix(client + "-") && !$0.hasSuffix(".binary.bin") }
            var seen = Set<String>()
            for name in names {
                for span in try ThriftFixtures.decode(name: name, buffer: ThriftFixtures.buffer(name)) {
                    seen.insert(span.spanID.hex)
                }
            }
            let sent = Set(try #require(manifest[client]).sent.traces.flatMap { $0.spans.map(\.spanID) })
            #expect(seen == sent, "\(client)")
        }
    }

    @Test func trailingBytesAfterTheMessageAreIgnored() throws {
        let name = "otel-jaeger-udp-00.compact.bin"
        let plain = try JaegerThrift.decodeAgentDatagram(ThriftFixtures.buffer(name), protocol: .compact)
        let padded = try JaegerThrift.decodeAgentDatagram(
            ByteBuffer(bytes: ThriftFixtures.bytes(name) + [0xDE, 0xAD, 0xBE, 0xEF]), protocol: .compact)
        #expect(plain == padded)
    }

    // MARK: Hand-built payloads, both protocols

    static let writers = ThriftWireProtocol.allCases

    @Test(arguments: writers)
    func decodesEveryTagTypeByName(_ proto: ThriftWireProtocol) throws {
        func run<W: TestThriftWriter>(_ w: W.Type) throws {
            var span = JaegerWireSpan()
            span.tags = [
                .string("s", "text"), .double("d", 0.25), .bool("b", true), .bool("f", false),
                .long("l", -5), .binary("bin", [0, 1, 255]), JaegerWireTag(key: "absent", vType: 0),
            ]
            span.logs = [(timestamp: 1_700_000_000_000_100, fields: [.string("event", "x"), .long("n", 1)])]
            let spans = try JaegerWire.decode(W.self, JaegerWire.emitBatch(W.self, spans: [span]))
            let decoded = try #require(spans.first)
            #expect(
                decoded.tags == [
                    .string("s", "text"), .float64("d", 0.25), .bool("b", true), .bool("f", false),
                    .int64("l", -5), Attribute(key: "bin", value: .binary([0, 1, 255])), .string("absent", ""),
                ])
            #expect(
                decoded.logs == [
                    SpanLog(
                        timestampUnixNanos: 1_700_000_000_000_100_000, fields: [.string("event", "x"), .int64("n", 1)])
                ])
            #expect(decoded.startTimeUnixNanos == 1_700_000_000_000_000_000)
            #expect(decoded.durationNanos == 1_234_000)
            #expect(decoded.process == Process(serviceName: "svc"))
            #expect(decoded.operationName == "op")
            #expect(decoded.flags == 1)
        }
        try run(proto.writer)
    }

    @Test(arguments: writers)
    func unknownVTypeBecomesAStringTag(_ proto: ThriftWireProtocol) throws {
        func run<W: TestThriftWriter>(_ w: W.Type) throws {
            var span = JaegerWireSpan()
            span.tags = [JaegerWireTag(key: "weird", vType: 9, vStr: "v", vLong: 3)]
            let decoded = try #require(try JaegerWire.decode(W.self, JaegerWire.emitBatch(W.self, spans: [span])).first)
            #expect(decoded.tags.count == 1)
            #expect(decoded.tags.first?.key == "weird")
            guard case .string(let text) = decoded.tags.first?.value else {
                Issue.record("expected a string tag")
                return
            }
            #expect(text.hasPrefix("Unknown VType: "))
            #expect(text.contains("vType: 9"))
        }
        try run(proto.writer)
    }

    @Test(arguments: writers)
    func unknownFieldsAndWrongWireTypesAreSkipped(_ proto: ThriftWireProtocol) throws {
        func run<W: TestThriftWriter>(_ w: W.Type) throws {
            var plain = JaegerWireSpan()
            plain.tags = [.string("k", "v")]
            var noisy = plain
            noisy.unknownFields = true
            let expected = try JaegerWire.decode(W.self, JaegerWire.emitBatch(W.self, spans: [plain]))
            let actual = try JaegerWire.decode(W.self, JaegerWire.emitBatch(W.self, spans: [noisy]))
            #expect(actual == expected)
            #expect(actual.first?.operationName == "op")
        }
        try run(proto.writer)
    }

    static let requiredSpanFields: [(Int16, String)] = [
        (1, "traceIdLow"), (2, "traceIdHigh"), (3, "spanId"), (4, "parentSpanId"), (5, "operationName"),
        (7, "flags"), (8, "startTime"), (9, "duration"),
    ]

    @Test(arguments: requiredSpanFields)
    func missingRequiredSpanFieldIsRejected(_ id: Int16, _ name: String) {
        var span = JaegerWireSpan()
        span.omit = [id]
        #expect(throws: ThriftError.missingRequiredField(struct: "Span", field: name)) {
            try JaegerWire.decode(CompactTestWriter.self, JaegerWire.emitBatch(CompactTestWriter.self, spans: [span]))
        }
        #expect(throws: ThriftError.missingRequiredField(struct: "Span", field: name)) {
            try JaegerWire.decode(BinaryTestWriter.self, JaegerWire.emitBatch(BinaryTestWriter.self, spans: [span]))
        }
    }

    @Test func missingRequiredFieldsOfOtherStructsAreRejected() {
        #expect(throws: ThriftError.missingRequiredField(struct: "Batch", field: "process")) {
            try JaegerWire.decode(
                CompactTestWriter.self, JaegerWire.emitBatch(CompactTestWriter.self, service: nil, spans: []))
        }
        var noKey = JaegerWireSpan()
        noKey.tags = [JaegerWireTag(vType: 0, vStr: "v")]
        #expect(throws: ThriftError.missingRequiredField(struct: "Tag", field: "key")) {
            try JaegerWire.decode(BinaryTestWriter.self, JaegerWire.emitBatch(BinaryTestWriter.self, spans: [noKey]))
        }
        var noType = JaegerWireSpan()
        noType.tags = [JaegerWireTag(key: "k", vStr: "v")]
        #expect(throws: ThriftError.missingRequiredField(struct: "Tag", field: "vType")) {
            try JaegerWire.decode(CompactTestWriter.self, JaegerWire.emitBatch(CompactTestWriter.self, spans: [noType]))
        }
        // An args struct without its batch.
        var w = CompactTestWriter()
        w.writeMessageBegin(name: "emitBatch", type: 4, sequenceID: 0)
        w.writeStructBegin()
        w.writeStructEnd()
        #expect(throws: ThriftError.missingRequiredField(struct: "emitBatch_args", field: "batch")) {
            try JaegerWire.decode(CompactTestWriter.self, w.bytes)
        }
        // A Batch without spans (binary HTTP body).
        var body = BinaryTestWriter()
        body.writeFieldBegin(id: 1, type: .struct)
        body.writeStringField(id: 1, "svc")
        body.writeStructEnd()
        body.writeStructEnd()
        #expect(throws: ThriftError.missingRequiredField(struct: "Batch", field: "spans")) {
            try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: body.bytes))
        }
    }

    @Test func nonStrictBinaryMessageHeaderIsAccepted() throws {
        func message(strict: Bool) -> [UInt8] {
            var w = BinaryTestWriter(strict: strict)
            w.writeMessageBegin(name: "emitBatch", type: 4, sequenceID: 1)
            w.writeStructBegin()
            w.writeFieldBegin(id: 1, type: .struct)
            JaegerWire.writeBatch(service: "svc", spans: [JaegerWireSpan()], to: &w)
            w.writeStructEnd()
            return w.bytes
        }
        let strict = message(strict: true)
        let loose = message(strict: false)
        #expect(strict.prefix(4) == [0x80, 0x01, 0x00, 0x04])
        #expect(loose.prefix(4) == [0x00, 0x00, 0x00, 0x09])
        let a = try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: strict), protocol: .binary)
        let b = try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: loose), protocol: .binary)
        #expect(a == b)
        guard case .emitBatch(let spans) = b else {
            Issue.record("expected emitBatch")
            return
        }
        #expect(spans.count == 1)
    }

    @Test func callMessagesAreAcceptedAndRepliesRejected() throws {
        let call = JaegerWire.emitBatch(CompactTestWriter.self, spans: [JaegerWireSpan()], messageType: 1)
        #expect(try JaegerWire.decode(CompactTestWriter.self, call).count == 1)
        let reply = JaegerWire.emitBatch(CompactTestWriter.self, spans: [JaegerWireSpan()], messageType: 2)
        #expect(throws: ThriftError.badMessageType(2)) { try JaegerWire.decode(CompactTestWriter.self, reply) }
    }

    @Test(arguments: writers)
    func emitZipkinBatchIsDecodedToSpans(_ proto: ThriftWireProtocol) throws {
        func run<W: TestThriftWriter>(_ w: W.Type) throws -> AgentMessage {
            var w = W()
            w.writeMessageBegin(name: "emitZipkinBatch", type: 4, sequenceID: 0)
            w.writeStructBegin()
            w.writeFieldBegin(id: 1, type: .list)
            w.writeListBegin(elementType: .struct, count: 2)
            for id in [Int64(1), 2] {
                // zipkincore.Span {1: trace_id, 3: name, 4: id, 6: annotations}
                w.writeStructBegin()
                w.writeI64Field(id: 1, 42)
                w.writeStringField(id: 3, "zipkin op")
                w.writeI64Field(id: 4, id)
                w.writeFieldBegin(id: 6, type: .list)
                w.writeListBegin(elementType: .struct, count: 1)
                w.writeStructBegin()
                w.writeI64Field(id: 1, 1000)
                w.writeStringField(id: 2, "cs")
                w.writeStructEnd()
                w.writeStructEnd()
            }
            w.writeStructEnd()
            let kind: ThriftProtocolKind = W.self == CompactTestWriter.self ? .compact : .binary
            return try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: w.bytes), protocol: kind)
        }
        guard case .emitZipkinBatch(let spans) = try run(proto.writer) else {
            Issue.record("not decoded as emitZipkinBatch")
            return
        }
        #expect(spans.map(\.spanID) == [SpanID(1), SpanID(2)])
        #expect(spans.allSatisfy { $0.operationName == "zipkin op" && $0.traceID == TraceID(high: 0, low: 42) })
        #expect(spans.allSatisfy { $0.kind == .client && $0.startTimeUnixNanos == 1_000_000 })
    }

    @Test(arguments: writers)
    func unknownMethodIsRejected(_ proto: ThriftWireProtocol) {
        func run<W: TestThriftWriter>(_ w: W.Type) throws {
            var w = W()
            w.writeMessageBegin(name: "submitBatches", type: 1, sequenceID: 0)
            w.writeStructBegin()
            w.writeStructEnd()
            let kind: ThriftProtocolKind = W.self == CompactTestWriter.self ? .compact : .binary
            _ = try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: w.bytes), protocol: kind)
        }
        #expect(throws: ThriftError.unknownMethod("submitBatches")) { try run(proto.writer) }
    }

    @Test(arguments: writers)
    func idsAre128BitAndUnsigned(_ proto: ThriftWireProtocol) throws {
        func run<W: TestThriftWriter>(_ w: W.Type) throws {
            var span = JaegerWireSpan()
            span.traceIDHigh = Int64(bitPattern: 0xFEDC_BA98_7654_3210)
            span.traceIDLow = Int64(bitPattern: 0x8000_0000_0000_0001)
            span.spanID = -1
            span.parentSpanID = Int64.min
            span.references = [
                JaegerWireRef(
                    refType: 1, traceIDLow: -2, traceIDHigh: 0, spanID: Int64(bitPattern: 0x9000_0000_0000_0000))
            ]
            let decoded = try #require(try JaegerWire.decode(W.self, JaegerWire.emitBatch(W.self, spans: [span])).first)
            let traceID = TraceID(high: 0xFEDC_BA98_7654_3210, low: 0x8000_0000_0000_0001)
            #expect(decoded.traceID == traceID)
            #expect(decoded.traceID.hex32 == "fedcba98765432108000000000000001")
            #expect(decoded.spanID == SpanID(UInt64.max))
            #expect(
                decoded.references == [
                    SpanReference(refType: .childOf, traceID: traceID, spanID: SpanID(0x8000_0000_0000_0000)),
                    SpanReference(
                        refType: .followsFrom, traceID: TraceID(high: 0, low: UInt64.max - 1),
                        spanID: SpanID(0x9000_0000_0000_0000)),
                ])
            #expect(decoded.parentSpanID == SpanID(0x8000_0000_0000_0000))
        }
        try run(proto.writer)
    }

    @Test func parentIsNotDuplicatedWhenAReferenceAlreadyNamesIt() throws {
        var span = JaegerWireSpan()
        span.parentSpanID = 0x55
        span.references = [
            JaegerWireRef(refType: 1, traceIDLow: 0x999, traceIDHigh: 0, spanID: 0x77),
            JaegerWireRef(refType: 1, traceIDLow: 0x1111, traceIDHigh: 0, spanID: 0x55),
        ]
        let decoded = try #require(
            try JaegerWire.decode(CompactTestWriter.self, JaegerWire.emitBatch(CompactTestWriter.self, spans: [span]))
                .first)
        let trace = TraceID(high: 0, low: 0x1111)
        #expect(
            decoded.references == [
                SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 0x999), spanID: SpanID(0x77)),
                SpanReference(refType: .followsFrom, traceID: trace, spanID: SpanID(0x55)),
            ])

        // Same span id in another trace does not count: the parent goes first.
        span.references = [JaegerWireRef(refType: 0, traceIDLow: 0x999, traceIDHigh: 0, spanID: 0x55)]
        let other = try #require(
            try JaegerWire.decode(CompactTestWriter.self, JaegerWire.emitBatch(CompactTestWriter.self, spans: [span]))
                .first)
        #expect(other.references.first == SpanReference(refType: .childOf, traceID: trace, spanID: SpanID(0x55)))
        #expect(other.references.count == 2)
    }

    @Test func timesConvertToNanosecondsWithoutTrapping() throws {
        var span = JaegerWireSpan()
        span.startTime = Int64.max
        span.duration = -5
        span.logs = [(timestamp: Int64.min, fields: [])]
        let decoded = try #require(
            try JaegerWire.decode(BinaryTestWriter.self, JaegerWire.emitBatch(BinaryTestWriter.self, spans: [span]))
                .first)
        #expect(decoded.startTimeUnixNanos == UInt64.max)
        #expect(decoded.durationNanos == 0)
        #expect(decoded.logs.first?.timestampUnixNanos == 0)
    }

    @Test func flagsKeepAllBits() throws {
        var span = JaegerWireSpan()
        span.flags = -1
        let decoded = try #require(
            try JaegerWire.decode(CompactTestWriter.self, JaegerWire.emitBatch(CompactTestWriter.self, spans: [span]))
                .first)
        #expect(decoded.flags == UInt32.max)
    }

    @Test func emptyServiceNameIsReplaced() throws {
        let spans = try JaegerWire.decode(
            CompactTestWriter.self,
            JaegerWire.emitBatch(CompactTestWriter.self, service: "", spans: [JaegerWireSpan(), JaegerWireSpan()]))
        #expect(spans.map(\.process.serviceName) == [ServiceNames.emptyServiceName, ServiceNames.emptyServiceName])
    }

    @Test(arguments: writers)
    func everySpanGetsTheBatchProcessWhereverItIsOnTheWire(_ proto: ThriftWireProtocol) throws {
        func run<W: TestThriftWriter>(_ w: W.Type) throws {
            let tags: [JaegerWireTag] = [.string("hostname", "h1"), .long("client-uuid", 9)]
            let expected = Process(serviceName: "svc", tags: [.string("hostname", "h1"), .int64("client-uuid", 9)])
            for processLast in [false, true] {
                let bytes = JaegerWire.emitBatch(
                    W.self, processTags: tags, spans: [JaegerWireSpan(), JaegerWireSpan()], processLast: processLast)
                let spans = try JaegerWire.decode(W.self, bytes)
                #expect(spans.map(\.process) == [expected, expected])
            }
        }
        try run(proto.writer)
    }

    @Test func httpBodyIsABareBinaryBatch() throws {
        var w = BinaryTestWriter()
        JaegerWire.writeBatch(service: "svc", spans: [JaegerWireSpan(), JaegerWireSpan()], to: &w)
        #expect(try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: w.bytes)).count == 2)
        // A compact body is not accepted over HTTP.
        var c = CompactTestWriter()
        JaegerWire.writeBatch(service: "svc", spans: [JaegerWireSpan()], to: &c)
        #expect(throws: ThriftError.self) { try JaegerThrift.decodeBatch(binary: ByteBuffer(bytes: c.bytes)) }
    }

    @Test func errorDescriptionsAreSingleLines() {
        let errors: [ThriftError] = [
            .truncated(offset: 3), .negativeLength(length: -1, offset: 0), .lengthOverLimit(length: 9, limit: 1),
            .varintTooLong(offset: 2), .invalidType(111, offset: 4), .unexpectedType(fieldID: 2, wireType: 8),
            .depthExceeded(limit: 64), .missingRequiredField(struct: "Span", field: "traceIdLow"),
            .badProtocolID(0x80), .badVersion(0x8281_0009), .badMessageType(2), .unknownMethod("x\ny"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
            #expect(!error.description.contains("\n"))
        }
        #expect(ThriftError.badProtocolID(0x80).description == "expected protocol id 0x82 but got 0x80")
        #expect(
            ThriftError.missingRequiredField(struct: "Span", field: "traceIdLow").description
                == "required field traceIdLow of Span is not set")
    }
}
