import NIOCore
import SpoorModel
import SpoorTestSupport
import SpoorWire
import Testing

/// Runs every Zipkin entry point on `bytes`, discarding results and errors.
private func decodeEverywhere(_ bytes: [UInt8], limits: DecodingLimits = .default) {
    let buffer = ByteBuffer(bytes: bytes)
    _ = try? ZipkinDecoder.decodeV2JSON(buffer, limits: limits)
    _ = try? ZipkinDecoder.decodeV2Proto(buffer, limits: limits)
    _ = try? ZipkinDecoder.decodeV1JSON(buffer, limits: limits)
    _ = try? ZipkinDecoder.decodeV1Thrift(buffer, limits: limits)
    _ = try? JaegerThrift.decodeAgentDatagram(buffer, protocol: .compact, limits: limits)
    _ = try? JaegerThrift.decodeAgentDatagram(buffer, protocol: .binary, limits: limits)
}

/// `82 81 00 0F "emitZipkinBatch"`: a compact emitZipkinBatch message header.
private let compactHeader: [UInt8] = [0x82, 0x81, 0x00, 0x0F] + Array("emitZipkinBatch".utf8)
/// `80 01 00 04 | 00 00 00 0F "emitZipkinBatch" | 00 00 00 00`: a strict binary emitZipkinBatch header.
private let binaryHeader: [UInt8] =
    [0x80, 0x01, 0x00, 0x04, 0, 0, 0, 0x0F] + Array("emitZipkinBatch".utf8) + [0, 0, 0, 0]

/// A hand-made span with every zipkincore field, for truncation and mutation tests.
private func richWireSpan() -> ZipkinWireSpan {
    var span = ZipkinWireSpan()
    span.traceIDHigh = 7
    span.parentID = 9
    span.debug = true
    let host = ZipkinWireEndpoint(
        ipv4: 0x0A00_0001, port: 80, serviceName: "svc", ipv6: [UInt8](repeating: 1, count: 16))
    span.annotations = [(10, "cs", host), (20, "sr", nil), (30, "note", host)]
    span.binaryAnnotations = [
        .string("k", "v", host: host), ZipkinWireBinaryAnnotation(key: "n", value: [0, 0, 0, 0, 0, 0, 0, 1], type: 4),
    ]
    return span
}

struct ZipkinRobustnessTests {
    @Test(arguments: ZipkinFixtures.v2JSON + ZipkinFixtures.v1JSON)
    func everyTruncationOfAJSONFixtureThrows(_ name: String) throws {
        let bytes = try ZipkinFixtures.bytes(name)
        for length in 0..<bytes.count {
            do {
                _ = try ZipkinFixtures.decode(name, ByteBuffer(bytes: bytes[0..<length]))
                Issue.record("prefix of \(length) bytes of \(name) decoded")
            } catch {
                // Expected.
            }
        }
    }

    @Test(arguments: ZipkinFixtures.v2Proto)
    func everyTruncationOfAProtobufFixtureThrowsOrEndsBeforeTheSpan(_ name: String) throws {
        let bytes = try ZipkinFixtures.bytes(name)
        // Protobuf has no terminator: only the empty prefix is a valid (empty) list.
        #expect(try ZipkinDecoder.decodeV2Proto(ByteBuffer()).isEmpty)
        for length in 1..<bytes.count {
            do {
                _ = try ZipkinDecoder.decodeV2Proto(ByteBuffer(bytes: bytes[0..<length]))
                Issue.record("prefix of \(length) bytes of \(name) decoded")
            } catch {
                // Expected.
            }
        }
    }

    @Test func everyTruncationOfAThriftBodyThrows() {
        let bytes = ZipkinWire.spanList(BinaryTestWriter.self, [richWireSpan(), ZipkinWireSpan()])
        #expect((try? ZipkinDecoder.decodeV1Thrift(ByteBuffer(bytes: bytes)))?.count == 3, "the cs+sr span yields two")
        for length in 0..<bytes.count {
            #expect(throws: ZipkinError.self, "prefix \(length)") {
                try ZipkinDecoder.decodeV1Thrift(ByteBuffer(bytes: bytes[0..<length]))
            }
        }
    }

    @Test(arguments: ThriftWireProtocol.allCases)
    func everyTruncationOfAnEmitZipkinBatchDatagramThrows(_ proto: ThriftWireProtocol) {
        let bytes: [UInt8]
        let kind: ThriftProtocolKind
        switch proto {
        case .compact:
            bytes = ZipkinWire.emitZipkinBatch(CompactTestWriter.self, [richWireSpan()])
            kind = .compact
        case .binary:
            bytes = ZipkinWire.emitZipkinBatch(BinaryTestWriter.self, [richWireSpan()])
            kind = .binary
        }
        #expect((try? JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: bytes), protocol: kind)) != nil)
        for length in 0..<bytes.count {
            #expect(throws: ThriftError.self, "prefix \(length)") {
                try JaegerThrift.decodeAgentDatagram(ByteBuffer(bytes: bytes[0..<length]), protocol: kind)
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix(seed: 0x21F_0001)
        let seeds: [[UInt8]] = [
            [], compactHeader + [0x19, 0x1C], binaryHeader + [0x0F, 0, 1, 0x0C], Array(#"[{"traceId":"#.utf8), [0x0A],
        ]
        for round in 0..<6000 {
            let length = Int.random(in: 0...(round % 3 == 0 ? 1024 : 96), using: &rng)
            let prefix = seeds[round % seeds.count]
            decodeEverywhere(prefix + (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }

    @Test func mutatedFixturesNeverTrap() throws {
        var rng = SplitMix(seed: 0x21F_0002)
        var inputs = try
            (ZipkinFixtures.v2JSON.prefix(3) + ZipkinFixtures.v2Proto.prefix(3) + ZipkinFixtures.v1JSON.prefix(3))
            .map { try ZipkinFixtures.bytes($0) }
        inputs.append(ZipkinWire.spanList(BinaryTestWriter.self, [richWireSpan()]))
        inputs.append(ZipkinWire.emitZipkinBatch(CompactTestWriter.self, [richWireSpan()]))
        inputs.append(ZipkinWire.emitZipkinBatch(BinaryTestWriter.self, [richWireSpan()]))
        for round in 0..<3000 {
            var bytes = inputs[round % inputs.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1:
                    bytes[index] = [0x00, 0x7F, 0x80, 0xFF, 0x22, 0x5C, 0x7B, 0x5B][Int.random(in: 0..<8, using: &rng)]
                default: bytes.remove(at: index)
                }
                if bytes.isEmpty { break }
            }
            decodeEverywhere(bytes)
        }
    }

    @Test func spanCountsAreLimitedInEveryFormat() throws {
        var limits = DecodingLimits.default
        limits.maxSpansPerBatch = 1
        let json = #"[{"traceId":"1","id":"2"},{"traceId":"1","id":"3"}]"#
        #expect(throws: ZipkinError.tooManySpans(count: 2, limit: 1)) {
            try ZipkinDecoder.decodeV2JSON(ByteBuffer(string: json), limits: limits)
        }
        #expect(throws: ZipkinError.tooManySpans(count: 2, limit: 1)) {
            try ZipkinDecoder.decodeV1JSON(ByteBuffer(string: json), limits: limits)
        }
        #expect(throws: ZipkinError.tooManySpans(count: 2, limit: 1)) {
            try ZipkinDecoder.decodeV2Proto(
                ByteBuffer(bytes: ProtoWireSpan.list([ProtoWireSpan(), ProtoWireSpan()])), limits: limits)
        }
        #expect(throws: ZipkinError.thrift(.lengthOverLimit(length: 2, limit: 1))) {
            try ZipkinDecoder.decodeV1Thrift(
                ByteBuffer(bytes: ZipkinWire.spanList(BinaryTestWriter.self, [ZipkinWireSpan(), ZipkinWireSpan()])),
                limits: limits)
        }
    }

    @Test func tagCountsAreLimited() throws {
        var limits = DecodingLimits.default
        limits.maxTagsPerSpan = 2
        #expect(throws: ZipkinError.tooManyItems(path: "[0].tags", count: 3, limit: 2)) {
            try ZipkinDecoder.decodeV2JSON(
                ByteBuffer(string: #"[{"traceId":"1","id":"2","tags":{"a":"","b":"","c":""}}]"#), limits: limits)
        }
        var wire = ProtoWireSpan()
        wire.tags = [("a", ""), ("b", ""), ("c", "")]
        #expect(throws: ZipkinError.tooManyItems(path: "spans[0].tags", count: 3, limit: 2)) {
            try ZipkinDecoder.decodeV2Proto(ByteBuffer(bytes: ProtoWireSpan.list([wire])), limits: limits)
        }
        let v1 =
            #"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"a","value":""},{"key":"b","value":""},{"key":"c","value":""}]}]"#
        #expect(throws: ZipkinError.tooManyItems(path: "[0].binaryAnnotations", count: 3, limit: 2)) {
            try ZipkinDecoder.decodeV1JSON(ByteBuffer(string: v1), limits: limits)
        }
    }

    @Test func deepJSONIsRejectedWithoutRecursingFurther() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: ZipkinError.nestingTooDeep(limit: 64)) {
            try ZipkinDecoder.decodeV2JSON(ByteBuffer(string: deep))
        }
        // Deep values inside an annotation are not expanded, and never trap.
        let annotation = String(repeating: "{\\\"a\\\":", count: 200) + "1" + String(repeating: "}", count: 200)
        let json = #"[{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"\#(annotation)"}]}]"#
        #expect(
            (try? ZipkinDecoder.decodeV2JSON(ByteBuffer(string: json)))?.first?.logs.first?.fields.first?.key == "event"
        )
    }

    @Test func longStringsAreRejected() {
        var limits = DecodingLimits.default
        limits.maxStringBytes = 8
        #expect(throws: ZipkinError.valueTooLarge(path: "", bytes: 9, limit: 8)) {
            try ZipkinDecoder.decodeV2JSON(
                ByteBuffer(string: #"[{"traceId":"1","id":"2","name":"123456789"}]"#), limits: limits)
        }
        var wire = ProtoWireSpan()
        wire.name = "123456789"
        #expect(throws: ZipkinError.valueTooLarge(path: "spans[0].name", bytes: 9, limit: 8)) {
            try ZipkinDecoder.decodeV2Proto(ByteBuffer(bytes: ProtoWireSpan.list([wire])), limits: limits)
        }
    }

    @Test func hostileListHeadersDoNotAllocate() {
        // A binary list header claiming 2^31-1 structs in a 5-byte body.
        #expect(throws: ZipkinError.self) {
            try ZipkinDecoder.decodeV1Thrift(ByteBuffer(bytes: [0x0C, 0x7F, 0xFF, 0xFF, 0xFF]))
        }
        // A protobuf length claiming 2^63 bytes.
        #expect(throws: ZipkinError.self) {
            try ZipkinDecoder.decodeV2Proto(
                ByteBuffer(bytes: [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]))
        }
    }
}

struct ZipkinIPTests {
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"), ("::", "::"), ("::1", "::1"), ("1::", "1::"),
        ("2001:0DB8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("::ffff:10.1.2.3", "10.1.2.3"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
    ])
    func ipv6TextRoundTripsToGosForm(_ text: String, _ formatted: String) throws {
        let span = try ZipkinDecoder.decodeV2JSON(
            ByteBuffer(string: #"[{"traceId":"1","id":"2","localEndpoint":{"serviceName":"s","ipv6":"\#(text)"}}]"#))
        #expect(span.first?.tags == [.string("net.host.ip", formatted)])
    }

    @Test(arguments: [
        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", ":1:2", "1::2::3", "12345::", "g::", "1:", "::1.2.3", "1.2.3.4",
    ])
    func invalidIPv6TextIsRejected(_ text: String) {
        #expect(throws: ZipkinError.self) {
            try ZipkinDecoder.decodeV2JSON(
                ByteBuffer(string: #"[{"traceId":"1","id":"2","localEndpoint":{"ipv6":"\#(text)"}}]"#))
        }
    }

    @Test(arguments: ["1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1234.1.1.1"])
    func invalidIPv4TextIsRejected(_ text: String) {
        #expect(throws: ZipkinError.self) {
            try ZipkinDecoder.decodeV2JSON(
                ByteBuffer(string: #"[{"traceId":"1","id":"2","localEndpoint":{"ipv4":"\#(text)"}}]"#))
        }
    }
}
