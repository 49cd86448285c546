import Foundation
import NIOCore
import SpoorModel
import SpoorWire
import SwiftProtobuf
import Testing

/// `OTLPDecoder.decodeProtobuf` reads the bytes straight into spans; these tests hold it against the
/// reference path it replaced (the generated `ExportTraceServiceRequest`, then `OTLPSpanConverter`) on
/// client payloads, hand-written wire cases, limits, and mutated and random bodies.
struct OTLPProtobufReaderTests {
    // MARK: Client payloads

    @Test(arguments: OTLPFixtures.protobufBodies)
    func clientBodyDecodesAsTheGeneratedMessageDoes(file: String) throws {
        let bytes = try OTLPFixtures.bytes(file)
        let spans = try expectSameDecoding(bytes).get()
        #expect(spans.count >= 1)
    }

    @Test(arguments: OTLPFixtures.storageTraces)
    func storageTraceDecodesAsTheGeneratedMessageDoes(name: String) throws {
        let request = try OTLPDecoder.decodeJSONRequest(OTLPFixtures.storageTrace(name))
        let bytes: [UInt8] = try request.serializedBytes()
        let spans = try expectSameDecoding(bytes).get()
        #expect(spans == (try OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace(name))))
    }

    // MARK: Field order, repeats and unknown fields

    @Test func resourceAndScopeAfterTheirSpansStillApply() throws {
        let span = W.bytes(1, W.traceID) + W.bytes(2, W.spanID) + W.string(5, "op")
        let scopeSpans = W.bytes(2, span) + W.bytes(1, W.string(1, "lib") + W.string(2, "1.0"))
        let resourceSpans = W.bytes(2, scopeSpans) + W.bytes(1, W.bytes(1, W.keyValue("service.name", W.text("late"))))
        let spans = try expectSameDecoding(W.bytes(1, resourceSpans)).get()
        #expect(spans.first?.process.serviceName == "late")
        #expect(spans.first?.tags.prefix(2) == [.string("otel.scope.name", "lib"), .string("otel.scope.version", "1.0")])
    }

    @Test func repeatedSingularFieldsMergeAsProtobufRequires() throws {
        let resourceA = W.bytes(1, W.bytes(1, W.keyValue("service.name", W.text("a"))))
        let resourceB = W.bytes(1, W.bytes(1, W.keyValue("host", W.text("h"))))
        let span =
            W.bytes(1, W.traceID) + W.bytes(2, W.spanID) + W.string(5, "first") + W.string(5, "second")
            + W.bytes(15, W.varint(3, 2)) + W.bytes(15, W.string(2, "boom"))
            // string then int: the last oneof member wins
            + W.bytes(9, W.string(1, "k") + W.bytes(2, W.string(1, "text")) + W.bytes(2, W.varint(3, 7)))
            // two arrays in two value fields merge into one array
            + W.bytes(9, W.keyValue("list", W.array([W.text("x")])) + W.bytes(2, W.array([W.int(2)])))
            // a key sent twice: the last wins
            + W.bytes(9, W.string(1, "old") + W.string(1, "new") + W.bytes(2, W.bool(true)))
        let body = W.bytes(1, resourceA + W.bytes(2, W.bytes(2, span)) + resourceB)
        let spans = try expectSameDecoding(body).get()
        let decoded = try #require(spans.first)
        #expect(decoded.operationName == "second")
        #expect(decoded.process == Process(serviceName: "a", tags: [.string("host", "h")]))
        #expect(decoded.otlpTagValue("k") == .int64(7))
        #expect(decoded.otlpTagValue("list") == .string(#"["x",2]"#))
        #expect(decoded.otlpTagValue("new") == .bool(true))
        #expect(decoded.otlpTagValue("otel.status_code") == .string("ERROR"))
        #expect(decoded.otlpTagValue("otel.status_description") == .string("boom"))
    }

    @Test func unknownFieldsAndWrongWireTypesAreSkipped() throws {
        let unknown =
            W.varint(90, 1) + W.fixed64(91, 2) + W.fixed32(92, 3) + W.bytes(93, [1, 2, 3])
            + W.group(94, W.varint(1, 5) + W.group(2, W.string(3, "deep")))
        let value = W.varint(1, 9) + W.bytes(3, [1]) + unknown + W.fixed64(4, Double(2.5).bitPattern)
        let event = W.fixed64(1, 77) + W.string(2, "ev") + unknown + W.bytes(3, W.keyValue("a", W.int(-3)))
        let span =
            unknown + W.bytes(1, W.traceID) + W.varint(5, 3) + W.bytes(2, W.spanID) + W.bytes(6, [1])
            + W.string(5, "op") + W.varint(6, 2) + W.varint(7, 5) + W.fixed64(7, 100) + W.fixed64(8, 250)
            + W.bytes(9, W.string(1, "d") + unknown + W.bytes(2, value)) + W.bytes(11, event) + W.fixed32(16, 0x301)
            + W.varint(10, 4) + W.varint(12, 5) + W.varint(14, 6)
        let scopeSpans = unknown + W.bytes(2, span) + W.string(3, "https://schema") + W.varint(2, 1)
        let resourceSpans = unknown + W.bytes(2, scopeSpans) + W.string(3, "https://schema") + W.varint(1, 1)
        let body = unknown + W.bytes(1, resourceSpans) + W.fixed32(1, 5)
        let decoded = try #require(try expectSameDecoding(body).get().first)
        #expect(decoded.otlpTagValue("d") == .float64(2.5))
        #expect(decoded.otlpTagValue("span.kind") == .string("server"))
        #expect(decoded.startTimeUnixNanos == 100 && decoded.durationNanos == 150)
        #expect(decoded.flags == 1)
        #expect(decoded.logs == [SpanLog(timestampUnixNanos: 77, fields: [.string("event", "ev"), .int64("a", -3)])])
    }

    @Test func idsKindsStatusesLinksAndValuesConvertAsTheConverterDoes() throws {
        let otherTrace: [UInt8] = Array(repeating: 9, count: 16)
        let childOf = W.keyValue("opentracing.ref_type", W.text("child_of"))
        var spans: [[UInt8]] = []
        // 8-byte trace id, no span id, unknown kind, unknown status code, trace state.
        spans.append(W.bytes(1, Array(W.traceID[8...])) + W.varint(6, 99) + W.bytes(15, W.varint(3, 7)) + W.string(3, "a=b"))
        // negative kind (10-byte varint), ok status with a message, bytes and a NaN.
        spans.append(
            W.bytes(1, W.traceID) + W.bytes(2, W.spanID) + W.varint(6, UInt64(bitPattern: -1))
                + W.bytes(15, W.varint(3, 1) + W.string(2, "fine"))
                + W.bytes(9, W.keyValue("b", W.bytesValue([0, 255]))) + W.bytes(9, W.keyValue("n", W.double(.nan)))
                + W.bytes(9, W.keyValue("empty", [])) + W.bytes(9, W.string(1, "novalue")))
        // a parent, a link to the parent typed child_of, another link, and a kvlist value.
        spans.append(
            W.bytes(1, W.traceID) + W.bytes(2, W.spanID) + W.bytes(4, W.parentID)
                + W.bytes(13, W.bytes(1, W.traceID) + W.bytes(2, W.parentID) + W.bytes(4, childOf))
                + W.bytes(13, W.bytes(1, otherTrace) + W.bytes(2, W.spanID) + W.string(3, "ts"))
                + W.bytes(9, W.keyValue("kv", W.kvlist([("x", W.int(1)), ("y", W.array([W.bool(false)]))])))
                + W.bytes(11, W.string(2, "has event key") + W.bytes(3, W.keyValue("event", W.text("own")))))
        let body = W.bytes(1, W.bytes(2, spans.map { W.bytes(2, $0) }.reduce([], +)))
        let decoded = try expectSameDecoding(body).get()
        try #require(decoded.count == 3)
        #expect(decoded[0].traceID == TraceID(high: 0, low: 0x0102_0304_0506_0708))
        #expect(decoded[0].otlpTagValue("span.kind") == nil && decoded[0].otlpTagValue("otel.status_code") == nil)
        #expect(decoded[0].otlpTagValue("w3c.tracestate") == .string("a=b"))
        #expect(decoded[0].process.serviceName == "OTLPResourceNoServiceName")
        #expect(decoded[1].otlpTagValue("b") == .binary([0, 255]))
        #expect(decoded[1].otlpTagValue("empty") == .string(""))
        #expect(decoded[1].otlpTagValue("otel.status_description") == .string("fine"))
        #expect(
            decoded[2].references == [
                SpanReference(refType: .childOf, traceID: W.trace, spanID: SpanID(1)),
                SpanReference(refType: .followsFrom, traceID: TraceID(high: 0x0909_0909_0909_0909, low: 0x0909_0909_0909_0909), spanID: SpanID(0x2a)),
            ])
        #expect(decoded[2].otlpTagValue("kv") == .string(#"{"x":1,"y":[false]}"#))
        #expect(decoded[2].logs.first?.fields == [.string("event", "own")])
    }

    static let conversionCases: [(String, [UInt8])] = {
        var cases: [(String, [UInt8])] = []
        let trace: [UInt8] = W.bytes(1, W.traceID)
        cases.append(("bad trace id", W.bytes(1, [1, 2, 3])))
        cases.append(("bad span id", trace + W.bytes(2, [1])))
        cases.append(("bad parent id", trace + W.bytes(4, Array(repeating: 1, count: 16))))
        cases.append(("bad link id", trace + W.bytes(13, W.bytes(1, [7]))))
        let badKey: [UInt8] = W.string(1, "e") + W.bytes(2, [0x0A, 1, 0xFF])
        cases.append(("bad event value", trace + W.bytes(11, W.bytes(3, badKey))))
        return cases
    }()

    @Test(arguments: conversionCases)
    func conversionErrorsMatchTheConverter(reason: String, span: [UInt8]) {
        let body = W.bytes(1, W.bytes(2, W.bytes(2, W.bytes(2, W.bytes(1, W.traceID)) + W.bytes(2, span))))
        let result = expectSameDecoding(body, reason)
        #expect(throws: OTLPError.self, "\(reason)") { try result.get() }
    }

    static let malformedCases: [(String, [UInt8])] = {
        var cases: [(String, [UInt8])] = []
        cases.append(("field number 0", [0x02, 0x00]))
        cases.append(("wire type 7", [0x0F]))
        cases.append(("end group outside a group", [0x0C]))
        cases.append(("group never ended", [0x0B, 0x08, 0x01]))
        cases.append(("group ended by another field", [0x0B, 0x14]))
        cases.append(("truncated varint", [0x08, 0x80]))
        let elevenBytes: [UInt8] = [0x08] + Array(repeating: 0xFF, count: 10) + [0x01]
        cases.append(("eleven-byte varint", elevenBytes))
        cases.append(("six-byte tag", [0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01]))
        cases.append(("length past the end", [0x0A, 0x05, 0x01]))
        cases.append(("truncated fixed64", [0x09, 1, 2, 3]))
        cases.append(("truncated fixed32", [0x0D, 1]))
        cases.append(("invalid UTF-8 in a schema URL", W.bytes(1, W.bytes(3, [0xC3]))))
        let badScopeAttribute: [UInt8] = W.bytes(3, W.string(1, "k") + W.bytes(2, [0x0A, 1, 0xFE]))
        cases.append(("invalid UTF-8 in a scope attribute", W.bytes(1, W.bytes(2, W.bytes(1, badScopeAttribute)))))
        let badLink: [UInt8] = W.bytes(13, W.bytes(3, [0xFF]))
        cases.append(("invalid UTF-8 in a link trace state", W.bytes(1, W.bytes(2, W.bytes(2, badLink)))))
        cases.append(("malformed unknown field in a span", W.bytes(1, W.bytes(2, W.bytes(2, [0x98, 0x06, 0x80])))))
        return cases
    }()

    @Test(arguments: malformedCases)
    func malformedBytesAreRefused(reason: String, body: [UInt8]) {
        let result = expectSameDecoding(body, reason)
        guard case .failure(.malformedProtobuf) = result else {
            Issue.record("\(reason): expected malformedProtobuf, got \(result)")
            return
        }
    }

    /// Unknown groups and the parts decoded by the generated messages count against the same depth budget as in
    /// SwiftProtobuf; tags inside a skipped group may be long varints, as SwiftProtobuf reads them there.
    @Test func depthBudgetAndGroupTagsFollowSwiftProtobuf() throws {
        func nestedGroups(_ levels: Int) -> [UInt8] {
            Array(repeating: 0x13, count: levels) + Array(repeating: 0x14, count: levels)
        }
        // 56 levels of groups in the request (depth 1 + 56 > 56): refused by both.
        #expect(throws: OTLPError.self) { try expectSameDecoding(nestedGroups(56)).get() }
        #expect(try expectSameDecoding(nestedGroups(55)).get().isEmpty)
        // A larger value depth allows deeper groups in both.
        #expect(try expectSameDecoding(nestedGroups(65), limits: OTLPLimits(maxAnyValueDepth: 30)).get().isEmpty)
        // A link attribute nested 17 kvlists deep is past the budget at the link's depth, though links never
        // render their values.
        var value = W.text("leaf")
        for _ in 0..<17 { value = W.kvlist([("k", value)]) }
        let link = W.bytes(13, W.bytes(1, W.traceID) + W.bytes(4, W.keyValue("deep", value)))
        let body = W.bytes(1, W.bytes(2, W.bytes(2, W.bytes(1, W.traceID) + link)))
        #expect(throws: OTLPError.self) { try expectSameDecoding(body).get() }
        // A six-byte tag inside a group is accepted there (and only there).
        #expect(try expectSameDecoding([0x13, 0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x14]).get().isEmpty)
    }

    @Test func tenByteVarintsDropTheirHighBits() throws {
        // A 10th varint byte above 1 overflows 64 bits; SwiftProtobuf keeps the low bits, and so does the reader.
        let span = W.bytes(1, W.traceID) + [0x30] + Array(repeating: 0xFF, count: 9) + [0x7F]
        let decoded = try expectSameDecoding(W.bytes(1, W.bytes(2, W.bytes(2, span)))).get()
        #expect(decoded.count == 1)
    }

    // MARK: Limits

    @Test func limitsApplyAsInTheConverter() throws {
        let attribute = W.bytes(9, W.keyValue("k", W.text("value")))
        let event = W.bytes(11, W.fixed64(1, 1))
        let link = W.bytes(13, W.bytes(1, W.traceID))
        let span = W.bytes(1, W.traceID) + attribute + attribute + event + event + link + link
        let body = W.bytes(1, W.bytes(2, W.bytes(2, span) + W.bytes(2, span)))
        let cases: [(OTLPLimits, OTLPError)] = [
            (OTLPLimits(maxSpansPerRequest: 1), .tooManySpans(count: 2, limit: 1)),
            (OTLPLimits(maxAttributesPerSpan: 1), .tooManyItems(path: "resourceSpans[0].scopeSpans[0].spans[0].attributes", count: 2, limit: 1)),
            (OTLPLimits(maxEventsPerSpan: 1), .tooManyItems(path: "resourceSpans[0].scopeSpans[0].spans[0].events", count: 2, limit: 1)),
            (OTLPLimits(maxLinksPerSpan: 1), .tooManyItems(path: "resourceSpans[0].scopeSpans[0].spans[0].links", count: 2, limit: 1)),
            (OTLPLimits(maxAttributeValueBytes: 4), .valueTooLarge(path: "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value", bytes: 5, limit: 4)),
        ]
        for (limits, expected) in cases {
            let result = expectSameDecoding(body, limits: limits, "\(expected)")
            #expect(throws: expected) { try result.get() }
        }
        #expect(try expectSameDecoding(body, limits: OTLPLimits(maxSpansPerRequest: 2)).get().count == 2)
    }

    @Test func deepValuesAreRefusedLikeTheConverterDoes() {
        var value = W.text("leaf")
        for _ in 0..<20 { value = W.array([value]) }
        let body = W.bytes(1, W.bytes(2, W.bytes(2, W.bytes(1, W.traceID) + W.bytes(9, W.keyValue("deep", value)))))
        let result = expectSameDecoding(body, limits: OTLPLimits(maxAnyValueDepth: 16))
        #expect(throws: OTLPError.self) { try result.get() }
        #expect(throws: Never.self) { try expectSameDecoding(body, limits: OTLPLimits(maxAnyValueDepth: 20)).get() }
    }

    // MARK: Mutated and random bodies

    @Test func mutatedClientBodiesDecodeAsTheGeneratedMessagesDo() throws {
        var random = OTLPTestRandom(seed: 0x0715_ADE5)
        let limits = OTLPLimits(maxAttributeValueBytes: 64)
        for file in OTLPFixtures.protobufBodies {
            let original = try OTLPFixtures.bytes(file)
            for round in 0..<500 {
                var bytes = original
                switch round % 4 {
                case 0:
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                    }
                case 1:
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
                case 2:
                    let at = Int.random(in: 0...bytes.count, using: &random)
                    bytes.insert(contentsOf: random.bytes(count: Int.random(in: 1...6, using: &random)), at: at)
                default:
                    // Flip one bit of a small byte: lengths, tags and varints shift by a little.
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &random)
                }
                expectSameDecoding(bytes, limits: limits, "\(file) round \(round)")
            }
        }
    }

    @Test func randomRequestsDecodeAsTheGeneratedMessagesDo() throws {
        var random = OTLPTestRandom(seed: 0x5EED_0715)
        for round in 0..<400 {
            let request = RandomOTLP.request(using: &random)
            var bytes: [UInt8] = try request.serializedBytes()
            if round % 3 == 0 {
                // Concatenated requests merge: their resource spans follow one another.
                let other: [UInt8] = try RandomOTLP.request(using: &random).serializedBytes()
                bytes += other
            }
            expectSameDecoding(bytes, "round \(round)")
        }
    }

    /// Names made of random bytes, most of them not ASCII: valid UTF-8 decodes to the same text, anything else is
    /// refused, exactly as SwiftProtobuf's string check decides.
    @Test func stringBytesAreValidatedAsSwiftProtobufDoes() throws {
        var random = OTLPTestRandom(seed: 0x0007_F8F8)
        let lanes: [ClosedRange<UInt8>] = [0x20...0x7E, 0x80...0xBF, 0xC0...0xDF, 0xE0...0xEF, 0xF0...0xF7, 0xF8...0xFF]
        var accepted = 0
        for round in 0..<4_000 {
            let name = (0..<Int.random(in: 1...9, using: &random)).map { _ in
                UInt8.random(in: lanes.randomElement(using: &random)!, using: &random)
            }
            let span = W.bytes(1, W.traceID) + W.bytes(5, name)
            let result = expectSameDecoding(W.bytes(1, W.bytes(2, W.bytes(2, span))), "round \(round)")
            if case .success(let spans) = result {
                accepted += 1
                #expect(Array(spans[0].operationName.utf8) == name)
            }
        }
        #expect(accepted > 100)
    }

    @Test func randomBytesDecodeAsTheGeneratedMessagesDo() {
        var random = OTLPTestRandom(seed: 0xBADB_17E5)
        for round in 0..<2000 {
            let count = Int.random(in: 0...64, using: &random)
            expectSameDecoding(random.bytes(count: count), "round \(round)")
        }
    }
}

// MARK: - Helpers

/// Decodes `bytes` both ways and records an issue unless they agree; returns the reader's result.
///
/// Agreement: the same spans; or, when the reference fails on a conversion rule, the same error; or, when the
/// reference refuses the bytes as malformed, any error (the reader may meet a conversion error first).
@discardableResult
private func expectSameDecoding(
    _ bytes: [UInt8], limits: OTLPLimits = .default, _ comment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) -> Result<[Span], OTLPError> {
    let reference: Result<[Span], OTLPError>
    do {
        let request = try OTLPExportRequest(serializedBytes: bytes, options: OTLPDecoder.decodingOptions(limits))
        reference = Result { () throws(OTLPError) in try OTLPDecoder.spans(from: request, limits: limits) }
    } catch {
        reference = .failure(.malformedProtobuf("\(error)"))
    }
    let fromArray = Result { () throws(OTLPError) in try OTLPDecoder.decodeProtobuf(bytes, limits: limits) }
    let fromBuffer = Result { () throws(OTLPError) in
        try OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: bytes), limits: limits)
    }
    #expect(String(reflecting: fromArray) == String(reflecting: fromBuffer), "\(comment)", sourceLocation: sourceLocation)
    switch (reference, fromArray) {
    case (.success(let expected), .success(let actual)):
        // Compared as text so that NaN values compare equal.
        #expect(String(reflecting: actual) == String(reflecting: expected), "\(comment)", sourceLocation: sourceLocation)
    case (.failure(let expected), .failure(let actual)):
        if case .malformedProtobuf = expected { break }
        #expect(actual == expected, "\(comment)", sourceLocation: sourceLocation)
    default:
        Issue.record("\(comment): reference \(reference) but reader \(fromArray)", sourceLocation: sourceLocation)
    }
    return fromArray
}

/// A protobuf writer for hand-made wire cases.
private enum W {
    static let traceID: [UInt8] = [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 1, 2, 3, 4, 5, 6, 7, 8]
    static let trace = TraceID(high: 0x0a0b_0c0d_0e0f_1011, low: 0x0102_0304_0506_0708)
    static let spanID: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x2a]
    static let parentID: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x01]

    static func rawVarint(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
        return out
    }

    static func tag(_ number: Int, _ wire: UInt64) -> [UInt8] { rawVarint(UInt64(number) << 3 | wire) }
    static func varint(_ number: Int, _ value: UInt64) -> [UInt8] { tag(number, 0) + rawVarint(value) }
    static func fixed64(_ number: Int, _ value: UInt64) -> [UInt8] {
        tag(number, 1) + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    static func fixed32(_ number: Int, _ value: UInt32) -> [UInt8] {
        tag(number, 5) + (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    static func bytes(_ number: Int, _ body: [UInt8]) -> [UInt8] { tag(number, 2) + rawVarint(UInt64(body.count)) + body }
    static func string(_ number: Int, _ text: String) -> [UInt8] { bytes(number, Array(text.utf8)) }
    static func group(_ number: Int, _ body: [UInt8]) -> [UInt8] { tag(number, 3) + body + tag(number, 4) }

    // AnyValue bodies
    static func text(_ value: String) -> [UInt8] { string(1, value) }
    static func bool(_ value: Bool) -> [UInt8] { varint(2, value ? 1 : 0) }
    static func int(_ value: Int64) -> [UInt8] { varint(3, UInt64(bitPattern: value)) }
    static func double(_ value: Double) -> [UInt8] { fixed64(4, value.bitPattern) }
    static func bytesValue(_ value: [UInt8]) -> [UInt8] { bytes(7, value) }
    static func array(_ values: [[UInt8]]) -> [UInt8] { bytes(5, values.map { bytes(1, $0) }.reduce([], +)) }
    static func kvlist(_ entries: [(String, [UInt8])]) -> [UInt8] {
        bytes(6, entries.map { bytes(1, keyValue($0.0, $0.1)) }.reduce([], +))
    }

    /// A KeyValue body.
    static func keyValue(_ key: String, _ value: [UInt8]) -> [UInt8] { string(1, key) + bytes(2, value) }
}

/// Random requests built with the generated messages: every field the conversion reads, in random amounts.
private enum RandomOTLP {
    typealias B = OTLPBuild

    static func request(using random: inout OTLPTestRandom) -> OTLPExportRequest {
        var request = OTLPExportRequest()
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            if Bool.random(using: &random) { resourceSpans.resource.attributes = attributes(using: &random) }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                var scopeSpans = Opentelemetry_Proto_Trace_V1_ScopeSpans()
                if Bool.random(using: &random) { scopeSpans.scope.name = word(using: &random) }
                if Bool.random(using: &random) { scopeSpans.scope.version = word(using: &random) }
                scopeSpans.spans = (0..<Int.random(in: 0...4, using: &random)).map { _ in span(using: &random) }
                resourceSpans.scopeSpans.append(scopeSpans)
            }
            request.resourceSpans.append(resourceSpans)
        }
        return request
    }

    static func span(using random: inout OTLPTestRandom) -> Opentelemetry_Proto_Trace_V1_Span {
        var span = Opentelemetry_Proto_Trace_V1_Span()
        span.traceID = Data(random.bytes(count: [16, 16, 16, 8, 0, 5].randomElement(using: &random)!))
        span.spanID = Data(random.bytes(count: [8, 8, 8, 0, 3].randomElement(using: &random)!))
        if Bool.random(using: &random) { span.parentSpanID = Data(random.bytes(count: 8)) }
        span.name = word(using: &random)
        span.kind = Opentelemetry_Proto_Trace_V1_Span.SpanKind(rawValue: Int.random(in: 0...6, using: &random))!
        span.startTimeUnixNano = UInt64.random(in: 0...UInt64.max, using: &random)
        span.endTimeUnixNano = Bool.random(using: &random) ? span.startTimeUnixNano &+ 1000 : UInt64.random(in: 0...UInt64.max, using: &random)
        span.flags = UInt32.random(in: 0...0x3FF, using: &random)
        span.attributes = attributes(using: &random)
        if Bool.random(using: &random) { span.traceState = word(using: &random) }
        if Bool.random(using: &random) {
            span.status.code = Opentelemetry_Proto_Trace_V1_Status.StatusCode(rawValue: Int.random(in: 0...3, using: &random))!
            if Bool.random(using: &random) { span.status.message = word(using: &random) }
        }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            var event = Opentelemetry_Proto_Trace_V1_Span.Event()
            event.timeUnixNano = UInt64.random(in: 0...UInt64.max, using: &random)
            if Bool.random(using: &random) { event.name = Bool.random(using: &random) ? "event" : word(using: &random) }
            event.attributes = attributes(using: &random)
            span.events.append(event)
        }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            var link = Opentelemetry_Proto_Trace_V1_Span.Link()
            link.traceID = Bool.random(using: &random) ? span.traceID : Data(random.bytes(count: 16))
            link.spanID = Bool.random(using: &random) ? span.parentSpanID : Data(random.bytes(count: 8))
            if Bool.random(using: &random) {
                link.attributes = [B.kv("opentracing.ref_type", B.string(Bool.random(using: &random) ? "child_of" : "follows_from"))]
            }
            span.links.append(link)
        }
        return span
    }

    static func attributes(using random: inout OTLPTestRandom) -> [Opentelemetry_Proto_Common_V1_KeyValue] {
        (0..<Int.random(in: 0...5, using: &random)).map { _ in
            B.kv(Bool.random(using: &random) ? "service.name" : word(using: &random), value(depth: 0, using: &random))
        }
    }

    static func value(depth: Int, using random: inout OTLPTestRandom) -> Opentelemetry_Proto_Common_V1_AnyValue? {
        switch Int.random(in: 0...(depth < 2 ? 8 : 6), using: &random) {
        case 0: return nil
        case 1: return B.string(word(using: &random))
        case 2: return B.int(Int64.random(in: Int64.min...Int64.max, using: &random))
        case 3: return B.double(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random)))
        case 4: return B.bool(Bool.random(using: &random))
        case 5: return B.bytes(random.bytes(count: Int.random(in: 0...5, using: &random)))
        case 6: return B.value { _ in }
        case 7:
            return B.array((0..<Int.random(in: 0...3, using: &random)).compactMap { _ in value(depth: depth + 1, using: &random) })
        default:
            return B.kvlist((0..<Int.random(in: 0...3, using: &random)).map { _ in
                B.kv(word(using: &random), value(depth: depth + 1, using: &random))
            })
        }
    }

    static func word(using random: inout OTLPTestRandom) -> String {
        let words = ["", "a", "GET /api/orders/{id}", "caf\u{E9}", "\u{1F600} emoji", String(repeating: "x", count: 40)]
        return words.randomElement(using: &random)!
    }
}
