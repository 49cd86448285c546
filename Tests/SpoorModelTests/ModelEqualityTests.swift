import Testing

@testable import SpoorModel

/// `AttributeValue`, `Attribute`, `Process` and `Span` are equal when they would be stored as the same bytes: text by
/// its UTF-8 bytes and floats by their bit pattern. Swift's synthesized `==` used `String ==` (canonically equivalent
/// spellings, "caf\u{E9}" and "cafe\u{301}", are equal) and `Double ==` (NaN is not equal to itself, 0.0 equals -0.0).
///
/// Every value below is built separately from its twin, so no comparison can take the shared-storage shortcut of
/// `Array ==`.
struct ModelEqualityTests {
    /// "é" as one code point (NFC): bytes 63 61 66 C3 A9.
    static let composed = "caf\u{E9}"
    /// "e" + combining acute accent (NFD): bytes 63 61 66 65 CC 81.
    static let decomposed = "cafe\u{301}"

    /// A span whose every text field and tags can be chosen; the rest is fixed.
    static func span(
        operation: String = "op", tags: [Attribute] = [], logs: [SpanLog] = [], service: String = "svc",
        processTags: [Attribute] = [], warnings: [String] = []
    ) -> Span {
        Span(
            traceID: TraceID(high: 0, low: 7), spanID: SpanID(3), operationName: operation,
            references: [SpanReference(refType: .childOf, traceID: TraceID(high: 0, low: 7), spanID: SpanID(1))],
            flags: 1, startTimeUnixNanos: 1_000, durationNanos: 50, tags: tags, logs: logs,
            process: Process(serviceName: service, tags: processTags), warnings: warnings)
    }

    /// String tag values compare by bytes: the two spellings, equal as `String`s, differ as a value, as an attribute
    /// and as set members, while the same bytes built twice are equal.
    @Test func stringValuesCompareByBytes() {
        // The precondition of every test here: `String ==` says equal although the bytes differ.
        #expect(Self.composed == Self.decomposed)
        #expect(Array(Self.composed.utf8) != Array(Self.decomposed.utf8))
        #expect(AttributeValue.string(Self.composed) != AttributeValue.string(Self.decomposed))
        #expect(AttributeValue.string(Self.decomposed) == AttributeValue.string("cafe" + "\u{301}"))
        #expect(Attribute.string("k", Self.composed) != Attribute.string("k", Self.decomposed))
        #expect(Set([AttributeValue.string(Self.composed), .string(Self.decomposed)]).count == 2)
        #expect(Set([Attribute.string("k", Self.composed), .string("k", Self.decomposed)]).count == 2)
    }

    /// Attribute keys compare by bytes, whatever the value's type.
    @Test func attributeKeysCompareByBytes() {
        #expect(Attribute.string(Self.composed, "v") != Attribute.string(Self.decomposed, "v"))
        #expect(Attribute.int64(Self.composed, 1) != Attribute.int64(Self.decomposed, 1))
        #expect(Attribute.int64(Self.composed, 1) == Attribute.int64("caf" + "\u{E9}", 1))
        #expect(Set([Attribute.bool(Self.composed, true), .bool(Self.decomposed, true)]).count == 2)
    }

    /// A process's service name, tag keys and string tag values compare by bytes.
    @Test func processesCompareServiceNameAndTagsByBytes() {
        #expect(Process(serviceName: Self.composed) != Process(serviceName: Self.decomposed))
        #expect(
            Process(serviceName: "svc", tags: [.string(Self.composed, "x")])
                != Process(serviceName: "svc", tags: [.string(Self.decomposed, "x")]))
        #expect(
            Process(serviceName: "svc", tags: [.string("host", Self.composed)])
                != Process(serviceName: "svc", tags: [.string("host", Self.decomposed)]))
        #expect(
            Process(serviceName: Self.decomposed, tags: [.string("host", Self.composed)])
                == Process(serviceName: "cafe" + "\u{301}", tags: [.string("host", "caf" + "\u{E9}")]))
        #expect(Set([Process(serviceName: Self.composed), Process(serviceName: Self.decomposed)]).count == 2)
    }

    /// Spans differing only in the spelling of the operation name, the service name, a tag, a log field or a
    /// warning are different spans.
    @Test func spansCompareEveryTextFieldByBytes() {
        let log = { (value: String) in [SpanLog(timestampUnixNanos: 1_010, fields: [.string("event", value)])] }
        let pairs: [(Span, Span)] = [
            (Self.span(operation: Self.composed), Self.span(operation: Self.decomposed)),
            (Self.span(service: Self.composed), Self.span(service: Self.decomposed)),
            (Self.span(tags: [.string(Self.composed, "v")]), Self.span(tags: [.string(Self.decomposed, "v")])),
            (Self.span(tags: [.string("k", Self.composed)]), Self.span(tags: [.string("k", Self.decomposed)])),
            (Self.span(logs: log(Self.composed)), Self.span(logs: log(Self.decomposed))),
            (Self.span(warnings: [Self.composed]), Self.span(warnings: [Self.decomposed])),
            (Self.span(warnings: ["w", Self.composed]), Self.span(warnings: ["w", Self.decomposed])),
        ]
        for (index, (a, b)) in pairs.enumerated() {
            #expect(a != b, "pair \(index)")
            #expect(Set([a, b]).count == 2, "pair \(index)")
        }
        // The same bytes built twice, and a different number of warnings.
        #expect(
            Self.span(operation: Self.decomposed, warnings: [Self.composed])
                == Self.span(operation: "cafe\u{301}", warnings: ["caf\u{E9}"]))
        #expect(Self.span(warnings: ["w"]) != Self.span(warnings: ["w", "w"]))
    }

    /// A NaN float tag equals a NaN of the same bit pattern, so a value holding one equals its separately built copy
    /// (the synthesized `==` found NaN unequal to itself); a NaN of another bit pattern still differs.
    @Test func nanFloatTagsEqualTheirCopies() {
        #expect(AttributeValue.float64(.nan) == AttributeValue.float64(.nan))
        #expect(AttributeValue.float64(.nan) != AttributeValue.float64(-.nan))
        #expect(Attribute.float64("ratio", .nan) == Attribute.float64("ratio", .nan))
        #expect(
            Process(serviceName: "svc", tags: [.float64("load", .nan)])
                == Process(serviceName: "svc", tags: [.float64("load", .nan)]))
        #expect(Self.span(tags: [.float64("ratio", .nan)]) == Self.span(tags: [.float64("ratio", .nan)]))
        #expect(
            Self.span(logs: [SpanLog(timestampUnixNanos: 1, fields: [.float64("x", .nan)])])
                == Self.span(logs: [SpanLog(timestampUnixNanos: 1, fields: [.float64("x", .nan)])]))
        #expect(Self.span(processTags: [.float64("load", .nan)]) == Self.span(processTags: [.float64("load", .nan)]))
    }

    /// 0.0 and -0.0 have different bit patterns and are different values (the synthesized `==` found them equal).
    @Test func zeroAndNegativeZeroDiffer() {
        #expect(AttributeValue.float64(0.0) != AttributeValue.float64(-0.0))
        #expect(Attribute.float64("x", 0.0) != Attribute.float64("x", -0.0))
        #expect(
            Process(serviceName: "svc", tags: [.float64("x", 0.0)]) != Process(serviceName: "svc", tags: [.float64("x", -0.0)]))
        #expect(Self.span(tags: [.float64("x", 0.0)]) != Self.span(tags: [.float64("x", -0.0)]))
        #expect(Set([AttributeValue.float64(0.0), .float64(-0.0)]).count == 2)
        #expect(Set([Self.span(tags: [.float64("x", 0.0)]), Self.span(tags: [.float64("x", -0.0)])]).count == 2)
        #expect(AttributeValue.float64(-0.0) == AttributeValue.float64(-0.0))
    }

    /// Equal values hash equally, NaN included: separately built copies have the same `hashValue` and a set of them
    /// holds one element.
    @Test func equalValuesHashEquallyIncludingNaN() {
        let value = { AttributeValue.float64(.nan) }
        #expect(value().hashValue == value().hashValue)
        #expect(Set([value(), value(), value()]).count == 1)

        let attribute = { Attribute(key: "caf" + "\u{E9}", value: .float64(.nan)) }
        #expect(attribute().hashValue == attribute().hashValue)
        #expect(Set([attribute(), attribute()]).count == 1)

        let process = { Process(serviceName: "cafe" + "\u{301}", tags: [.float64("load", .nan), .string("k", Self.composed)]) }
        #expect(process().hashValue == process().hashValue)
        #expect(Set([process(), process()]).count == 1)

        let span = {
            Self.span(
                operation: "cafe" + "\u{301}", tags: [.float64("ratio", .nan), .int64("n", 3)],
                logs: [SpanLog(timestampUnixNanos: 1_020, fields: [.float64("x", .nan)])],
                service: "caf" + "\u{E9}", processTags: [.float64("load", .nan)], warnings: [Self.decomposed])
        }
        #expect(span().hashValue == span().hashValue)
        #expect(Set([span(), span(), span()]).count == 1)

        // Other cases of the same payload stay apart.
        #expect(Set<AttributeValue>([.string("1"), .int64(1), .bool(true), .float64(1), .binary([1])]).count == 5)
    }
}
