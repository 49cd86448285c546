import Foundation
import GRPCCore
import SpoorModel
import SpoorTestSupport
import SpoorWire
import Testing

@testable import SpoorServer

/// The server tells names apart by their UTF-8 bytes, as the store and Jaeger do. Swift's `String ==` treats
/// canonically equivalent spellings ("caf\u{E9}" and "cafe\u{301}") as equal, so a `Set<String>` or
/// `[String: …]` on these paths dropped one spelling's operation, strategy or tenant.
///
/// Every comparison below is on bytes: `#expect(a == b)` on strings would itself treat the two spellings as equal.
struct NameSpellingRouteTests {
    /// Service "spelling": operations in both spellings and "caff" as server spans, and the composed one also as a
    /// client span (the store lists it twice, once per kind).
    static func spellingSpans() -> [Span] {
        let base = QueryGRPCServiceTests.baseMicros
        let operations: [(String, String)] = [
            (Spellings.composed, "server"), (Spellings.decomposed, "server"), (Spellings.between, "server"),
            (Spellings.composed, "client"),
        ]
        return operations.enumerated().map { index, entry in
            SpanBuilder.span(
                trace: 100 + UInt64(index), span: 1, service: "spelling", operation: entry.0,
                startMicros: base + UInt64(index), tags: [.string("span.kind", entry.1)])
        }
    }

    // MARK: - Operation lists (place 1)

    /// `GET /api/services/{service}/operations` lists each name once by bytes: both spellings, in the store's byte
    /// order, the name with two kinds once (the old `Set<String>` dropped the second spelling).
    @Test func v1OperationsRouteListsBothSpellings() async throws {
        try await UIRoutesTests.withQueryPort(basePath: "/", staticFiles: nil, spans: Self.spellingSpans()) { send in
            let reply = try await send("/api/services/spelling/operations", [:])
            #expect(reply.status == .ok)
            let expected = #"{"data":[""# + Spellings.decomposed + #"",""# + Spellings.between + #"",""# + Spellings.composed
                + #""],"total":3,"limit":0,"offset":0,"errors":null}"#
            #expect(reply.body == Array(expected.utf8), "\(reply.text)")

            let kinds = try await send("/api/operations?service=spelling", [:])
            #expect(kinds.status == .ok)
            #expect(kinds.text.hasSuffix(#""total":4,"limit":0,"offset":0,"errors":null}"#), "\(kinds.text)")
        }
    }

    /// gRPC api_v2 `GetOperations`: `operationNames` keeps both spellings (each name once, in byte order) while
    /// `operations` keeps every (name, kind).
    @Test func v2GetOperationsNamesKeepBothSpellings() async throws {
        try await QueryGRPCServiceTests.withClients(extraSpans: Self.spellingSpans()) { v2, _ in
            var request = Jaeger_ApiV2_GetOperationsRequest()
            request.service = "spelling"
            let response = try await v2.getOperations(request)
            #expect(Spellings.bytes(response.operationNames) == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed]))
            #expect(Spellings.bytes(response.operations.map(\.name))
                == Spellings.bytes([Spellings.decomposed, Spellings.between, Spellings.composed, Spellings.composed]))
            #expect(response.operations.map(\.spanKind) == ["server", "server", "server", "client"])
        }
    }

    // MARK: - Sampling strategies (place 8)

    /// Per-service strategies are keyed by the service's bytes (two spellings get their own strategies, the old
    /// `[String: …]` let the second overwrite the first), and a service's own operation strategies hide only the
    /// default's operations of the same bytes.
    @Test func samplingStrategiesTellServiceAndOperationSpellingsApart() throws {
        let json = """
            {
              "default_strategy": {"type": "probabilistic", "param": 0.5,
                "operation_strategies": [{"operation": "\(Spellings.composed)", "type": "probabilistic", "param": 0.1}]},
              "service_strategies": [
                {"service": "\(Spellings.composed)", "type": "probabilistic", "param": 0.2},
                {"service": "\(Spellings.decomposed)", "type": "ratelimiting", "param": 3},
                {"service": "api", "type": "probabilistic", "param": 0.8,
                 "operation_strategies": [{"operation": "\(Spellings.decomposed)", "type": "probabilistic", "param": 0.3}]}
              ]
            }
            """
        let parsed = try SamplingStrategiesParser().parse(Array(json.utf8))
        #expect(parsed.warnings.isEmpty)
        let strategies = parsed.strategies
        #expect(strategies.serviceStrategies.count == 3)
        let composed = strategies.strategy(for: Spellings.composed)
        #expect(composed.strategyType == .probabilistic && composed.probabilisticSamplingRate == 0.2)
        #expect(strategies.strategy(for: Spellings.decomposed) == .rateLimiting(3))
        #expect(strategies.strategy(for: Spellings.between) == strategies.defaultStrategy)

        let api = try #require(strategies.strategy(for: "api").operationSampling)
        #expect(Spellings.bytes(api.perOperationStrategies.map(\.operation)) == Spellings.bytes([Spellings.decomposed, Spellings.composed]))
        #expect(api.perOperationStrategies.map(\.samplingRate) == [0.3, 0.1])
    }

    // MARK: - Tenancy (place 9)

    /// An allowlist naming both spellings admits both, each resolving to its own bytes; a name listed in neither
    /// spelling is still refused (the old `Set<String>` kept one spelling, so the other was refused).
    @Test func tenantAllowlistWithBothSpellingsAdmitsBoth() throws {
        var configuration = TenancyConfiguration()
        configuration.enabled = true
        configuration.tenants = Set([Spellings.composed, Spellings.decomposed].map { ExactString($0) })
        let resolver = TenantResolver(configuration)
        #expect(configuration.tenants.count == 2)
        #expect(Array(try resolver.tenant(values: [Spellings.composed]).utf8) == Array(Spellings.composed.utf8))
        #expect(Array(try resolver.tenant(values: [Spellings.decomposed]).utf8) == Array(Spellings.decomposed.utf8))
        #expect(throws: TenantError.self) { try resolver.tenant(values: [Spellings.between]) }
    }

    // MARK: - api_v3 OTLP resources and scopes over gRPC

    /// Trace 300: spans 1 and 2 of two spellings of a service; spans 3 and 4 of service "scoped" with two spellings
    /// of the scope name (`otel.scope.name`).
    static func otlpSpellingSpans() -> [Span] {
        let base = QueryGRPCServiceTests.baseMicros
        return [
            SpanBuilder.span(trace: 300, span: 1, service: Spellings.composed, operation: "one", startMicros: base + 1),
            SpanBuilder.span(trace: 300, span: 2, parent: 1, service: Spellings.decomposed, operation: "two", startMicros: base + 2),
            SpanBuilder.span(
                trace: 300, span: 3, parent: 1, service: "scoped", operation: "three", startMicros: base + 3,
                tags: [.string("otel.scope.name", Spellings.composed)]),
            SpanBuilder.span(
                trace: 300, span: 4, parent: 1, service: "scoped", operation: "four", startMicros: base + 4,
                tags: [.string("otel.scope.name", Spellings.decomposed)]),
        ]
    }

    /// Hex of the UTF-8 bytes, so lines compare by bytes even as `String`s.
    static func hex(_ text: String) -> String { text.utf8.map { String(format: "%02x", $0) }.joined() }

    /// One line per (resource, scope): the resource's `service.name` bytes, the scope name's bytes and the span ids,
    /// in the order sent.
    static func groups(_ data: Opentelemetry_Proto_Trace_V1_TracesData) -> [String] {
        data.resourceSpans.flatMap { resource in
            let service = resource.resource.attributes.first { Array($0.key.utf8) == Array("service.name".utf8) }?
                .value.stringValue
            return resource.scopeSpans.map { scope in
                let spans = scope.spans.map { SpanID(bytes: [UInt8]($0.spanID)).map { String($0.value) } ?? "?" }
                return "service=\(hex(service ?? "-")) scope=\(hex(scope.scope.name)) spans=\(spans.joined(separator: ","))"
            }
        }
    }

    /// The expected groups of trace 300: a resource per service spelling (one span each) and, under "scoped", a
    /// scope per scope-name spelling (one span each).
    static var expectedOTLPGroups: [String] {
        [
            "service=\(hex(Spellings.composed)) scope= spans=1",
            "service=\(hex(Spellings.decomposed)) scope= spans=2",
            "service=\(hex("scoped")) scope=\(hex(Spellings.composed)) spans=3",
            "service=\(hex("scoped")) scope=\(hex(Spellings.decomposed)) spans=4",
        ]
    }

    /// gRPC api_v3 `GetTrace` gives one resource per spelling of a service name, each with its own `service.name`
    /// bytes and span, and one scope per spelling of a scope name (before, each pair shared the first one's
    /// resource or scope).
    @Test func v3GetTraceGroupsResourcesAndScopesByBytes() async throws {
        try await QueryGRPCServiceTests.withClients(extraSpans: Self.otlpSpellingSpans()) { _, v3 in
            var request = Jaeger_ApiV3_GetTraceRequest()
            request.traceID = TraceID(high: 0, low: 300).hex32
            let messages = try await v3.getTrace(request) { try await QueryGRPCServiceTests.collect($0) }
            #expect(messages.count == 1)
            let data = try #require(messages.first)
            #expect(data.resourceSpans.count == 3)
            #expect(data.resourceSpans.map(\.scopeSpans.count).sorted() == [1, 1, 2])
            #expect(Self.groups(data).sorted() == Self.expectedOTLPGroups.sorted())
        }
    }

    /// gRPC api_v3 `FindTraces` groups the found trace the same way.
    @Test func v3FindTracesGroupsResourcesAndScopesByBytes() async throws {
        try await QueryGRPCServiceTests.withClients(extraSpans: Self.otlpSpellingSpans()) { _, v3 in
            var request = Jaeger_ApiV3_FindTracesRequest()
            request.query = QueryGRPCServiceTests.v3Query(service: "scoped")
            let messages = try await v3.findTraces(request) { try await QueryGRPCServiceTests.collect($0) }
            #expect(messages.count == 1)
            let data = try #require(messages.first)
            #expect(data.resourceSpans.count == 3)
            #expect(Self.groups(data).sorted() == Self.expectedOTLPGroups.sorted())
        }
    }
}
