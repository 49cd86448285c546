import Foundation
import NIOCore
import SpoorModel
import SpoorWire
import Testing

/// Truncated, mutated and random input never traps the OTLP decoders.
struct OTLPRobustnessTests {
    @Test(arguments: OTLPFixtures.protobufBodies)
    func everyProtobufPrefixThrowsOrYieldsValidSpans(file: String) throws {
        let bytes = try OTLPFixtures.bytes(file)
        let full = try OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: bytes))
        for length in 0..<bytes.count {
            do {
                let spans = try OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: bytes[0..<length]))
                // A cut can land between fields: what decodes must still be well-formed spans.
                #expect(spans.count <= full.count)
                for span in spans {
                    #expect(!span.process.serviceName.isEmpty)
                    #expect(span.references.count <= 1)
                }
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test(arguments: OTLPFixtures.storageTraces)
    func everyJSONPrefixThrows(name: String) throws {
        let bytes = Array(try OTLPFixtures.storageTrace(name).readableBytesView)
        // Trailing whitespace is not part of the document; every shorter prefix is incomplete JSON.
        var end = bytes.count
        while end > 0, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[end - 1]) { end -= 1 }
        #expect(throws: Never.self) { try OTLPDecoder.decodeJSON(ByteBuffer(bytes: bytes[0..<end])) }
        // Long files: every prefix near the ends, a stride through the middle.
        let lengths =
            end <= 1500
            ? Array(0..<end)
            : Array(0..<600) + Array(stride(from: 600, to: end - 600, by: 7)) + Array((end - 600)..<end)
        for length in lengths {
            #expect(throws: OTLPError.self, "prefix of \(length) bytes") {
                try OTLPDecoder.decodeJSON(ByteBuffer(bytes: bytes[0..<length]))
            }
        }
    }

    @Test func randomBytesNeverTrapTheProtobufDecoder() {
        var random = OTLPTestRandom(seed: 0x07_1A_5EED)
        for _ in 0..<3000 {
            let count = Int.random(in: 0...300, using: &random)
            _ = try? OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: random.bytes(count: count)))
        }
    }

    @Test func mutatedProtobufBodiesNeverTrap() throws {
        var random = OTLPTestRandom(seed: 0xB0D1E5)
        for file in OTLPFixtures.protobufBodies {
            let original = try OTLPFixtures.bytes(file)
            for _ in 0..<400 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[index] = UInt8.random(in: 0...255, using: &random)
                }
                _ = try? OTLPDecoder.decodeProtobuf(
                    ByteBuffer(bytes: bytes), limits: OTLPLimits(maxAttributeValueBytes: 64))
            }
        }
    }

    @Test func randomBytesAndMutatedJSONNeverTrapTheJSONDecoder() throws {
        var random = OTLPTestRandom(seed: 0x15_0B_0D1E)
        for _ in 0..<1000 {
            _ = try? OTLPDecoder.decodeJSON(
                ByteBuffer(bytes: random.bytes(count: Int.random(in: 0...200, using: &random))))
        }
        let original = Array(try OTLPFixtures.storageTrace("link_attributes_trace").readableBytesView)
        let alphabet = Array(#"{}[]":,0123456789-.eE truefalsnul\"#.utf8)
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = alphabet.randomElement(using: &random) ?? 0
            }
            _ = try? OTLPDecoder.decodeJSON(ByteBuffer(bytes: bytes))
        }
    }

    @Test(arguments: [
        ("top level is not an object", "[]"),
        ("resourceSpans is not an array", #"{"resourceSpans":{}}"#),
        ("span is a string", #"{"resourceSpans":[{"scopeSpans":[{"spans":["x"]}]}]}"#),
        ("traceId is a number", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":12}]}]}]}"#),
        ("traceId is not hex", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#),
        ("traceId has odd length", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc"}]}]}]}"#),
        (
            "traceId is 10 bytes",
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00112233445566778899"}]}]}]}"#
        ),
        ("kind is an unknown name", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NOPE"}]}]}]}"#),
        ("kind is a bool", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":true}]}]}]}"#),
        ("kind is out of range", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":99999999999}]}]}]}"#),
        ("start time is negative", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"-1"}]}]}]}"#),
        ("start time is fractional", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1.5}]}]}]}"#),
        (
            "start time overflows",
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"18446744073709551616"}]}]}]}"#
        ),
        ("start time is a bool", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":true}]}]}]}"#),
        ("flags exceed 32 bits", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"flags":4294967296}]}]}]}"#),
        ("name is a number", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":1}]}]}]}"#),
        (
            "intValue is a bool",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"intValue":true}}]}}]}"#
        ),
        (
            "intValue is not a number",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"intValue":"1x"}}]}}]}"#
        ),
        (
            "intValue overflows",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"intValue":"9223372036854775808"}}]}}]}"#
        ),
        (
            "boolValue is a number",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"boolValue":1}}]}}]}"#
        ),
        (
            "boolValue is a string",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"boolValue":"true"}}]}}]}"#
        ),
        (
            "doubleValue is a bool",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"doubleValue":false}}]}}]}"#
        ),
        (
            "doubleValue is a word",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"doubleValue":"inf"}}]}}]}"#
        ),
        (
            "bytesValue is not base64",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"bytesValue":"!!"}}]}}]}"#
        ),
        (
            "two values are set",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"intValue":1,"stringValue":"x"}}]}}]}"#
        ),
        (
            "arrayValue is an array",
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"arrayValue":[]}}]}}]}"#
        ),
        ("attribute key is missing a string", #"{"resourceSpans":[{"resource":{"attributes":[{"key":5}]}}]}"#),
        (
            "status code is a string number",
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":"2"}}]}]}]}"#
        ),
    ])
    func wrongJSONTypesAreRejected(reason: String, json: String) {
        #expect(throws: OTLPError.self, "\(reason)") { try OTLPDecoder.decodeJSON(otlpBuffer(json)) }
    }

    @Test func jsonErrorsNameThePath() {
        let json = #"{"resourceSpans":[{},{"scopeSpans":[{"spans":[{},{"events":[{"timeUnixNano":"x"}]}]}]}]}"#
        #expect(
            throws: OTLPError.invalidValue(
                path: "resourceSpans[1].scopeSpans[0].spans[1].events[0].timeUnixNano",
                reason: "\"x\" is not an unsigned 64-bit integer")
        ) {
            try OTLPDecoder.decodeJSON(otlpBuffer(json))
        }
    }

    @Test(arguments: [
        #"{}"#, #"{"resourceSpans":[]}"#, #"{"resourceSpans":null}"#, #"{"unknown":{"deep":[1,2,3]}}"#,
        #"{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}"#,
    ])
    func emptyJSONRequestsYieldNoSpans(json: String) throws {
        #expect(try OTLPDecoder.decodeJSON(otlpBuffer(json)).isEmpty)
    }

    @Test func unknownJSONKeysAndNullsAreIgnored() throws {
        let json = """
            {"resourceSpans":[{"resource":null,"future":1,"scopeSpans":[{"scope":null,"spans":[{"traceId":"",
            "spanId":"00000000000000FF","name":"x","kind":null,"status":null,"entityRefs":[{"a":1}],"extra":{"b":[true]}}]}]}]}
            """
        let span = try #require(OTLPDecoder.decodeJSON(otlpBuffer(json)).first)
        #expect(span.traceID == .zero)
        #expect(span.spanID == SpanID(0xff))
        #expect(span.process.serviceName == "OTLPResourceNoServiceName")
    }

    @Test func jsonNumbersAcceptedForSixtyFourBitFields() throws {
        let json = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":18446744073709551615,
            "endTimeUnixNano":"18446744073709551615","attributes":[{"key":"i","value":{"intValue":-9223372036854775808}},
            {"key":"e","value":{"intValue":"1e3"}},{"key":"d","value":{"doubleValue":"-Infinity"}},
            {"key":"n","value":{"doubleValue":7}},{"key":"u","value":{"bytesValue":"_-8"}}]}]}]}]}
            """
        let span = try #require(OTLPDecoder.decodeJSON(otlpBuffer(json)).first)
        #expect(span.startTimeUnixNanos == .max)
        #expect(span.durationNanos == 0)
        #expect(
            span.tags == [
                .int64("i", .min), .int64("e", 1000), .float64("d", -.infinity), .float64("n", 7),
                Attribute(key: "u", value: .binary([0xff, 0xef])),
            ])
    }

    @Test func jsonLimitsAreEnforced() {
        let twoSpans = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]}]}]}"#
        #expect(throws: OTLPError.tooManySpans(count: 2, limit: 1)) {
            try OTLPDecoder.decodeJSON(otlpBuffer(twoSpans), limits: OTLPLimits(maxSpansPerRequest: 1))
        }
        let splitSpans = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]},{"scopeSpans":[{"spans":[{}]}]}]}"#
        #expect(throws: OTLPError.tooManySpans(count: 2, limit: 1)) {
            try OTLPDecoder.decodeJSON(otlpBuffer(splitSpans), limits: OTLPLimits(maxSpansPerRequest: 1))
        }
        var deep = #"{"stringValue":"x"}"#
        for _ in 0..<40 { deep = #"{"arrayValue":{"values":[\#(deep)]}}"# }
        let nested = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":\#(deep)}]}}]}"#
        #expect(throws: OTLPError.self) { try OTLPDecoder.decodeJSON(otlpBuffer(nested)) }
        let big = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"bytesValue":"AAAAAAAA"}}]}}]}"#
        #expect(throws: OTLPError.self) {
            try OTLPDecoder.decodeJSON(otlpBuffer(big), limits: OTLPLimits(maxAttributeValueBytes: 5))
        }
    }

    @Test func veryDeepJSONIsRejectedWithoutCrashing() {
        let depth = 100_000
        let json = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: OTLPError.self) { try OTLPDecoder.decodeJSON(otlpBuffer(json)) }
    }
}
