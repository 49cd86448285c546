import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorQuery

/// A search's per-span check matches names and tags byte for byte, as the index keys that found the candidate do:
/// "caf\u{E9}" and "cafe\u{301}" are equal as Swift strings, but different services, operations and tag values.
struct SpanPredicateTests {
    static let composed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    private func query(service: String? = nil, operation: String? = nil, tags: [TagFilter] = []) -> TraceQuery {
        TraceQuery(
            serviceName: service, operationName: operation, tags: tags, startTimeMinUnixNanos: 0, startTimeMaxUnixNanos: .max)
    }

    @Test func namesAndTagValuesMatchByBytes() {
        let span = SpanBuilder.span(
            trace: 1, span: 1, service: Self.composed, operation: Self.composed, startMicros: 10,
            tags: [.string(Self.composed, Self.composed)])
        #expect(SpanPredicate.matches(span, query(service: Self.composed, operation: Self.composed)))
        #expect(!SpanPredicate.matches(span, query(service: Self.decomposed)))
        #expect(!SpanPredicate.matches(span, query(operation: Self.decomposed)))
        #expect(SpanPredicate.matches(span, query(tags: [TagFilter(key: Self.composed, value: Self.composed)])))
        #expect(!SpanPredicate.matches(span, query(tags: [TagFilter(key: Self.decomposed, value: Self.composed)])))
        #expect(!SpanPredicate.matches(span, query(tags: [TagFilter(key: Self.composed, value: Self.decomposed)])))
    }
}
