import NIOCore
import SpoorModel
import SpoorWire
import Testing

/// The legacy direct converter, reached through v1 JSON, v1 Thrift and UDP `emitZipkinBatch`.
struct ZipkinLegacyConverterTests {
    private func v1(_ json: String) throws -> [Span] {
        try ZipkinDecoder.decodeV1JSON(ByteBuffer(string: json))
    }

    private func v1Thrift(_ spans: [ZipkinWireSpan]) throws -> [Span] {
        try ZipkinDecoder.decodeV1Thrift(ByteBuffer(bytes: ZipkinWire.spanList(BinaryTestWriter.self, spans)))
    }

    private static let frontend = #"{"serviceName":"frontend","ipv4":"10.0.0.1","port":8080}"#
    private static let backend = #"{"serviceName":"backend","ipv4":"10.0.0.2","port":9000}"#

    @Test func clientSpanTakesKindServiceAndTimesFromItsCoreAnnotations() throws {
        let spans = try v1(
            #"[{"traceId":"0000000000000001000000000000000a","id":"b","parentId":"a","name":"get","annotations":["#
                + #"{"timestamp":100,"value":"cs","endpoint":\#(Self.frontend)},"#
                + #"{"timestamp":150,"value":"retry","endpoint":\#(Self.frontend)},"#
                + #"{"timestamp":180,"value":"cr","endpoint":\#(Self.frontend)}]}]"#)
        try #require(spans.count == 1)
        let span = spans[0]
        #expect(span.traceID == TraceID(high: 1, low: 10))
        #expect(span.spanID == SpanID(11))
        #expect(span.references == [SpanReference(refType: .childOf, traceID: span.traceID, spanID: SpanID(10))])
        #expect(span.startTimeUnixNanos == 100_000)
        #expect(span.durationNanos == 80_000)
        #expect(span.tags == [.string("span.kind", "client")])
        #expect(span.logs == [SpanLog(timestampUnixNanos: 150_000, fields: [.string("event", "retry")])])
        #expect(span.process == Process(serviceName: "frontend", tags: [.int64("ip", 0x0A00_0001)]))
        #expect(span.flags == 0)
    }

    @Test func aSharedRPCSpanBecomesTwoSpansWithTheSameIDs() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","name":"rpc","timestamp":100,"duration":100,"debug":true,"annotations":["#
                + #"{"timestamp":100,"value":"cs","endpoint":\#(Self.frontend)},"#
                + #"{"timestamp":120,"value":"sr","endpoint":\#(Self.backend)},"#
                + #"{"timestamp":130,"value":"work","endpoint":\#(Self.backend)},"#
                + #"{"timestamp":170,"value":"ss","endpoint":\#(Self.backend)},"#
                + #"{"timestamp":200,"value":"cr","endpoint":\#(Self.frontend)}],"#
                + #""binaryAnnotations":[{"key":"http.path","value":"/x","endpoint":\#(Self.frontend)}]}]"#)
        try #require(spans.count == 2)
        let (client, server) = (spans[0], spans[1])
        #expect(client.spanID == server.spanID)
        #expect(client.traceID == server.traceID)
        #expect(client.flags == 2 && server.flags == 2)
        #expect(client.tags == [.string("http.path", "/x"), .string("span.kind", "client")])
        #expect(client.startTimeUnixNanos == 100_000)
        #expect(client.durationNanos == 100_000)
        #expect(client.logs.count == 1)
        #expect(server.tags == [.string("span.kind", "server")])
        #expect(server.startTimeUnixNanos == 120_000)
        #expect(server.durationNanos == 50_000)
        #expect(server.logs.isEmpty)
        // Both carry the process named by the first core annotation.
        #expect(client.process.serviceName == "frontend")
        #expect(server.process == client.process)
    }

    @Test func aSharedSpanReportedServerFirstAddsTheClientSide() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":120,"value":"sr"},{"timestamp":100,"value":"cs"},"#
                + #"{"timestamp":200,"value":"cr"}]}]"#)
        try #require(spans.count == 2)
        #expect(spans[0].tag("span.kind") == .string("server"))
        #expect(spans[1].tags == [.string("span.kind", "client")])
        #expect(spans[1].startTimeUnixNanos == 100_000)
        #expect(spans[1].durationNanos == 100_000)
        #expect(spans[0].process.serviceName == "unknown-service-name")
    }

    @Test func sanitizersFillTimesAndFlagOddValues() throws {
        // Root span with only sr/ss: start from sr, duration last−first.
        let root = try v1(
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":50,"value":"sr"},{"timestamp":90,"value":"ss"}]}]"#)
        #expect(root.first?.startTimeUnixNanos == 50_000)
        #expect(root.first?.durationNanos == 40_000)
        // No duration and fewer than two annotations: 1 µs.
        let bare = try v1(#"[{"traceId":"1","id":"2","timestamp":7}]"#)
        #expect(bare.first?.durationNanos == 1_000)
        // Negative duration: 1 µs and the original as a tag.
        let negative = try v1(#"[{"traceId":"1","id":"2","timestamp":7,"duration":-5}]"#)
        #expect(negative.first?.durationNanos == 1_000)
        #expect(negative.first?.tags == [.string("errNegativeDuration", "-5")])
        // Parent id 0: no parent and a tag.
        let zeroParent = try v1(#"[{"traceId":"1","id":"2","parentId":"0000000000000000","timestamp":7,"duration":1}]"#)
        #expect(zeroParent.first?.references == [])
        #expect(zeroParent.first?.tags == [.string("errZeroParentID", "0")])
    }

    @Test(arguments: [
        ("boom", [Attribute.bool("error", true), .string("error.message", "boom")]),
        ("", [Attribute.bool("error", true)]),
        ("TRUE", [Attribute.bool("error", true)]),
        ("false", [Attribute.bool("error", false)]),
    ])
    func errorBinaryAnnotationsBecomeBooleans(_ value: String, _ tags: [Attribute]) throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","timestamp":1,"duration":1,"binaryAnnotations":[{"key":"error","value":"\#(value)"}]}]"#
        )
        #expect(spans.first?.tags == tags)
    }

    @Test func typedBinaryAnnotationsBecomeTypedTags() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","timestamp":1,"duration":1,"binaryAnnotations":["#
                + #"{"key":"s","value":"text"},{"key":"b","value":true},{"key":"i","value":42},{"key":"d","value":2.5},"#
                + #"{"key":"i16","value":-3,"type":"I16"},{"key":"i32","value":"70000","type":"I32"},"#
                + #"{"key":"i64","value":9007199254740993,"type":"I64"},{"key":"dbl","value":1,"type":"DOUBLE"},"#
                + #"{"key":"raw","value":"AQID","type":"BYTES"},{"key":"flag","value":"false","type":"BOOL"},"#
                + #"{"key":"str","value":12,"type":"STRING"}]}]"#)
        #expect(
            spans.first?.tags == [
                .string("s", "text"), .bool("b", true), .int64("i", 42), .float64("d", 2.5), .int64("i16", -3),
                .int64("i32", 70_000), .int64("i64", 9_007_199_254_740_993), .float64("dbl", 1),
                Attribute(key: "raw", value: .binary([1, 2, 3])), .bool("flag", false), .string("str", "12"),
            ])
    }

    @Test func undecodableThriftBinaryAnnotationsBecomeExplanations() throws {
        var span = ZipkinWireSpan()
        span.binaryAnnotations = [
            ZipkinWireBinaryAnnotation(key: "short", value: [1, 2], type: 4),
            ZipkinWireBinaryAnnotation(key: "empty", value: [], type: 5),
            ZipkinWireBinaryAnnotation(key: "odd", value: [7], type: 9),
            ZipkinWireBinaryAnnotation(key: "notype", value: [1], type: nil),
            ZipkinWireBinaryAnnotation(key: "i16", value: [0xFF, 0xFE], type: 2),
            ZipkinWireBinaryAnnotation(
                key: "dbl", value: Array(withUnsafeBytes(of: (0.25).bitPattern.bigEndian, Array.init)), type: 5),
        ]
        #expect(
            try v1Thrift([span]).first?.tags == [
                .string("short", "Cannot parse Zipkin value AQI=: unexpected EOF"),
                .string("empty", "Cannot parse Zipkin value : EOF"),
                .string("odd", "Cannot parse Zipkin value Bw==: unknown zipkin annotation type: 9"),
                .bool("notype", true), .int64("i16", -2), .float64("dbl", 0.25),
            ])
    }

    @Test func addressAnnotationsBecomePeerTags() throws {
        var span = ZipkinWireSpan()
        let ipv6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        span.binaryAnnotations = [
            ZipkinWireBinaryAnnotation(
                key: "sa", value: [1], type: 0,
                host: ZipkinWireEndpoint(ipv4: Int32(bitPattern: 0xC0A8_0001), port: -1, serviceName: "db", ipv6: ipv6)),
            ZipkinWireBinaryAnnotation(key: "ca", value: [1], type: 0, host: nil),
            .string("lc", "jdbc", host: ZipkinWireEndpoint(ipv4: 0x0A00_0003, serviceName: "svc")),
        ]
        let converted = try #require(try v1Thrift([span]).first)
        #expect(
            converted.tags == [
                .string("peer.service", "db"), .int64("peer.ipv4", 0xC0A8_0001),
                Attribute(key: "peer.ipv6", value: .binary(ipv6)),
                .int64("peer.port", 65535), .string("component", "jdbc"),
            ])
        // The lc host names the service (no core annotations); its ipv4 is the process ip.
        #expect(converted.process == Process(serviceName: "svc", tags: [.int64("ip", 0x0A00_0003)]))
    }

    @Test func jaegerClientTagsMoveToTheProcess() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","timestamp":1,"duration":1,"binaryAnnotations":["#
                + #"{"key":"jaegerClient","value":"Go-2.30"},{"key":"jaeger.hostname","value":"host-1"},"#
                + #"{"key":"k","value":"v","endpoint":{"serviceName":"from-binary","ipv4":"192.168.0.1"}}]}]"#)
        let span = try #require(spans.first)
        #expect(span.tags == [.string("k", "v")])
        // Jaeger sign-extends the packed i32 (192.168.0.1 is negative).
        #expect(
            span.process
                == Process(
                    serviceName: "from-binary",
                    tags: [
                        .string("jaeger.version", "Go-2.30"), .string("hostname", "host-1"),
                        .int64("ip", -1_062_731_775),
                    ]))
    }

    @Test func serviceNameComesFromCoreAnnotationsFirst() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"note","endpoint":{"serviceName":"any"}},"#
                + #"{"timestamp":2,"value":"sr","endpoint":{"serviceName":"core"}}],"#
                + #""binaryAnnotations":[{"key":"lc","value":"x","endpoint":{"serviceName":"local"}}]}]"#)
        #expect(spans.first?.process.serviceName == "core")
        let noCore = try v1(
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"note","endpoint":{"serviceName":"any"}}],"#
                + #""binaryAnnotations":[{"key":"lc","value":"x","endpoint":{"serviceName":"local"}}]}]"#)
        #expect(noCore.first?.process.serviceName == "local")
        #expect(try v1(#"[{"traceId":"1","id":"2"}]"#).first?.process == Process(serviceName: "unknown-service-name"))
    }

    @Test func annotationValuesThatAreJSONObjectsBecomeFields() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","timestamp":1,"duration":1,"annotations":["#
                + #"{"timestamp":5,"value":"{\"event\":\"cache\",\"key\":\"k1\"}"},"#
                + #"{"timestamp":6,"value":"{\"n\":1}"},"#
                + #"{"timestamp":7,"value":"{\"ev\":{\"n\":1}}"},"#
                + #"{"timestamp":8,"value":""}]}]"#)
        #expect(
            spans.first?.logs == [
                SpanLog(timestampUnixNanos: 5_000, fields: [.string("event", "cache"), .string("key", "k1")]),
                SpanLog(timestampUnixNanos: 6_000, fields: [.string("event", #"{"n":1}"#)]),
                SpanLog(timestampUnixNanos: 7_000, fields: [.string("event", "ev"), .int64("n", 1)]),
            ])
    }

    @Test func thriftBodiesDecodeWithUnknownFieldsSkipped() throws {
        var first = ZipkinWireSpan()
        first.traceIDHigh = 5
        first.parentID = 0x1111
        first.debug = true
        first.unknownFields = true
        first.annotations = [(1_700_000_000_000_000, "cs", ZipkinWireEndpoint(ipv4: 0x7F00_0001, serviceName: "app"))]
        var second = ZipkinWireSpan()
        second.id = 0x3333
        second.timestamp = nil
        second.duration = nil
        let spans = try v1Thrift([first, second])
        try #require(spans.count == 2)
        #expect(spans[0].traceID == TraceID(high: 5, low: 0x1111))
        #expect(
            spans[0].references == [SpanReference(refType: .childOf, traceID: spans[0].traceID, spanID: SpanID(0x1111))]
        )
        #expect(spans[0].flags == 2)
        #expect(spans[0].operationName == "op")
        #expect(spans[0].tags == [.string("span.kind", "client")])
        #expect(spans[0].process == Process(serviceName: "app", tags: [.int64("ip", 0x7F00_0001)]))
        #expect(spans[1].spanID == SpanID(0x3333))
        #expect(spans[1].startTimeUnixNanos == 0)
        #expect(spans[1].durationNanos == 1_000)
    }

    @Test func anEmptyThriftListIsNoSpans() throws {
        #expect(try v1Thrift([]).isEmpty)
    }

    @Test func thriftErrorsAreReported() {
        #expect(throws: ZipkinError.thrift(.truncated(offset: 0))) { try ZipkinDecoder.decodeV1Thrift(ByteBuffer()) }
        // A list of i64 where structs are expected.
        #expect(throws: ZipkinError.thrift(.unexpectedType(fieldID: 1, wireType: 10))) {
            try ZipkinDecoder.decodeV1Thrift(ByteBuffer(bytes: [0x0A, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]))
        }
    }

    @Test(arguments: [
        (
            #"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":1.5,"type":"I64"}]}]"#,
            "[0].binaryAnnotations[0].value: not an I64 value"
        ),
        (
            #"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":"x","type":"WHAT"}]}]"#,
            #"[0].binaryAnnotations[0].type: unknown annotation type "WHAT""#
        ),
        (
            #"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":"%%","type":"BYTES"}]}]"#,
            "[0].binaryAnnotations[0].value: BYTES value must be base64 text"
        ),
        (
            #"[{"traceId":"1","id":"2","annotations":[{"value":"x","endpoint":{"ipv4":"300.1.1.1"}}]}]"#,
            #"[0].annotations[0].endpoint.ipv4: invalid IPv4 address "300.1.1.1""#
        ),
        (#"[{"traceId":"1","id":"2","timestamp":"1"}]"#, "[0].timestamp: expected an integer"),
    ])
    func invalidV1JSONIsRejectedWithItsPath(_ json: String, _ message: String) {
        do {
            _ = try v1(json)
            Issue.record("decoded \(json)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func ipv4MappedIPv6TextIsAcceptedAsIPv4() throws {
        let spans = try v1(
            #"[{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"cs","endpoint":{"serviceName":"s","ipv4":"::ffff:10.0.0.9"}}]}]"#
        )
        #expect(spans.first?.process.tag("ip") == .int64(0x0A00_0009))
    }
}

/// UDP `Agent.emitZipkinBatch` on 6831 (compact) and 6832 (binary).
struct ZipkinAgentDatagramTests {
    private static func spans() -> [ZipkinWireSpan] {
        var client = ZipkinWireSpan()
        client.timestamp = nil
        client.duration = nil
        client.annotations = [
            (1000, "cs", ZipkinWireEndpoint(ipv4: 0x0A00_0001, serviceName: "web")),
            (1500, "cr", ZipkinWireEndpoint(ipv4: 0x0A00_0001, serviceName: "web")),
        ]
        client.binaryAnnotations = [.string("http.url", "/a")]
        var shared = ZipkinWireSpan()
        shared.id = 0x4444
        shared.parentID = 0x2222
        shared.annotations = [(1100, "sr", nil), (1200, "ss", nil), (1050, "cs", nil), (1300, "cr", nil)]
        return [client, shared]
    }

    private func check(_ spans: [Span]) {
        #expect(spans.count == 3, "the shared span yields two")
        guard spans.count == 3 else { return }
        #expect(spans[0].process == Process(serviceName: "web", tags: [.int64("ip", 0x0A00_0001)]))
        #expect(spans[0].tags == [.string("http.url", "/a"), .string("span.kind", "client")])
        #expect(spans[0].startTimeUnixNanos == 1_000_000)
        #expect(spans[0].durationNanos == 500_000)
        #expect(spans[1].spanID == SpanID(0x4444))
        #expect(spans[2].spanID == SpanID(0x4444))
        #expect(spans[1].tag("span.kind") == .string("server"))
        #expect(spans[2].tags == [.string("span.kind", "client")])
        #expect(spans[2].startTimeUnixNanos == 1_050_000)
        #expect(spans[2].durationNanos == 250_000)
    }

    @Test func compactDatagramsDecodeToSpans() throws {
        check(
            try ZipkinWire.decodeDatagram(
                CompactTestWriter.self, ZipkinWire.emitZipkinBatch(CompactTestWriter.self, Self.spans())))
    }

    @Test func binaryDatagramsDecodeToSpans() throws {
        check(
            try ZipkinWire.decodeDatagram(
                BinaryTestWriter.self, ZipkinWire.emitZipkinBatch(BinaryTestWriter.self, Self.spans())))
    }

    @Test func bothProtocolsGiveTheSameSpans() throws {
        let compact = try ZipkinWire.decodeDatagram(
            CompactTestWriter.self, ZipkinWire.emitZipkinBatch(CompactTestWriter.self, Self.spans()))
        let binary = try ZipkinWire.decodeDatagram(
            BinaryTestWriter.self, ZipkinWire.emitZipkinBatch(BinaryTestWriter.self, Self.spans()))
        #expect(compact == binary)
    }

    @Test func aBatchWithoutTheSpanListIsRejected() {
        var w = CompactTestWriter()
        w.writeMessageBegin(name: "emitZipkinBatch", type: 4, sequenceID: 0)
        w.writeStructBegin()
        w.writeStructEnd()
        #expect(throws: ThriftError.missingRequiredField(struct: "emitZipkinBatch_args", field: "spans")) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: w.bytes), protocol: .compact)
        }
    }

    @Test func theSpanListIsBoundedBySpansPerBatch() {
        var limits = DecodingLimits.default
        limits.maxSpansPerBatch = 1
        let bytes = ZipkinWire.emitZipkinBatch(CompactTestWriter.self, Self.spans())
        #expect(throws: ThriftError.lengthOverLimit(length: 2, limit: 1)) {
            try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: bytes), protocol: .compact, limits: limits)
        }
    }
}
