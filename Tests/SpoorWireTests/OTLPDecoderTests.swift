import Foundation
import NIOCore
import SpoorModel
import SpoorWire
import Testing

/// Real client bodies and Jaeger's storage-suite documents through `OTLPDecoder`.
struct OTLPDecoderTests {
    // MARK: opentelemetry-exporter-otlp-proto-http bodies

    @Test(arguments: OTLPFixtures.protobufBodies)
    func protobufClientBodyMatchesManifest(file: String) throws {
        let manifest = try OTLPFixtures.manifest().otlpHTTP
        let spans = try OTLPDecoder.decodeProtobuf(OTLPFixtures.buffer(file))
        try #require(spans.count == 1)
        let span = spans[0]

        let sent = try #require(
            manifest.sent.traces.lazy.compactMap { trace in
                trace.spans.first { $0.spanID == span.spanID.hex }.map { (trace, $0) }
            }.first, "span \(span.spanID.hex) is not in the manifest")
        let (trace, expected) = sent

        #expect(span.traceID.hex32 == trace.traceID)
        #expect(span.operationName == expected.operationName)
        if let parent = expected.parentSpanID {
            #expect(
                span.references == [
                    SpanReference(refType: .childOf, traceID: span.traceID, spanID: SpanID(hex: parent)!)
                ])
        } else {
            #expect(span.references.isEmpty)
        }
        #expect(span.otlpTagValue("span.kind") == .string(expected.kind))
        #expect(span.kind.name == expected.kind)
        for (key, value) in expected.attributes {
            #expect(span.otlpTagValue(key) == value.attributeValue, "attribute \(key)")
        }
        #expect(span.isError == expected.error)
        if expected.error {
            #expect(span.otlpTagValue("error") == .bool(true))
            #expect(span.otlpTagValue("otel.status_code") == .string("ERROR"))
        } else {
            #expect(span.otlpTagValue("error") == nil)
        }
        #expect(span.logs.count == expected.events.count)
        for (log, event) in zip(span.logs, expected.events) {
            #expect(log.fields.first == .string("event", event.name))
            for (key, value) in event.attributes {
                #expect(log.fields.contains(Attribute(key: key, value: value.attributeValue)), "event field \(key)")
            }
            #expect(log.timestampUnixNanos >= span.startTimeUnixNanos)
        }
        #expect(span.process.serviceName == manifest.sent.service)
        #expect(span.process.tags.contains(.string("host.name", "acc-host")))
        #expect(!span.process.tags.contains { $0.key == "service.name" })
        #expect(span.startTimeUnixNanos / 1000 == expected.startTime)
        #expect(span.durationNanos / 1000 == expected.duration)
        #expect(span.otlpTagValue("otel.scope.name") == .string("spoor.acceptance"))
        #expect(span.otlpTagValue("otel.scope.version") == .string("1.0"))
    }

    @Test func protobufClientBodiesCoverEverySentSpan() throws {
        let manifest = try OTLPFixtures.manifest().otlpHTTP
        var decoded: Set<String> = []
        for file in OTLPFixtures.protobufBodies {
            for span in try OTLPDecoder.decodeProtobuf(OTLPFixtures.buffer(file)) { decoded.insert(span.spanID.hex) }
        }
        let sent = Set(manifest.sent.traces.flatMap { $0.spans.map(\.spanID) })
        #expect(decoded == sent)
        #expect(manifest.files.map(\.file).sorted() == OTLPFixtures.protobufBodies)
    }

    @Test func errorStatusTagsFollowAttributesInSpecOrder() throws {
        // otlp-http-00 is "charge card": scope, attribute, kind, status code, error, description.
        let span = try #require(OTLPDecoder.decodeProtobuf(OTLPFixtures.buffer("otlp-http-00.otlp.pb")).first)
        #expect(
            span.tags == [
                .string("otel.scope.name", "spoor.acceptance"), .string("otel.scope.version", "1.0"),
                .string("payment.provider", "acme-pay"), .string("span.kind", "client"),
                .string("otel.status_code", "ERROR"), .bool("error", true),
                .string("otel.status_description", "card declined"),
            ])
        // Flags 0x100 (has-is-remote) carries no sampled bit.
        #expect(span.flags == 0)
    }

    // MARK: Jaeger storage-suite documents (OTLP JSON)

    @Test(arguments: OTLPFixtures.storageTraces)
    func storageTraceDecodesWithOneTraceID(name: String) throws {
        let spans = try OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace(name))
        let expectedCount: Int
        switch name {
        case "example_trace": expectedCount = 5
        case "multi_index_trace", "opname_maxdur_trace": expectedCount = 2
        default: expectedCount = 1
        }
        #expect(spans.count == expectedCount)
        #expect(Set(spans.map(\.traceID)).count == 1)
        for span in spans {
            #expect(span.traceID.high == 0)
            #expect(!span.operationName.isEmpty)
            #expect(
                span.process.serviceName.hasSuffix("-service") || span.process.serviceName.hasPrefix("example-service"))
            #expect(span.durationNanos > 0 && span.durationNanos % 1000 == 0)
            #expect(span.startTimeUnixNanos % 1000 == 0)
        }
    }

    @Test func storageTraceIDsMatchTheirFiles() throws {
        let expected: [String: (trace: UInt64, spans: [UInt64])] = [
            "default": (0x227, [3]), "span_tags_trace": (0x1, [2]), "log_tags_trace": (0x2, [1]),
            "process_tags_trace": (0x3, [1]), "multi_index_trace": (0x5, [1, 2]),
            "opname_maxdur_trace": (0x7, [3, 2]), "example_trace": (0x11, [4, 5, 3, 6, 7]),
            "tags_opname_trace": (0x12, [4]), "link_attributes_trace": (0x226, [4]),
            "tags_escaped_operator_trace_2": (0x5912, [5]), "tags_wildcard_regex_1": (0xa12, [4]),
        ]
        for (name, ids) in expected {
            let spans = try OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace(name))
            #expect(
                spans.map(\.traceID) == Array(repeating: TraceID(high: 0, low: ids.trace), count: ids.spans.count),
                "\(name)")
            #expect(spans.map(\.spanID.value) == ids.spans, "\(name)")
        }
    }

    @Test func exampleTraceSpreadsFiveSpansOverThreeServices() throws {
        let spans = try OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("example_trace"))
        #expect(spans.count == 5)
        #expect(
            Set(spans.map(\.process.serviceName)) == ["example-service-1", "example-service-2", "example-service-3"])
        let byID = Dictionary(uniqueKeysWithValues: spans.map { ($0.spanID.value, $0) })
        #expect(byID[6]?.kind == .server)
        #expect(byID[7]?.kind == .client)
        #expect(byID[3]?.kind == .unspecified)
        #expect(byID[3]?.otlpTagValue("span.kind") == nil)
        #expect(byID[4]?.operationName == "example-operation-2")
        #expect(byID[4]?.durationNanos == 100_000)
        #expect(byID[4]?.startTimeUnixNanos == 1_485_449_191_639_875_000)
        // Nameless events become logs without an `event` field; an empty status adds no tags.
        #expect(
            byID[4]?.logs
                == Array(repeating: SpanLog(timestampUnixNanos: 1_485_449_191_639_875_000, fields: []), count: 2))
        #expect(byID[4]?.tags == [])
        #expect(byID[4]?.process.tags == [])
    }

    @Test func spanTagsTraceKeepsAttributeTypes() throws {
        let span = try #require(OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("span_tags_trace")).first)
        #expect(
            span.tags == [
                .string("sameplacetag1", "sameplacevalue"), .int64("sameplacetag2", 123),
                .bool("sameplacetag4", true), .float64("sameplacetag3", 72.5),
                Attribute(key: "blob", value: .binary([0x00, 0x00, 0x30, 0x39])),
            ])
        #expect(span.process == Process(serviceName: "query01-service"))
        #expect(span.durationNanos == 7000)
    }

    @Test func logTagsTraceMovesEventAttributesIntoLogFields() throws {
        let span = try #require(OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("log_tags_trace")).first)
        #expect(span.logs.count == 2)
        #expect(
            span.logs.first?.fields == [
                .string("sameplacetag1", "sameplacevalue"), .int64("sameplacetag2", 123),
                .bool("sameplacetag4", true), .float64("sameplacetag3", 72.5),
                Attribute(key: "blob", value: .binary([0x00, 0x00, 0x30, 0x39])),
            ])
    }

    @Test func processTagsTraceMovesResourceAttributesIntoProcessTags() throws {
        let span = try #require(OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("process_tags_trace")).first)
        #expect(span.process.serviceName == "query03-service")
        #expect(
            span.process.tags == [
                .string("sameplacetag1", "sameplacevalue"), .int64("sameplacetag2", 123),
                .bool("sameplacetag4", true), .float64("sameplacetag3", 72.5),
                Attribute(key: "blob", value: .binary([0x00, 0x00, 0x30, 0x39])),
            ])
    }

    @Test func scopeNameAndVersionBecomeLeadingTags() throws {
        let span = try #require(OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("scope_name_version_trace")).first)
        #expect(
            span.tags.prefix(3) == [
                .string("otel.scope.name", "testing-library"), .string("otel.scope.version", "1.1.1"),
                .string("sameplacetag1", "sameplacevalue"),
            ])
    }

    @Test func linksBecomeReferencesTypedByRefTypeAttribute() throws {
        let span = try #require(OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("tags_opname_trace")).first)
        #expect(
            span.references == [
                SpanReference(refType: .childOf, traceID: TraceID(high: 0, low: 0xff), spanID: SpanID(0xff)),
                SpanReference(refType: .childOf, traceID: TraceID(high: 0, low: 1), spanID: SpanID(2)),
                SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 1), spanID: SpanID(2)),
            ])
        let linked = try #require(OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("link_attributes_trace")).first)
        #expect(linked.references.count == 3)
        #expect(
            linked.references.first
                == SpanReference(refType: .childOf, traceID: TraceID(high: 0, low: 0xff), spanID: SpanID(0xff)))
        // Link attributes other than opentracing.ref_type are dropped.
        #expect(linked.tags == [.string("sameplacespanattribute1", "sameplacevalue")])
    }

    @Test func parentSpanIDBecomesFirstChildOfReference() throws {
        let spans = try OTLPDecoder.decodeJSON(OTLPFixtures.storageTrace("opname_maxdur_trace"))
        let child = try #require(spans.first { $0.spanID == SpanID(3) })
        #expect(
            child.references == [SpanReference(refType: .childOf, traceID: TraceID(high: 0, low: 7), spanID: SpanID(2))]
        )
        #expect(child.parentSpanID == SpanID(2))
        #expect(spans.first { $0.spanID == SpanID(2) }?.references == [])
    }

    // MARK: Encodings agree

    @Test func snakeCaseKeysAndEnumNamesDecodeTheSame() throws {
        let camel = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}},
              {"key":"n","value":{"intValue":"-7"}}]},
             "scopeSpans":[{"scope":{"name":"lib","version":"2"},"spans":[{
              "traceId":"0A0B0C0D0E0F10110102030405060708","spanId":"000000000000002A","parentSpanId":"0000000000000001",
              "traceState":"k=v","name":"op","kind":3,"flags":769,
              "startTimeUnixNano":"1000000000","endTimeUnixNano":1000005000,
              "attributes":[{"key":"d","value":{"doubleValue":"NaN"}},{"key":"b","value":{"bytesValue":"AAEC"}},
                {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":1}]}}},
                {"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}}],
              "droppedAttributesCount":1,
              "events":[{"timeUnixNano":"1000001000","name":"boom","attributes":[{"key":"x","value":{"doubleValue":1.5}}]}],
              "droppedEventsCount":0,
              "links":[{"traceId":"0a0b0c0d0e0f10110102030405060708","spanId":"0000000000000009","traceState":"",
                "attributes":[{"key":"opentracing.ref_type","value":{"stringValue":"child_of"}}],"flags":1}],
              "droppedLinksCount":0,
              "status":{"code":2,"message":"bad"}}],"schemaUrl":"s"}],"schemaUrl":"r"}]}
            """
        let snake = """
            {"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"svc"}},
              {"key":"n","value":{"int_value":-7}}]},
             "scope_spans":[{"scope":{"name":"lib","version":"2"},"spans":[{
              "trace_id":"0a0b0c0d0e0f10110102030405060708","span_id":"000000000000002a","parent_span_id":"0000000000000001",
              "trace_state":"k=v","name":"op","kind":"SPAN_KIND_CLIENT","flags":"769",
              "start_time_unix_nano":1000000000,"end_time_unix_nano":"1000005000",
              "attributes":[{"key":"d","value":{"double_value":"NaN"}},{"key":"b","value":{"bytes_value":"AAEC"}},
                {"key":"a","value":{"array_value":{"values":[{"string_value":"x"},{"int_value":"1"}]}}},
                {"key":"m","value":{"kvlist_value":{"values":[{"key":"k","value":{"bool_value":false}}]}}}],
              "dropped_attributes_count":1,
              "events":[{"time_unix_nano":1000001000,"name":"boom","attributes":[{"key":"x","value":{"double_value":1.5}}]}],
              "dropped_events_count":0,
              "links":[{"trace_id":"0A0B0C0D0E0F10110102030405060708","span_id":"0000000000000009","trace_state":"",
                "attributes":[{"key":"opentracing.ref_type","value":{"string_value":"child_of"}}],"flags":1}],
              "dropped_links_count":0,
              "status":{"code":"STATUS_CODE_ERROR","message":"bad"}}],"schema_url":"s"}],"schema_url":"r"}]}
            """
        let fromCamel = try OTLPDecoder.decodeJSON(otlpBuffer(camel))
        let fromSnake = try OTLPDecoder.decodeJSON(otlpBuffer(snake))
        // NaN != NaN, so compare everything but that tag's value, then the value separately.
        func withoutNaN(_ spans: [Span]) -> [Span] {
            spans.map { span in
                var copy = span
                copy.tags.removeAll { $0.key == "d" }
                return copy
            }
        }
        #expect(withoutNaN(fromCamel) == withoutNaN(fromSnake))
        let span = try #require(fromCamel.first)
        guard case .float64(let nan)? = span.otlpTagValue("d") else {
            Issue.record("d is not a double")
            return
        }
        #expect(nan.isNaN)
        #expect(span.traceID == OTLPBuild.traceID)
        #expect(span.spanID == SpanID(0x2a))
        #expect(span.flags == 1)
        #expect(span.durationNanos == 5000)
        #expect(span.process.tags == [.int64("n", -7)])
        #expect(
            span.references == [
                SpanReference(refType: .childOf, traceID: OTLPBuild.traceID, spanID: SpanID(1)),
                SpanReference(refType: .childOf, traceID: OTLPBuild.traceID, spanID: SpanID(9)),
            ])
        #expect(
            span.logs == [
                SpanLog(timestampUnixNanos: 1_000_001_000, fields: [.string("event", "boom"), .float64("x", 1.5)])
            ])
        #expect(span.otlpTagValue("a") == .string(#"["x",1]"#))
        #expect(span.otlpTagValue("m") == .string(#"{"k":false}"#))
        #expect(span.otlpTagValue("b") == .binary([0, 1, 2]))
        #expect(
            Array(span.tags.suffix(5).map(\.key)) == [
                "span.kind", "otel.status_code", "error", "otel.status_description", "w3c.tracestate",
            ])
    }

    @Test func exampleTraceRewrittenInSnakeCaseDecodesTheSame() throws {
        let original = try OTLPFixtures.storageTrace("example_trace")
        let tree = try JSONSerialization.jsonObject(with: Data(original.readableBytesView))
        let snake = try JSONSerialization.data(withJSONObject: Self.snakeCased(tree))
        let fromSnake = try OTLPDecoder.decodeJSON(ByteBuffer(bytes: Array(snake)))
        #expect(try fromSnake == OTLPDecoder.decodeJSON(original))
        #expect(String(decoding: snake, as: UTF8.self).contains("start_time_unix_nano"))
        #expect(String(decoding: snake, as: UTF8.self).contains("SPAN_KIND_SERVER"))
    }

    @Test func jsonAndProtobufOfTheSameRequestDecodeTheSame() throws {
        let request = OTLPBuild.request(
            scopeName: "lib",
            spans: [
                OTLPBuild.span {
                    $0.kind = .producer
                    $0.attributes = [OTLPBuild.kv("k", OTLPBuild.int(5)), OTLPBuild.kv("e", nil)]
                }
            ])
        let bytes: [UInt8] = try request.serializedBytes()
        let fromProtobuf = try OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: bytes))
        let json = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
             "scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"0a0b0c0d0e0f10110102030405060708",
             "spanId":"000000000000002a","name":"op","kind":4,"startTimeUnixNano":"1000000000",
             "endTimeUnixNano":"1000005000","attributes":[{"key":"k","value":{"intValue":"5"}},{"key":"e","value":{}}]}]}]}]}
            """
        #expect(try OTLPDecoder.decodeJSON(otlpBuffer(json)) == fromProtobuf)
        #expect(
            fromProtobuf.first?.tags == [
                .string("otel.scope.name", "lib"), .int64("k", 5), .string("e", ""), .string("span.kind", "producer"),
            ])
    }

    /// Rewrites every object key to snake_case and numeric `kind`/`code` enums to their names.
    static func snakeCased(_ value: Any) -> Any {
        if let array = value as? [Any] { return array.map(snakeCased) }
        guard let object = value as? [String: Any] else { return value }
        var out: [String: Any] = [:]
        for (key, member) in object {
            var snake = ""
            for character in key {
                if character.isUppercase {
                    snake += "_" + character.lowercased()
                } else {
                    snake.append(character)
                }
            }
            let kindNames = [2: "SPAN_KIND_SERVER", 3: "SPAN_KIND_CLIENT"]
            if key == "kind", let number = member as? Int, let name = kindNames[number] {
                out[snake] = name
            } else {
                out[snake] = snakeCased(member)
            }
        }
        return out
    }
}
