import Foundation
import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorQuery

/// Foundation also has a `Process`.
private typealias Process = SpoorModel.Process

/// Where the query side groups or deduplicates model values (`Set<Span>`, `[Process: …]`, OTLP scopes, tag filters),
/// two spellings that render alike ("caf\u{E9}" and "cafe\u{301}") stay two, and floats compare by bit pattern.
/// Before, `Span` and `Process` used the synthesized `==` (`String ==`, `Double ==`) and the other keys were `String`.
///
/// Comparisons of text are on bytes (`Spellings.bytes`, `containsBytes`): `==` on strings would itself treat
/// the two spellings as equal.
struct SpellingGroupingTests {
    static let traceID = TraceID(high: 0, low: 0x5EE)

    /// A span of trace `traceID` at a fixed time; `id` also names the operation unless one is given.
    static func span(
        _ id: UInt64, operation: String? = nil, service: String = "svc", tags: [Attribute] = [],
        processTags: [Attribute] = []
    ) -> Span {
        Span(
            traceID: traceID, spanID: SpanID(id), operationName: operation ?? "op-\(id)",
            startTimeUnixNanos: 1_500_000_000_000_000_000 + id, durationNanos: 1_000, tags: tags,
            process: Process(serviceName: service, tags: processTags))
    }

    /// Attributes as `key=value` bytes (string values as they are, others by their search form).
    static func tagBytes(_ tags: [Attribute]) -> [[UInt8]] {
        tags.map { Array($0.key.utf8) + Array("=".utf8) + Array($0.value.searchString.utf8) }
    }

    static func tagBytes(_ pairs: [(String, String)]) -> [[UInt8]] {
        pairs.map { Array($0.0.utf8) + Array("=".utf8) + Array($0.1.utf8) }
    }

    // MARK: - Duplicate spans

    /// Two spans identical but for the spelling of the operation name (or of the service name) are two spans: both
    /// are kept, in order, each with its own bytes (the synthesized `Span ==` dropped the second as a copy).
    @Test func duplicateFilterKeepsSpansDifferingOnlyInSpelling() {
        let byOperation = DuplicateSpanFilter.adjust([
            Self.span(1, operation: Spellings.composed), Self.span(1, operation: Spellings.decomposed),
        ])
        #expect(Spellings.bytes(byOperation.map(\.operationName)) == Spellings.bytes([Spellings.composed, Spellings.decomposed]))

        let byService = DuplicateSpanFilter.adjust([
            Self.span(1, service: Spellings.decomposed), Self.span(1, service: Spellings.composed), Self.span(1, service: Spellings.decomposed),
        ])
        #expect(
            Spellings.bytes(byService.map(\.process.serviceName))
                == Spellings.bytes([Spellings.decomposed, Spellings.composed]))
    }

    /// Exact copies collapse to the first even when they carry a NaN float tag (the synthesized `==` found NaN
    /// unequal to itself, so every copy stayed); a copy with -0.0 instead of 0.0 is another span.
    @Test func duplicateFilterCollapsesCopiesWithANaNTag() {
        func copy() -> Span {
            Self.span(2, operation: Spellings.decomposed, tags: [.float64("ratio", .nan), .string("k", Spellings.composed)])
        }
        let other = Self.span(3)
        let out = DuplicateSpanFilter.adjust([copy(), copy(), other, copy()])
        #expect(out.map(\.spanID) == [SpanID(2), SpanID(3)])
        #expect(out.first?.tags.first?.value.searchString == "NaN")

        let zeros = DuplicateSpanFilter.adjust([
            Self.span(4, tags: [.float64("x", 0.0)]), Self.span(4, tags: [.float64("x", -0.0)]),
        ])
        #expect(zeros.count == 2)
        let signs: [FloatingPointSign?] = zeros.map { span in
            guard case .float64(let x)? = span.tags.first?.value else { return nil }
            return x.sign
        }
        #expect(signs == [.plus, .minus])
    }

    // MARK: - Library tags moved to processes

    /// Processes differing only in the spelling of the service name are two processes: each gets only the library
    /// tags of its own spans, no conflict is reported, and each keeps its service name's bytes. (Merged, the second
    /// span's `telemetry.sdk.language` conflicted with the first's and stayed on the span with a warning.)
    @Test func libraryTagMoverKeepsServiceSpellingsApart() {
        let spans = [
            Self.span(
                1, service: Spellings.composed, tags: [.string("telemetry.sdk.language", "swift"), .string("a", "1")],
                processTags: [.string("zone", "z")]),
            Self.span(
                2, service: Spellings.decomposed, tags: [.string("telemetry.sdk.language", "go")],
                processTags: [.string("zone", "z")]),
            Self.span(
                3, service: Spellings.composed, tags: [.string("telemetry.sdk.name", "opentelemetry")],
                processTags: [.string("zone", "z")]),
        ]
        let out = LibraryTagMover.adjust(spans)
        #expect(out.count == 3)
        #expect(
            Spellings.bytes(out.map(\.process.serviceName)) == Spellings.bytes([Spellings.composed, Spellings.decomposed, Spellings.composed]))
        #expect(out.map(\.warnings) == [[], [], []])
        #expect(Self.tagBytes(out[0].tags) == Self.tagBytes([("a", "1")]))
        #expect(out[1].tags.isEmpty && out[2].tags.isEmpty)
        let composedTags = Self.tagBytes([
            ("telemetry.sdk.language", "swift"), ("telemetry.sdk.name", "opentelemetry"), ("zone", "z"),
        ])
        #expect(Self.tagBytes(out[0].process.tags) == composedTags)
        #expect(Self.tagBytes(out[2].process.tags) == composedTags)
        #expect(Self.tagBytes(out[1].process.tags) == Self.tagBytes([("telemetry.sdk.language", "go"), ("zone", "z")]))
    }

    /// Processes differing only in the spelling of a tag value are two processes: each keeps its own tag bytes and
    /// gets only its own spans' library tags (merged, the second span's process was rewritten with the first's
    /// `host` bytes and both library tags).
    @Test func libraryTagMoverKeepsProcessTagSpellingsApart() {
        let spans = [
            Self.span(1, tags: [.string("telemetry.sdk.name", "opentelemetry")], processTags: [.string("host", Spellings.composed)]),
            Self.span(2, tags: [.string("telemetry.sdk.version", "1.2")], processTags: [.string("host", Spellings.decomposed)]),
        ]
        let out = LibraryTagMover.adjust(spans)
        #expect(out.allSatisfy { $0.tags.isEmpty && $0.warnings.isEmpty })
        #expect(out.allSatisfy { Array($0.process.serviceName.utf8) == Array("svc".utf8) })
        #expect(
            Self.tagBytes(out[0].process.tags)
                == Self.tagBytes([("host", Spellings.composed), ("telemetry.sdk.name", "opentelemetry")]))
        #expect(
            Self.tagBytes(out[1].process.tags) == Self.tagBytes([("host", Spellings.decomposed), ("telemetry.sdk.version", "1.2")]))
    }

    /// A span's library tag whose value differs from the process's only in spelling is a conflict: it stays on the
    /// span with the warning and the process keeps its own bytes (`String ==` took them as equal and silently
    /// dropped the span's tag). The same bytes are still just removed from the span.
    @Test func libraryTagMoverReportsASpellingOnlyConflict() {
        let processTags: [Attribute] = [
            .string("telemetry.sdk.name", Spellings.composed), .string("telemetry.sdk.version", Spellings.composed),
        ]
        let span = Self.span(
            1, tags: [.string("telemetry.sdk.name", Spellings.decomposed), .string("telemetry.sdk.version", Spellings.composed)],
            processTags: processTags)
        let out = LibraryTagMover.adjust([span])
        #expect(out.count == 1)
        #expect(Self.tagBytes(out[0].tags) == Self.tagBytes([("telemetry.sdk.name", Spellings.decomposed)]))
        #expect(
            Spellings.bytes(out[0].warnings) == Spellings.bytes([LibraryTagMover.conflictWarning(key: "telemetry.sdk.name")]))
        #expect(
            Self.tagBytes(out[0].process.tags)
                == Self.tagBytes([("telemetry.sdk.name", Spellings.composed), ("telemetry.sdk.version", Spellings.composed)]))
    }

    // MARK: - api_v3 OTLP resources and scopes (HTTP)

    /// Trace 0x5EE: spans 1 and 2 of two spellings of a service; spans 3 and 4 of one service "scoped" with two
    /// spellings of the scope name (`otel.scope.name`).
    static func otlpSpellingTrace() -> [Span] {
        [
            Self.span(1, service: Spellings.composed),
            Self.span(2, service: Spellings.decomposed),
            Self.span(3, service: "scoped", tags: [.string("otel.scope.name", Spellings.composed)]),
            Self.span(4, service: "scoped", tags: [.string("otel.scope.name", Spellings.decomposed)]),
        ]
    }

    /// The start of a resource whose only attribute is `service.name` = `service`, whose first scope is `scope`
    /// (nil: unnamed), and whose first span is `span`.
    static func resourceStart(service: String, scope: String?, span: UInt64) -> String {
        let scopeObject = scope.map { #"{"name":""# + $0 + #""}"# } ?? "{}"
        return #"{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":""# + service + #""}}]},"#
            + #""scopeSpans":[{"scope":"# + scopeObject + #","spans":[{"traceId":""# + traceID.hex32 + #"","spanId":""#
            + SpanID(span).hex + #"""#
    }

    /// The start of a scope named `scope` whose first span is `span`.
    static func scopeStart(_ scope: String, span: UInt64) -> String {
        #"{"scope":{"name":""# + scope + #""},"spans":[{"traceId":""# + traceID.hex32 + #"","spanId":""# + SpanID(span).hex
            + #"""#
    }

    /// `GET /api/v3/traces/{id}` gives one resource per spelling of a service name, each with its own
    /// `service.name` bytes and its own span, and one scope per spelling of a scope name, each with its own span
    /// (before, each pair was merged into the first one's resource or scope).
    @Test func v3TraceGivesAResourcePerServiceSpellingAndAScopePerScopeSpelling() throws {
        try V3Test.withEndpoints([Self.otlpSpellingTrace()]) { endpoints in
            let body = try endpoints.trace(tenant: "", traceID: Self.traceID.hex32, items: [])
            let text = NameSpellingTests.text(body)
            let result = try #require(try V3Test.object(body)["result"] as? [String: Any])
            let resources = try #require(result["resourceSpans"] as? [[String: Any]])
            #expect(resources.count == 3, "\(text)")
            let scopeCounts = resources.map { ($0["scopeSpans"] as? [[String: Any]])?.count ?? -1 }
            #expect(scopeCounts.sorted() == [1, 1, 2], "\(text)")
            let spanCounts = resources.map { resource in
                ((resource["scopeSpans"] as? [[String: Any]]) ?? []).map { ($0["spans"] as? [Any])?.count ?? -1 }
            }
            #expect(spanCounts.map { $0.reduce(0, +) }.sorted() == [1, 1, 2], "\(text)")
            #expect(spanCounts.flatMap { $0 } == [1, 1, 1, 1], "\(text)")

            for (service, span) in [(Spellings.composed, UInt64(1)), (Spellings.decomposed, 2)] {
                let listed = NameSpellingTests.containsBytes(body, Self.resourceStart(service: service, scope: nil, span: span))
                #expect(listed, "service \(Array(service.utf8)): \(text)")
            }
            for (scope, span) in [(Spellings.composed, UInt64(3)), (Spellings.decomposed, 4)] {
                let listed = NameSpellingTests.containsBytes(body, Self.scopeStart(scope, span: span))
                #expect(listed, "scope \(Array(scope.utf8)): \(text)")
            }

            // Read back, every span has its own service name and scope bytes.
            let decoded = try V3Test.decodeResult(body).sorted { $0.spanID < $1.spanID }
            #expect(decoded.map(\.spanID) == [1, 2, 3, 4].map { SpanID($0) })
            #expect(
                Spellings.bytes(decoded.map(\.process.serviceName))
                    == Spellings.bytes([Spellings.composed, Spellings.decomposed, "scoped", "scoped"]))
            let scopes = decoded.map { span in
                span.tags.first { $0.key == "otel.scope.name" }.map { Array($0.value.searchString.utf8) } ?? []
            }
            #expect(scopes == [[], [], Array(Spellings.composed.utf8), Array(Spellings.decomposed.utf8)])
        }
    }

    /// The same grouping straight from the JSON writer: two service spellings are two resources, two scope
    /// spellings two scopes, while a repeated process (NaN tag included) is still one resource.
    @Test func v3JSONGroupsByBytesAndKeepsANaNTaggedProcessTogether() throws {
        let body = V3JSON.traces([Self.otlpSpellingTrace()])
        let text = NameSpellingTests.text(body)
        let result = try #require(try V3Test.object(body)["result"] as? [String: Any])
        #expect((result["resourceSpans"] as? [Any])?.count == 3, "\(text)")
        let first = Self.resourceStart(service: Spellings.composed, scope: nil, span: 1)
        let second = Self.resourceStart(service: Spellings.decomposed, scope: nil, span: 2)
        #expect(NameSpellingTests.containsBytes(body, first), "\(text)")
        #expect(NameSpellingTests.containsBytes(body, second), "\(text)")
        #expect(NameSpellingTests.containsBytes(body, Self.scopeStart(Spellings.composed, span: 3)), "\(text)")
        #expect(NameSpellingTests.containsBytes(body, Self.scopeStart(Spellings.decomposed, span: 4)), "\(text)")

        let nanProcess = { [Attribute.float64("load", .nan)] }
        let together = V3JSON.traces([[
            Self.span(1, processTags: nanProcess()), Self.span(2, processTags: nanProcess()),
        ]])
        let resources = try #require(try V3Test.object(together)["result"] as? [String: Any])["resourceSpans"] as? [Any]
        #expect(resources?.count == 1, "\(NameSpellingTests.text(together))")
    }

    // MARK: - V1 search tags

    /// `tag=caf\u{E9}:1&tag=cafe\u{301}:2` are two tag filters, in the keys' byte order, each with its own value
    /// (the `[String: String]` merge kept one key with the last value); a repeat of the same bytes still replaces.
    @Test func v1SearchKeepsTagKeySpellingsApart() throws {
        let items: [(name: String, value: String)] = [
            ("service", "s"), ("tag", Spellings.composed + ":1"), ("tag", Spellings.decomposed + ":2"), ("tag", Spellings.between + ":3"),
            ("tag", Spellings.between + ":4"),
        ]
        guard case .search(let query, _) = try V1SearchRequest.parseV1Search(items, now: V1SearchRequestTests.now) else {
            Issue.record("expected a search")
            return
        }
        #expect(Spellings.bytes(query.tags.map(\.key)) == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed]))
        #expect(query.tags.map(\.value) == ["2", "4", "1"])

        // A `tags` JSON key of the other spelling is another tag too.
        let mixed: [(name: String, value: String)] = [
            ("service", "s"), ("tag", Spellings.composed + ":1"), ("tags", #"{""# + Spellings.decomposed + #"":"2"}"#),
        ]
        guard case .search(let mixedQuery, _) = try V1SearchRequest.parseV1Search(mixed, now: V1SearchRequestTests.now) else {
            Issue.record("expected a search")
            return
        }
        #expect(Spellings.bytes(mixedQuery.tags.map(\.key)) == Spellings.bytes([Spellings.decomposed, Spellings.composed]))
        #expect(mixedQuery.tags.map(\.value) == ["2", "1"])
    }

    /// Both spellings as keys of one `tags` JSON object (one written as UTF-8, one as JSON escapes) are two filters;
    /// a key repeated with the same bytes keeps its last value, as Go's decoder does.
    @Test func v1SearchKeepsSpellingsApartWithinOneTagsObject() throws {
        let object = #"{""# + Spellings.composed + #"":"1","cafe\u0301":"2",""# + Spellings.between + #"":"3",""#
            + Spellings.between + #"":"4"}"#
        let items: [(name: String, value: String)] = [("service", "s"), ("tags", object)]
        guard case .search(let query, _) = try V1SearchRequest.parseV1Search(items, now: V1SearchRequestTests.now) else {
            Issue.record("expected a search")
            return
        }
        #expect(Spellings.bytes(query.tags.map(\.key)) == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed]))
        #expect(query.tags.map(\.value) == ["2", "4", "1"])
    }

    /// api_v3's `query.attributes` object keeps both spellings too.
    @Test func v3AttributesKeepSpellingsApartWithinOneObject() throws {
        let object = #"{"caf\u00e9":"1","cafe\u0301":"2"}"#
        let tags = try V3SearchParams.parse(V3SearchParamsTests.window(["query.attributes": object])).tags
        #expect(Spellings.bytes(tags.map(\.key)) == Spellings.bytes([Spellings.decomposed, Spellings.composed]))
        #expect(tags.map(\.value) == ["2", "1"])
    }
}

/// `JSONStringPairs`: the members of a JSON object of strings, as written.
struct JSONStringPairsTests {
    static func pairs(_ text: String) -> [[String]]? {
        JSONStringPairs.parse(text)?.map { [$0.key, $0.value] }
    }

    @Test func membersKeepTheirOrderRepeatsAndExactBytes() throws {
        let parsed = try #require(JSONStringPairs.parse(#" { "caf\u00e9" : "1" , "cafe\u0301":"2", "k":"a", "k":"b" } "#))
        #expect(parsed.map { Array($0.key.utf8) } == [
            Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8), Array("k".utf8), Array("k".utf8),
        ])
        #expect(parsed.map(\.value) == ["1", "2", "a", "b"])
    }

    @Test func escapesDecode() {
        #expect(Self.pairs(#"{"a\"b\\c\/":"\b\f\n\r\t\u0041\ud83d\ude00"}"#) == [["a\"b\\c/", "\u{8}\u{C}\n\r\tA\u{1F600}"]])
        // An unpaired surrogate becomes U+FFFD, and the text after it is kept.
        #expect(Self.pairs(#"{"x":"\ud83dz","y":"\ude00"}"#) == [["x", "\u{FFFD}z"], ["y", "\u{FFFD}"]])
        #expect(Self.pairs("{\"h\u{E9}\":\"w\"}") == [["h\u{E9}", "w"]])
    }

    @Test func nullAndEmptyObjectsHaveNoMembers() {
        #expect(Self.pairs("null") == [])
        #expect(Self.pairs(" {} ") == [])
    }

    @Test(arguments: [
        "", "{", "}", "[]", #"{"a":1}"#, #"{"a":"b",}"#, #"{"a" "b"}"#, #"{"a":"b"} x"#, #"{"a":"\x"}"#,
        #"{"a":"\u12"}"#, "{\"a\":\"b\u{1}\"}", #"{"a":"b"#, "nul", #"{a:"b"}"#,
    ])
    func otherTextIsNotAnObjectOfStrings(text: String) {
        #expect(JSONStringPairs.parse(text) == nil)
    }
}
