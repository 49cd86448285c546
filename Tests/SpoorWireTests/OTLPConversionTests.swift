import Foundation
import NIOCore
import SpoorModel
import SpoorWire
import Testing

/// The OTLP → Jaeger model rules of spec/ingest.md §4.2, on hand-built messages.
struct OTLPConversionTests {
    typealias B = OTLPBuild

    @Test func tagsFollowScopeAttributesKindStatusErrorDescriptionTraceStateOrder() throws {
        var request = B.request(
            scopeName: "lib", scopeVersion: "1.2",
            spans: [
                B.span {
                    $0.attributes = [B.kv("a", B.string("1")), B.kv("b", B.int(2))]
                    $0.kind = .server
                    $0.status.code = .error
                    $0.status.message = "broken"
                    $0.traceState = "vendor=x"
                }
            ])
        request.resourceSpans[0].scopeSpans[0].scope.attributes = [B.kv("scope.attr", B.string("dropped"))]
        let span = try #require(OTLPDecoder.spans(from: request).first)
        #expect(
            span.tags == [
                .string("otel.scope.name", "lib"), .string("otel.scope.version", "1.2"),
                .string("a", "1"), .int64("b", 2), .string("span.kind", "server"),
                .string("otel.status_code", "ERROR"), .bool("error", true),
                .string("otel.status_description", "broken"), .string("w3c.tracestate", "vendor=x"),
            ])
    }

    @Test(
        arguments: [
            (B.OSpan.SpanKind.unspecified, nil), (.internal, "internal"), (.server, "server"), (.client, "client"),
            (.producer, "producer"), (.consumer, "consumer"), (.UNRECOGNIZED(9), nil),
        ] as [(B.OSpan.SpanKind, String?)])
    func spanKindBecomesLowercaseTag(kind: B.OSpan.SpanKind, tag: String?) throws {
        let span = try B.convert(B.span { $0.kind = kind })
        #expect(span.otlpTagValue("span.kind") == tag.map { .string($0) })
    }

    @Test func okStatusAddsCodeButNoErrorTag() throws {
        let span = try B.convert(B.span { $0.status.code = .ok })
        #expect(span.tags == [.string("otel.status_code", "OK")])
    }

    @Test func statusMessageIsKeptWhateverTheCode() throws {
        let span = try B.convert(B.span { $0.status.message = "note" })
        #expect(span.tags == [.string("otel.status_description", "note")])
    }

    @Test func unsetStatusAddsNoTags() throws {
        #expect(try B.convert(B.span { $0.status = .init() }).tags == [])
    }

    @Test func eventNameLeadsLogFieldsUnlessAnAttributeIsCalledEvent() throws {
        let span = try B.convert(
            B.span {
                var named = B.OSpan.Event()
                named.timeUnixNano = 7
                named.name = "retry"
                named.attributes = [B.kv("n", B.int(1))]
                var shadowed = B.OSpan.Event()
                shadowed.timeUnixNano = 8
                shadowed.name = "ignored"
                shadowed.attributes = [B.kv("event", B.string("explicit"))]
                var nameless = B.OSpan.Event()
                nameless.timeUnixNano = 9
                $0.events = [named, shadowed, nameless]
            })
        #expect(
            span.logs == [
                SpanLog(timestampUnixNanos: 7, fields: [.string("event", "retry"), .int64("n", 1)]),
                SpanLog(timestampUnixNanos: 8, fields: [.string("event", "explicit")]),
                SpanLog(timestampUnixNanos: 9, fields: []),
            ])
    }

    @Test func linkEqualToParentRetypesTheParentReference() throws {
        var toParent = B.OSpan.Link()
        toParent.traceID = Data(B.traceBytes)
        toParent.spanID = Data(B.parentBytes)
        toParent.attributes = [B.kv("opentracing.ref_type", B.string("follows_from"))]
        var other = B.OSpan.Link()
        other.traceID = Data([UInt8](repeating: 0, count: 15) + [0x77])
        other.spanID = Data([0, 0, 0, 0, 0, 0, 0, 0x05])
        let span = try B.convert(
            B.span {
                $0.parentSpanID = Data(B.parentBytes)
                $0.links = [other, toParent]
            })
        #expect(
            span.references == [
                SpanReference(refType: .followsFrom, traceID: B.traceID, spanID: SpanID(1)),
                SpanReference(refType: .followsFrom, traceID: TraceID(high: 0, low: 0x77), spanID: SpanID(5)),
            ])
    }

    @Test func linkWithChildOfRefTypeBecomesChildOfReference() throws {
        var link = B.OSpan.Link()
        link.traceID = Data(B.traceBytes)
        link.spanID = Data([0, 0, 0, 0, 0, 0, 0, 0x03])
        link.attributes = [B.kv("other", B.int(1)), B.kv("opentracing.ref_type", B.string("child_of"))]
        var notString = link
        notString.attributes = [B.kv("opentracing.ref_type", B.int(0))]
        let span = try B.convert(B.span { $0.links = [link, notString] })
        #expect(span.references.map(\.refType) == [.childOf, .followsFrom])
        #expect(span.parentSpanID == SpanID(3))
    }

    @Test func zeroParentSpanIDAddsNoReference() throws {
        let span = try B.convert(B.span { $0.parentSpanID = Data(repeating: 0, count: 8) })
        #expect(span.references.isEmpty)
    }

    @Test func resourceWithoutAttributesGetsPlaceholderServiceName() throws {
        let spans = try OTLPDecoder.spans(from: B.request(resource: nil, spans: [B.span()]))
        #expect(spans.first?.process == Process(serviceName: "OTLPResourceNoServiceName"))
    }

    @Test(arguments: [
        [B.kv("host.name", B.string("h"))],
        [B.kv("service.name", B.string("")), B.kv("host.name", B.string("h"))],
        [B.kv("service.name", B.int(3)), B.kv("host.name", B.string("h"))],
    ])
    func missingOrEmptyServiceNameBecomesEmptyServiceName(resource: [B.KeyValue]) throws {
        let spans = try OTLPDecoder.spans(from: B.request(resource: resource, spans: [B.span()]))
        #expect(spans.first?.process == Process(serviceName: "empty-service-name", tags: [.string("host.name", "h")]))
    }

    @Test func otherResourceAttributesBecomeProcessTagsInOrder() throws {
        let resource = [
            B.kv("z", B.bool(true)), B.kv("service.name", B.string("svc")), B.kv("a", B.double(0.25)),
        ]
        let spans = try OTLPDecoder.spans(from: B.request(resource: resource, spans: [B.span(), B.span()]))
        #expect(
            spans.map(\.process)
                == Array(
                    repeating: Process(serviceName: "svc", tags: [.bool("z", true), .float64("a", 0.25)]), count: 2))
    }

    @Test func arraysAndKvlistsBecomeJSONStrings() throws {
        let nested = B.array([
            B.string("a\"<b>&\n"), B.int(-3), B.double(0.5), B.double(3), B.double(1e21), B.double(1e-7),
            B.bool(true), B.bytes([0xff, 0]), B.value { _ in }, B.array([]),
        ])
        let map = B.kvlist([
            B.kv("b", B.int(1)), B.kv("a", B.kvlist([B.kv("x", B.string("y"))])), B.kv("b", B.int(2)), B.kv("c", nil),
        ])
        let span = try B.convert(B.span { $0.attributes = [B.kv("arr", nested), B.kv("map", map)] })
        #expect(
            span.otlpTagValue("arr")
                == .string(#"["a\"\u003cb\u003e\u0026\n",-3,0.5,3,1e+21,1e-7,true,"/wA=",null,[]]"#))
        #expect(span.otlpTagValue("map") == .string(#"{"a":{"x":"y"},"b":2,"c":null}"#))
    }

    @Test func emptyValueBecomesEmptyString() throws {
        let span = try B.convert(B.span { $0.attributes = [B.kv("absent", nil), B.kv("unset", B.value { _ in })] })
        #expect(span.tags == [.string("absent", ""), .string("unset", "")])
    }

    @Test(arguments: [(UInt32(0x01), UInt32(1)), (0x00, 0), (0x301, 1), (0x300, 0), (0xFF, 1), (0x02, 0)])
    func sampledBitBecomesJaegerFlag(otlpFlags: UInt32, jaegerFlags: UInt32) throws {
        #expect(try B.convert(B.span { $0.flags = otlpFlags }).flags == jaegerFlags)
    }

    @Test func durationIsEndMinusStartOrZero() throws {
        let normal = try B.convert(
            B.span {
                $0.startTimeUnixNano = 10
                $0.endTimeUnixNano = 25
            })
        #expect(normal.startTimeUnixNanos == 10)
        #expect(normal.durationNanos == 15)
        let backwards = try B.convert(
            B.span {
                $0.startTimeUnixNano = 30
                $0.endTimeUnixNano = 25
            })
        #expect(backwards.durationNanos == 0)
        let huge = try B.convert(
            B.span {
                $0.startTimeUnixNano = 0
                $0.endTimeUnixNano = .max
            })
        #expect(huge.durationNanos == .max)
    }

    @Test func eightByteTraceIDFillsTheLowHalf() throws {
        let span = try B.convert(B.span { $0.traceID = Data([0, 0, 0, 0, 0, 0, 1, 0]) })
        #expect(span.traceID == TraceID(high: 0, low: 256))
    }

    @Test func emptyIDsMeanZero() throws {
        let span = try B.convert(
            B.span {
                $0.traceID = Data()
                $0.spanID = Data()
            })
        #expect(span.traceID == .zero)
        #expect(span.spanID == .zero)
    }

    @Test(arguments: [
        ("traceId", 5), ("traceId", 17), ("spanId", 4), ("spanId", 16), ("parentSpanId", 9),
        ("links[0].traceId", 3), ("links[0].spanId", 7),
    ])
    func badIDLengthIsRejected(field: String, length: Int) throws {
        let bytes = Data(repeating: 1, count: length)
        let span = B.span {
            var link = B.OSpan.Link()
            link.traceID = Data(B.traceBytes)
            link.spanID = Data(B.spanBytes)
            switch field {
            case "traceId": $0.traceID = bytes
            case "spanId": $0.spanID = bytes
            case "parentSpanId": $0.parentSpanID = bytes
            case "links[0].traceId": link.traceID = bytes
            default: link.spanID = bytes
            }
            $0.links = [link]
        }
        #expect {
            try B.convert(span)
        } throws: { error in
            guard case .invalidIDLength(let path, let got, _) = error as? OTLPError else { return false }
            return path == "resourceSpans[0].scopeSpans[0].spans[0].\(field)" && got == length
        }
    }

    @Test func errorDescriptionNamesTheOffendingElement() {
        let error = OTLPError.invalidIDLength(
            path: "resourceSpans[0].scopeSpans[0].spans[2].spanId", length: 3, expected: 8)
        #expect(
            error.description
                == "resourceSpans[0].scopeSpans[0].spans[2].spanId: id must be empty or 8 bytes long, got 3 bytes")
    }

    // MARK: Limits

    @Test func spanCountOverLimitIsRejected() {
        let request = B.request(spans: Array(repeating: B.span(), count: 4))
        #expect(throws: OTLPError.tooManySpans(count: 4, limit: 3)) {
            try OTLPDecoder.spans(from: request, limits: OTLPLimits(maxSpansPerRequest: 3))
        }
        #expect((try? OTLPDecoder.spans(from: request, limits: OTLPLimits(maxSpansPerRequest: 4)))?.count == 4)
    }

    @Test func attributeCountOverLimitIsRejected() {
        let limits = OTLPLimits(maxAttributesPerSpan: 2)
        let three = (0..<3).map { B.kv("k\($0)", B.int(Int64($0))) }
        #expect(
            throws: OTLPError.tooManyItems(
                path: "resourceSpans[0].scopeSpans[0].spans[0].attributes", count: 3, limit: 2)
        ) {
            try B.convert(B.span { $0.attributes = three }, limits: limits)
        }
        #expect(throws: OTLPError.self) {
            try OTLPDecoder.spans(from: B.request(resource: three, spans: [B.span()]), limits: limits)
        }
        #expect(throws: OTLPError.self) {
            try B.convert(
                B.span { $0.attributes = [B.kv("a", B.array(Array(repeating: B.int(1), count: 3)))] }, limits: limits)
        }
    }

    @Test func eventAndLinkCountsOverLimitAreRejected() {
        let limits = OTLPLimits(maxEventsPerSpan: 1, maxLinksPerSpan: 1)
        #expect(throws: OTLPError.self) {
            try B.convert(B.span { $0.events = [.init(), .init()] }, limits: limits)
        }
        #expect(throws: OTLPError.self) {
            try B.convert(B.span { $0.links = [.init(), .init()] }, limits: limits)
        }
        #expect(
            (try? B.convert(
                B.span {
                    $0.events = [.init()]
                    $0.links = [.init()]
                }, limits: limits)) != nil)
    }

    @Test func valueBytesOverLimitAreRejected() {
        // 16 bytes leaves room for the resource's "service.name" key (12 bytes).
        let limits = OTLPLimits(maxAttributeValueBytes: 16)
        let tooLong = String(repeating: "x", count: 17)
        #expect(
            throws: OTLPError.valueTooLarge(
                path: "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value", bytes: 17, limit: 16)
        ) {
            try B.convert(B.span { $0.attributes = [B.kv("k", B.string(tooLong))] }, limits: limits)
        }
        #expect(throws: OTLPError.self) {
            try B.convert(
                B.span { $0.attributes = [B.kv("k", B.bytes(Array(repeating: 1, count: 17)))] }, limits: limits)
        }
        #expect(throws: OTLPError.self) {
            try B.convert(B.span { $0.attributes = [B.kv(tooLong, B.int(1))] }, limits: limits)
        }
        #expect(throws: OTLPError.self) {
            try B.convert(B.span { $0.attributes = [B.kv("k", B.array([B.string("abcdefghijklmn")]))] }, limits: limits)
        }
        let fits = String(repeating: "y", count: 16)
        #expect((try? B.convert(B.span { $0.attributes = [B.kv("k", B.string(fits))] }, limits: limits)) != nil)
    }

    @Test func nestingDeeperThanLimitIsRejected() throws {
        func nested(_ levels: Int) -> B.AnyValue {
            var value = B.string("leaf")
            for level in 0..<levels {
                value = level.isMultiple(of: 2) ? B.array([value]) : B.kvlist([B.kv("k", value)])
            }
            return value
        }
        let limits = OTLPLimits(maxAnyValueDepth: 3)
        let ok = try B.convert(B.span { $0.attributes = [B.kv("v", nested(3))] }, limits: limits)
        #expect(ok.otlpTagValue("v") == .string(#"[{"k":["leaf"]}]"#))
        #expect {
            try B.convert(B.span { $0.attributes = [B.kv("v", nested(4))] }, limits: limits)
        } throws: { error in
            guard case .nestingTooDeep(_, let limit) = error as? OTLPError else { return false }
            return limit == 3
        }
    }

    @Test func deeplyNestedProtobufIsRejectedWithoutCrashing() throws {
        var value = B.string("leaf")
        for _ in 0..<200 { value = B.array([value]) }
        let request = B.request(spans: [B.span { $0.attributes = [B.kv("deep", value)] }])
        let bytes: [UInt8] = try request.serializedBytes()
        #expect(throws: OTLPError.self) { try OTLPDecoder.decodeProtobuf(ByteBuffer(bytes: bytes)) }
    }

    @Test func emptyProtobufBodyIsAnEmptyRequest() throws {
        #expect(try OTLPDecoder.decodeProtobuf(ByteBuffer()).isEmpty)
    }
}
