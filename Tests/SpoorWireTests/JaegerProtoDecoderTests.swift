import Foundation
import SpoorModel
import SwiftProtobuf
import Testing

@testable import SpoorWire

/// api_v2 batches (`CollectorService/PostSpans`) through `JaegerProtoDecoder`.
struct JaegerProtoDecoderTests {
    // MARK: Builders

    static let traceBytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]
    static let spanBytes: [UInt8] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8]
    static let traceID = TraceID(high: 0x0102_0304_0506_0708, low: 0x1112_1314_1516_1718)
    static let spanID = SpanID(0xA1A2_A3A4_A5A6_A7A8)

    static func keyValue(_ key: String, _ build: (inout Jaeger_ApiV2_KeyValue) -> Void) -> Jaeger_ApiV2_KeyValue {
        var kv = Jaeger_ApiV2_KeyValue()
        kv.key = key
        build(&kv)
        return kv
    }

    static func process(_ service: String, tags: [Jaeger_ApiV2_KeyValue] = []) -> Jaeger_ApiV2_Process {
        var process = Jaeger_ApiV2_Process()
        process.serviceName = service
        process.tags = tags
        return process
    }

    static func span(trace: [UInt8] = traceBytes, span: [UInt8] = spanBytes, name: String = "op") -> Jaeger_ApiV2_Span {
        var s = Jaeger_ApiV2_Span()
        s.traceID = Data(trace)
        s.spanID = Data(span)
        s.operationName = name
        return s
    }

    static func batch(_ spans: [Jaeger_ApiV2_Span], process: Jaeger_ApiV2_Process? = nil) -> Jaeger_ApiV2_Batch {
        var batch = Jaeger_ApiV2_Batch()
        batch.spans = spans
        if let process { batch.process = process }
        return batch
    }

    /// A span as the OTel Python proto-gRPC exporter sends it: own process, parent as CHILD_OF, a link, a log.
    static func fullSpan() -> Jaeger_ApiV2_Span {
        var s = span(name: "GET /checkout")
        var parent = Jaeger_ApiV2_SpanRef()
        parent.traceID = Data(traceBytes)
        parent.spanID = Data([0, 0, 0, 0, 0, 0, 0, 9])
        parent.refType = .childOf
        var link = Jaeger_ApiV2_SpanRef()
        link.traceID = Data(Array(traceBytes[8...]))
        link.spanID = Data([0, 0, 0, 0, 0, 0, 0, 7])
        link.refType = .followsFrom
        s.references = [parent, link]
        s.flags = 1
        s.startTime = .with {
            $0.seconds = 1_700_000_000
            $0.nanos = 123_456_789
        }
        s.duration = .with {
            $0.seconds = 2
            $0.nanos = 500
        }
        s.tags = [
            keyValue("http.method") { $0.vStr = "GET" },
            keyValue("error") {
                $0.vType = .bool
                $0.vBool = true
            },
        ]
        var log = Jaeger_ApiV2_Log()
        log.timestamp = .with {
            $0.seconds = 1_700_000_001
            $0.nanos = 0
        }
        log.fields = [keyValue("message") { $0.vStr = "checkpoint" }]
        s.logs = [log]
        s.process = process("shop", tags: [keyValue("host.name") { $0.vStr = "box" }])
        s.warnings = ["clock skew"]
        return s
    }

    // MARK: Conversion

    @Test func fullSpanConvertsFieldByField() throws {
        let spans = try JaegerProtoDecoder.spans(from: Self.batch([Self.fullSpan()]))
        try #require(spans.count == 1)
        let span = spans[0]
        #expect(span.traceID == Self.traceID)
        #expect(span.spanID == Self.spanID)
        #expect(span.operationName == "GET /checkout")
        #expect(
            span.references == [
                SpanReference(refType: .childOf, traceID: Self.traceID, spanID: SpanID(9)),
                SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 0x1112_1314_1516_1718), spanID: SpanID(7)),
            ])
        #expect(span.parentSpanID == SpanID(9))
        #expect(span.flags == 1)
        #expect(span.startTimeUnixNanos == 1_700_000_000_123_456_789)
        #expect(span.durationNanos == 2_000_000_500)
        #expect(span.tags == [.string("http.method", "GET"), .bool("error", true)])
        #expect(span.logs == [SpanLog(timestampUnixNanos: 1_700_000_001_000_000_000, fields: [.string("message", "checkpoint")])])
        #expect(span.process == Process(serviceName: "shop", tags: [.string("host.name", "box")]))
        #expect(span.warnings == ["clock skew"])
    }

    @Test func serializedRequestRoundTrips() throws {
        var request = Jaeger_ApiV2_PostSpansRequest()
        request.batch = Self.batch([Self.fullSpan(), Self.span(name: "second")], process: Self.process("batch-svc"))
        let bytes: [UInt8] = try request.serializedBytes()
        let decoded = try Jaeger_ApiV2_PostSpansRequest(serializedBytes: bytes)
        let spans = try JaegerProtoDecoder.spans(from: decoded)
        #expect(spans.map(\.operationName) == ["GET /checkout", "second"])
        #expect(spans.map(\.process.serviceName) == ["shop", "batch-svc"])
    }

    @Test func requestWithoutBatchHoldsNoSpans() throws {
        #expect(try JaegerProtoDecoder.spans(from: Jaeger_ApiV2_PostSpansRequest()).isEmpty)
    }

    // MARK: Ids

    @Test func eightByteTraceIDIsTheLowHalf() throws {
        let spans = try JaegerProtoDecoder.spans(from: Self.batch([Self.span(trace: Array(Self.traceBytes[8...]))]))
        #expect(spans.first?.traceID == TraceID(high: 0, low: 0x1112_1314_1516_1718))
    }

    @Test func emptyIDsAreZero() throws {
        let spans = try JaegerProtoDecoder.spans(from: Self.batch([Self.span(trace: [], span: [])]))
        #expect(spans.first?.traceID == .zero)
        #expect(spans.first?.spanID == .zero)
    }

    @Test(arguments: [1, 4, 7, 9, 15, 17, 32])
    func traceIDOfOtherLengthIsRejected(length: Int) {
        let batch = Self.batch([Self.span(), Self.span(trace: Array(repeating: 1, count: length))])
        #expect(throws: JaegerProtoError.invalidIDLength(path: "spans[1].trace_id", length: length, expected: "16 or 8")) {
            try JaegerProtoDecoder.spans(from: batch)
        }
    }

    @Test(arguments: [1, 4, 7, 9, 16])
    func spanIDOfOtherLengthIsRejected(length: Int) {
        let batch = Self.batch([Self.span(span: Array(repeating: 1, count: length))])
        #expect(throws: JaegerProtoError.invalidIDLength(path: "spans[0].span_id", length: length, expected: "8")) {
            try JaegerProtoDecoder.spans(from: batch)
        }
    }

    @Test func badReferenceIDNamesTheReference() {
        var span = Self.span()
        var reference = Jaeger_ApiV2_SpanRef()
        reference.traceID = Data(Self.traceBytes)
        reference.spanID = Data([1, 2, 3])
        span.references = [reference]
        var request = Jaeger_ApiV2_PostSpansRequest()
        request.batch = Self.batch([span])
        #expect(throws: JaegerProtoError.invalidIDLength(path: "batch.spans[0].references[0].span_id", length: 3, expected: "8")) {
            try JaegerProtoDecoder.spans(from: request)
        }
    }

    // MARK: Process

    @Test func spanProcessOverridesBatchProcess() throws {
        var own = Self.span(name: "own")
        own.process = Self.process("span-svc")
        let spans = try JaegerProtoDecoder.spans(
            from: Self.batch([own, Self.span(name: "inherits")], process: Self.process("batch-svc", tags: [Self.keyValue("ip") { $0.vStr = "10.0.0.1" }])))
        #expect(spans[0].process == Process(serviceName: "span-svc"))
        #expect(spans[1].process == Process(serviceName: "batch-svc", tags: [.string("ip", "10.0.0.1")]))
    }

    @Test func spanWithoutAnyProcessGetsTheNullProcessName() throws {
        let spans = try JaegerProtoDecoder.spans(from: Self.batch([Self.span()]))
        #expect(spans.first?.process == Process(serviceName: ServiceNames.nullProcess))
    }

    @Test func emptyServiceNameIsKeptForTheIngestSanitizer() throws {
        let spans = try JaegerProtoDecoder.spans(from: Self.batch([Self.span()], process: Self.process("")))
        #expect(spans.first?.process.serviceName == "")
    }

    // MARK: Values and times

    static let valueTypes: [(Jaeger_ApiV2_KeyValue, AttributeValue)] = [
        (keyValue("s") { $0.vStr = "text" }, .string("text")),
        (
            keyValue("b") {
                $0.vType = .bool
                $0.vBool = true
                $0.vStr = "ignored"
            }, .bool(true)
        ),
        (
            keyValue("i") {
                $0.vType = .int64
                $0.vInt64 = -42
            }, .int64(-42)
        ),
        (
            keyValue("f") {
                $0.vType = .float64
                $0.vFloat64 = 1.5
            }, .float64(1.5)
        ),
        (
            keyValue("x") {
                $0.vType = .binary
                $0.vBinary = Data([0xDE, 0xAD])
            }, .binary([0xDE, 0xAD])
        ),
        (
            keyValue("u") {
                $0.vType = .UNRECOGNIZED(9)
                $0.vStr = "lost"
            }, .string("unknown type 9")
        ),
    ]

    @Test(arguments: valueTypes)
    func valueTypeSelectsTheValueField(keyValue: Jaeger_ApiV2_KeyValue, expected: AttributeValue) throws {
        var span = Self.span()
        span.tags = [keyValue]
        var log = Jaeger_ApiV2_Log()
        log.fields = [keyValue]
        span.logs = [log]
        span.process = Self.process("svc", tags: [keyValue])
        let converted = try #require(try JaegerProtoDecoder.spans(from: Self.batch([span])).first)
        #expect(converted.tags == [Attribute(key: keyValue.key, value: expected)])
        #expect(converted.logs.first?.fields == [Attribute(key: keyValue.key, value: expected)])
        #expect(converted.process.tags == [Attribute(key: keyValue.key, value: expected)])
    }

    static let times: [(Int64, Int32, UInt64)] = [
        (0, 0, 0), (1, 5, 1_000_000_005), (-1, 0, 0), (-5, 999_999_999, 0), (2, -1, 1_999_999_999),
        (0, -5, 0), (Int64.max, 0, UInt64.max), (18_446_744_073, 709_551_615, UInt64.max), (Int64.min, Int32.min, 0),
    ]

    @Test(arguments: times)
    func secondsAndNanosBecomeSaturatingNanoseconds(seconds: Int64, nanos: Int32, expected: UInt64) {
        #expect(JaegerProtoDecoder.nanoseconds(seconds: seconds, nanos: nanos) == expected)
    }

    @Test func missingTimesAreZero() throws {
        let span = try #require(try JaegerProtoDecoder.spans(from: Self.batch([Self.span()])).first)
        #expect(span.startTimeUnixNanos == 0)
        #expect(span.durationNanos == 0)
    }

    // MARK: Limits

    @Test func limitsBoundSpansListsAndValues() {
        let limits = JaegerProtoLimits(maxSpansPerBatch: 2, maxItemsPerList: 2, maxValueBytes: 4)
        #expect(throws: JaegerProtoError.tooManySpans(count: 3, limit: 2)) {
            try JaegerProtoDecoder.spans(from: Self.batch([Self.span(), Self.span(), Self.span()]), limits: limits)
        }
        var tagged = Self.span()
        tagged.tags = Array(repeating: Self.keyValue("k") { $0.vStr = "v" }, count: 3)
        #expect(throws: JaegerProtoError.tooManyItems(path: "spans[0].tags", count: 3, limit: 2)) {
            try JaegerProtoDecoder.spans(from: Self.batch([tagged]), limits: limits)
        }
        var long = Self.span()
        long.tags = [Self.keyValue("k") { $0.vStr = "12345" }]
        #expect(throws: JaegerProtoError.valueTooLarge(path: "spans[0].tags[0].v_str", bytes: 5, limit: 4)) {
            try JaegerProtoDecoder.spans(from: Self.batch([long]), limits: limits)
        }
        #expect(throws: JaegerProtoError.valueTooLarge(path: "process.service_name", bytes: 6, limit: 4)) {
            try JaegerProtoDecoder.spans(from: Self.batch([], process: Self.process("abcdef")), limits: limits)
        }
    }

    // MARK: Real client

    /// The OTel Python proto-gRPC exporter's request (Fixtures/jaeger-proto/README.md).
    @Test func otelProtoGRPCExporterRequestConvertsWhole() throws {
        let base = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/jaeger-proto", isDirectory: true)
        let body = try Data(contentsOf: base.appendingPathComponent("otel-proto-grpc-00.postspans.pb"))
        let sent = try JSONDecoder().decode(SentReport.self, from: Data(contentsOf: base.appendingPathComponent("sent.json")))
        let request = try Jaeger_ApiV2_PostSpansRequest(serializedBytes: Array(body))
        #expect(!request.batch.hasProcess)
        let spans = try JaegerProtoDecoder.spans(from: request)
        #expect(spans.count == 8)

        // key → (name, parent key, start ms, duration ms)
        let shape: [String: (String, String?, UInt64, UInt64)] = [
            "root": ("GET /checkout", nil, 0, 120), "db": ("SELECT orders", "root", 10, 50),
            "charge": ("charge card", "db", 20, 30), "compute": ("compute totals", "root", 70, 20),
        ]
        for trace in sent.traces {
            let traceID = try #require(TraceID(hex: trace.traceID))
            for (key, (name, parent, startMillis, durationMillis)) in shape {
                let spanID = try #require(trace.spans[key].flatMap { SpanID(hex: $0) })
                let span = try #require(spans.first { $0.traceID == traceID && $0.spanID == spanID }, "\(key) of \(trace.traceID)")
                #expect(span.operationName == name)
                // The exporter goes through float seconds (`nsec / 1e9`), so its nanoseconds are off by up to ~200 ns.
                #expect(Self.distance(span.startTimeUnixNanos, (trace.baseMicros + startMillis * 1000) * 1000) < 1000)
                #expect(Self.distance(span.durationNanos, durationMillis * 1_000_000) < 1000)
                #expect(span.flags == 1)
                #expect(span.process.serviceName == "shop-proto")
                #expect(span.process.tags.contains(.string("deployment.environment", "e2e")))
                if let parent {
                    let parentID = try #require(trace.spans[parent].flatMap { SpanID(hex: $0) })
                    #expect(span.references.first == SpanReference(refType: .childOf, traceID: traceID, spanID: parentID))
                    #expect(span.parentSpanID == parentID)
                } else {
                    #expect(span.references.isEmpty)
                }
            }
        }
        let db = try #require(spans.first { $0.operationName == "SELECT orders" })
        #expect(db.tags.contains(.int64("db.rows", 42)))
        #expect(db.tags.contains(.float64("db.cost", 1.5)))
        #expect(db.tags.contains(.bool("db.cached", true)))
        let compute = try #require(spans.first { $0.operationName == "compute totals" })
        #expect(compute.logs.first?.fields.contains(.string("message", "checkpoint")) == true)
        #expect(spans.filter(\.isError).map(\.operationName) == ["charge card", "charge card"])
    }

    private static func distance(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }

    private struct SentReport: Decodable {
        struct Trace: Decodable {
            var traceID: String
            var baseMicros: UInt64
            var spans: [String: String]
            enum CodingKeys: String, CodingKey {
                case traceID = "trace_id"
                case baseMicros = "base_us"
                case spans
            }
        }
        var traces: [Trace]
    }

    // MARK: Robustness

    @Test func everyPrefixOfARequestDecodesOrThrowsWithoutTrapping() throws {
        let base = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/jaeger-proto", isDirectory: true)
        let bytes = Array(try Data(contentsOf: base.appendingPathComponent("otel-proto-grpc-00.postspans.pb")))
        var decodedPrefixes = 0
        for length in 0..<bytes.count {
            guard let prefix = try? Jaeger_ApiV2_PostSpansRequest(serializedBytes: Array(bytes[..<length])) else { continue }
            decodedPrefixes += 1
            _ = try? JaegerProtoDecoder.spans(from: prefix)
        }
        #expect(decodedPrefixes > 0)
    }
}
