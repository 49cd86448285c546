import Testing

@testable import SpoorModel

struct TraceIDTests {
    @Test(arguments: [
        ("1", TraceID(high: 0, low: 1)),
        ("0000000000000011", TraceID(high: 0, low: 0x11)),
        ("00000000000000010000000000000002", TraceID(high: 1, low: 2)),
        ("ABCDEF", TraceID(high: 0, low: 0xABCDEF)),
        ("ffffffffffffffffffffffffffffffff", TraceID(high: .max, low: .max)),
    ])
    func hexParsesOneToThirtyTwoDigits(text: String, expected: TraceID) {
        #expect(TraceID(hex: text) == expected)
    }

    @Test(arguments: ["", "xyz", String(repeating: "1", count: 33), "12 4"])
    func hexRejectsBadInput(text: String) {
        #expect(TraceID(hex: text) == nil)
    }

    @Test func uiFormUsesSixteenDigitsWhenHighHalfIsZero() {
        #expect(TraceID(high: 0, low: 1).uiString == "0000000000000001")
        #expect(TraceID(high: 1, low: 2).uiString == "00000000000000010000000000000002")
        #expect(TraceID(high: 0, low: 1).hex32 == "00000000000000000000000000000001")
    }

    @Test func bytesRoundTripAndAcceptEightByteIds() {
        let id = TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
        #expect(TraceID(bytes: id.bytes) == id)
        #expect(TraceID(bytes: [0, 0, 0, 0, 0, 0, 0, 7]) == TraceID(high: 0, low: 7))
        #expect(TraceID(bytes: [1, 2, 3]) == nil)
        #expect(TraceID(bytes: [UInt8]()) == .zero)
    }
}

struct SpanIDTests {
    @Test func hexIsZeroPaddedAndParses() {
        #expect(SpanID(0x2A).hex == "000000000000002a")
        #expect(SpanID(hex: "2a") == SpanID(0x2A))
        #expect(SpanID(hex: String(repeating: "f", count: 17)) == nil)
        #expect(SpanID(bytes: SpanID(99).bytes) == SpanID(99))
    }
}

struct SpanTests {
    private func span(refs: [SpanReference], tags: [Attribute] = []) -> Span {
        Span(
            traceID: TraceID(high: 0, low: 1), spanID: SpanID(5), operationName: "op", references: refs,
            startTimeUnixNanos: 10, durationNanos: 5, tags: tags, process: Process(serviceName: "s"))
    }

    @Test func parentIsFirstSameTraceChildOfElseFollowsFrom() {
        let own = TraceID(high: 0, low: 1)
        let other = TraceID(high: 0, low: 9)
        #expect(
            span(refs: [
                SpanReference(refType: .childOf, traceID: other, spanID: SpanID(1)),
                SpanReference(refType: .followsFrom, traceID: own, spanID: SpanID(2)),
                SpanReference(refType: .childOf, traceID: own, spanID: SpanID(3)),
            ]).parentSpanID == SpanID(3))
        #expect(span(refs: [SpanReference(refType: .followsFrom, traceID: own, spanID: SpanID(2))]).parentSpanID == SpanID(2))
        #expect(span(refs: []).parentSpanID == nil)
    }

    @Test func kindAndErrorComeFromTags() {
        let s = span(refs: [], tags: [.string("span.kind", "server"), .bool("error", true)])
        #expect(s.kind == .server)
        #expect(s.isError)
        #expect(span(refs: [], tags: [.string("error", "false")]).isError == false)
        #expect(span(refs: []).kind == .unspecified)
    }

    @Test func endTimeSaturates() {
        var s = span(refs: [])
        s.startTimeUnixNanos = .max - 1
        #expect(s.endTimeUnixNanos == .max)
    }

    @Test(arguments: [
        (AttributeValue.string("x"), "x"), (.bool(true), "true"), (.int64(-5), "-5"), (.float64(72.5), "72.5"),
        (.float64(3), "3"), (.binary([0, 0x30]), "0030"),
    ])
    func searchStringMatchesJaegersStringForm(value: AttributeValue, expected: String) {
        #expect(value.searchString == expected)
    }
}
