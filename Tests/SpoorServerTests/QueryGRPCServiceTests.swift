import Foundation
import GRPCCore
import GRPCInProcessTransport
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorTestSupport
import SpoorWire
import SwiftProtobuf
import Testing

@testable import SpoorServer

/// Round trips through both gRPC query services (client and server in process) over a real temporary store.
struct QueryGRPCServiceTests {
    typealias V2 = Jaeger_ApiV2_QueryService.Client<InProcessTransport.Client>
    typealias V3 = Jaeger_ApiV3_QueryService.Client<InProcessTransport.Client>

    /// Start of the stored spans: one minute ago, in microseconds.
    static let baseMicros = UInt64(Date().timeIntervalSince1970 * 1_000_000) - 60_000_000

    /// Trace 1: svc-a/root (server) → svc-b/child; 12 more spans of svc-a so the v2 stream needs two chunks.
    static func trace1() -> [Span] {
        var spans = [
            SpanBuilder.span(
                trace: 1, span: 1, service: "svc-a", operation: "root", startMicros: baseMicros, durationMicros: 500,
                tags: [.string("span.kind", "server"), .int64("http.status_code", 200)]),
            SpanBuilder.span(
                trace: 1, span: 2, parent: 1, service: "svc-b", operation: "child", startMicros: baseMicros + 10,
                tags: [.bool("error", true)]),
        ]
        for index in 3...13 {
            spans.append(
                SpanBuilder.span(
                    trace: 1, span: UInt64(index), parent: 1, service: "svc-a", operation: "work",
                    startMicros: baseMicros + UInt64(index)))
        }
        return spans
    }

    /// Trace 2: one svc-a span, newer than trace 1.
    static func trace2() -> [Span] {
        [SpanBuilder.span(trace: 2, span: 1, service: "svc-a", operation: "other", startMicros: baseMicros + 1_000)]
    }

    /// Runs `body` with both clients against services over a store holding the tenant's traces (and `extraSpans`).
    static func withClients(
        tenancy: TenancyConfiguration = TenancyConfiguration(), tenant: String = TenantResolver.defaultTenant,
        extraSpans: [Span] = [], _ body: @Sendable (V2, V3) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try TestStores.open(directory)
        defer { store.close() }
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
        _ = try store.write([store.prepare(tenant: tenant, spans: trace1() + trace2() + extraSpans)], now: now)
        let search = TraceSearch(store: store)
        let resolver = TenantResolver(tenancy)
        let pool = NIOThreadPool.singleton
        let transport = InProcessTransport()
        try await withGRPCServer(
            transport: transport.server,
            services: [
                QueryGRPCServiceV2(search: search, tenancy: resolver, pool: pool),
                QueryGRPCServiceV3(search: search, tenancy: resolver, pool: pool),
            ]
        ) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(V2(wrapping: client), V3(wrapping: client))
            }
        }
    }

    static func collect<M: Sendable>(_ response: StreamingClientResponse<M>) async throws -> [M] {
        var out: [M] = []
        for try await message in response.messages { out.append(message) }
        return out
    }

    /// The RPC error code `body` fails with, or nil if it succeeds.
    static func code(_ body: () async throws -> Void) async -> RPCError.Code? {
        do {
            try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    static func v2Trace(_ client: V2, id: [UInt8], metadata: Metadata = [:]) async throws -> [Jaeger_ApiV2_SpansResponseChunk] {
        var request = Jaeger_ApiV2_GetTraceRequest()
        request.traceID = Data(id)
        return try await client.getTrace(request, metadata: metadata) { try await collect($0) }
    }

    static func timestamp(micros: UInt64) -> Google_Protobuf_Timestamp {
        .with {
            $0.seconds = Int64(micros / 1_000_000)
            $0.nanos = Int32((micros % 1_000_000) * 1000)
        }
    }

    static func v3Query(service: String = "svc-a") -> Jaeger_ApiV3_TraceQueryParameters {
        .with {
            $0.serviceName = service
            $0.startTimeMin = timestamp(micros: baseMicros - 1_000_000)
            $0.startTimeMax = timestamp(micros: baseMicros + 10_000_000)
        }
    }

    static let trace1Bytes = TraceID(high: 0, low: 1).bytes

    // MARK: api_v2

    @Test func v2GetTraceStreamsChunksOfAtMostTenSpansWithProcesses() async throws {
        try await Self.withClients { v2, _ in
            let chunks = try await Self.v2Trace(v2, id: Self.trace1Bytes)
            #expect(chunks.map(\.spans.count) == [10, 3])
            let spans = chunks.flatMap(\.spans)
            #expect(spans.allSatisfy { $0.hasProcess && !$0.process.serviceName.isEmpty })
            let child = try #require(spans.first { $0.operationName == "child" })
            #expect(child.process.serviceName == "svc-b")
            #expect(child.references.first?.spanID == Data(SpanID(1).bytes))
            #expect(child.tags.contains { $0.key == "error" && $0.vType == .bool && $0.vBool })
            let root = try #require(spans.first { $0.operationName == "root" })
            #expect(root.duration.nanos == 500_000)
            #expect(root.traceID == Data(Self.trace1Bytes))
            // 8-byte legacy ids are accepted.
            let legacy = try await Self.v2Trace(v2, id: SpanID(1).bytes)
            #expect(legacy.flatMap(\.spans).count == 13)
        }
    }

    @Test func v2GetTraceErrors() async throws {
        try await Self.withClients { v2, _ in
            let zero = await Self.code { _ = try await Self.v2Trace(v2, id: [UInt8](repeating: 0, count: 16)) }
            #expect(zero == .invalidArgument)
            let missing = await Self.code { _ = try await Self.v2Trace(v2, id: TraceID(high: 0, low: 99).bytes) }
            #expect(missing == .notFound)
            let badLength = await Self.code { _ = try await Self.v2Trace(v2, id: [1, 2, 3]) }
            #expect(badLength == .invalidArgument)
            do {
                _ = try await Self.v2Trace(v2, id: [UInt8](repeating: 0, count: 16))
            } catch let error as RPCError {
                #expect(error.message == "uninitialized TraceID is not allowed")
            }
            do {
                _ = try await Self.v2Trace(v2, id: TraceID(high: 0, low: 99).bytes)
            } catch let error as RPCError {
                #expect(error.message == "trace not found")
            }
        }
    }

    @Test func v2FindTraces() async throws {
        try await Self.withClients { v2, _ in
            var request = Jaeger_ApiV2_FindTracesRequest()
            request.query.serviceName = "svc-a"
            let chunks = try await v2.findTraces(request) { try await Self.collect($0) }
            // Newest first: trace 2 (one chunk), then trace 1 (two chunks).
            #expect(chunks.map(\.spans.count) == [1, 10, 3])
            #expect(chunks.first?.spans.first?.operationName == "other")

            request.query.operationName = "child"
            request.query.serviceName = "svc-b"
            request.query.tags = ["error": "true"]
            let filtered = try await v2.findTraces(request) { try await Self.collect($0) }
            #expect(Set(filtered.flatMap(\.spans).map(\.traceID)) == [Data(Self.trace1Bytes)])

            request.query.operationName = "nope"
            let none = try await v2.findTraces(request) { try await Self.collect($0) }
            #expect(none.isEmpty)

            var limited = Jaeger_ApiV2_FindTracesRequest()
            limited.query.searchDepth = 1
            let one = try await v2.findTraces(limited) { try await Self.collect($0) }
            #expect(Set(one.flatMap(\.spans).map(\.traceID)).count == 1)

            let missing = await Self.code {
                _ = try await v2.findTraces(Jaeger_ApiV2_FindTracesRequest()) { try await Self.collect($0) }
            }
            #expect(missing == .invalidArgument)
        }
    }

    @Test func v2ServicesAndOperations() async throws {
        try await Self.withClients { v2, _ in
            let services = try await v2.getServices(Jaeger_ApiV2_GetServicesRequest())
            #expect(services.services == ["svc-a", "svc-b"])

            var request = Jaeger_ApiV2_GetOperationsRequest()
            request.service = "svc-a"
            let all = try await v2.getOperations(request)
            #expect(Set(all.operationNames) == ["root", "work", "other"])
            #expect(all.operations.count == 3)
            #expect(all.operations.contains { $0.name == "root" && $0.spanKind == "server" })

            request.spanKind = "server"
            let servers = try await v2.getOperations(request)
            #expect(servers.operationNames == ["root"])

            request.spanKind = "bogus"
            #expect(await Self.code { _ = try await v2.getOperations(request) } == .invalidArgument)
            #expect(await Self.code { _ = try await v2.getOperations(Jaeger_ApiV2_GetOperationsRequest()) } == .invalidArgument)
        }
    }

    @Test func v2ArchiveAndDependencyRequestChecks() async throws {
        try await Self.withClients { v2, _ in
            var archive = Jaeger_ApiV2_ArchiveTraceRequest()
            archive.traceID = Data(Self.trace1Bytes)
            _ = try await v2.archiveTrace(archive)
            var unknown = Jaeger_ApiV2_ArchiveTraceRequest()
            unknown.traceID = Data(repeating: 0xAB, count: 16)
            #expect(await Self.code { _ = try await v2.archiveTrace(unknown) } == .notFound)
            #expect(await Self.code { _ = try await v2.archiveTrace(Jaeger_ApiV2_ArchiveTraceRequest()) } == .invalidArgument)
            #expect(await Self.code { _ = try await v2.getDependencies(Jaeger_ApiV2_GetDependenciesRequest()) } == .invalidArgument)
        }
    }

    // MARK: api_v3

    @Test func v3GetTraceReturnsOTLP() async throws {
        try await Self.withClients { _, v3 in
            var request = Jaeger_ApiV3_GetTraceRequest()
            request.traceID = TraceID(high: 0, low: 1).hex32
            let messages = try await v3.getTrace(request) { try await Self.collect($0) }
            #expect(messages.count == 1)
            let data = try #require(messages.first)
            let spans = data.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) }
            #expect(spans.count == 13)
            let services = data.resourceSpans.compactMap {
                $0.resource.attributes.first { $0.key == "service.name" }?.value.stringValue
            }
            #expect(Set(services) == ["svc-a", "svc-b"])
            let root = try #require(spans.first { $0.name == "root" })
            #expect(root.kind == .server)
            #expect(root.parentSpanID.isEmpty)
            #expect(root.endTimeUnixNano - root.startTimeUnixNano == 500_000)
            let child = try #require(spans.first { $0.name == "child" })
            #expect(child.status.code == .error)
            #expect(child.parentSpanID == Data(SpanID(1).bytes))

            request.traceID = "1"
            let short = try await v3.getTrace(request) { try await Self.collect($0) }
            #expect(short.count == 1)
        }
    }

    @Test func v3GetTraceErrors() async throws {
        try await Self.withClients { _, v3 in
            var request = Jaeger_ApiV3_GetTraceRequest()
            request.traceID = "zz-not-hex"
            #expect(await Self.code { _ = try await v3.getTrace(request) { try await Self.collect($0) } } == .invalidArgument)
            request.traceID = ""
            #expect(await Self.code { _ = try await v3.getTrace(request) { try await Self.collect($0) } } == .invalidArgument)
            request.traceID = "00000000000000000000000000000063"
            #expect(await Self.code { _ = try await v3.getTrace(request) { try await Self.collect($0) } } == .notFound)
        }
    }

    @Test func v3FindTracesAndSummaries() async throws {
        try await Self.withClients { _, v3 in
            var request = Jaeger_ApiV3_FindTracesRequest()
            request.query = Self.v3Query()
            let traces = try await v3.findTraces(request) { try await Self.collect($0) }
            #expect(traces.count == 2)
            let firstIDs = traces.first?.resourceSpans.first?.scopeSpans.first?.spans.first?.traceID
            #expect(firstIDs == Data(TraceID(high: 0, low: 2).bytes))

            request.query.serviceName = "nobody"
            let none = try await v3.findTraces(request) { try await Self.collect($0) }
            #expect(none.isEmpty)

            var summaries = Jaeger_ApiV3_FindTraceSummariesRequest()
            summaries.query = Self.v3Query()
            summaries.query.operationName = "root"
            let responses = try await v3.findTraceSummaries(summaries) { try await Self.collect($0) }
            let summary = try #require(responses.first?.summaries.first)
            #expect(responses.flatMap(\.summaries).count == 1)
            #expect(summary.traceID == TraceID(high: 0, low: 1).hex32)
            #expect(summary.rootServiceName == "svc-a")
            #expect(summary.rootOperationName == "root")
            #expect(summary.spanCount == 13)
            #expect(summary.errorSpanCount == 1)
            #expect(summary.services.map(\.name) == ["svc-a", "svc-b"])
        }
    }

    @Test func v3SearchRequiresTimeRange() async throws {
        try await Self.withClients { _, v3 in
            var request = Jaeger_ApiV3_FindTracesRequest()
            request.query.serviceName = "svc-a"
            do {
                _ = try await v3.findTraces(request) { try await Self.collect($0) }
                Issue.record("expected INVALID_ARGUMENT")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
                #expect(error.message == "start time min and max are required parameters")
            }
            let summaries = await Self.code {
                _ = try await v3.findTraceSummaries(Jaeger_ApiV3_FindTraceSummariesRequest()) { try await Self.collect($0) }
            }
            #expect(summaries == .invalidArgument)
        }
    }

    @Test func v3ServicesOperationsDependencies() async throws {
        try await Self.withClients { _, v3 in
            #expect(try await v3.getServices(Jaeger_ApiV3_GetServicesRequest()).services == ["svc-a", "svc-b"])
            var request = Jaeger_ApiV3_GetOperationsRequest()
            request.service = "svc-b"
            let operations = try await v3.getOperations(request)
            #expect(operations.operations.map(\.name) == ["child"])
            #expect(operations.operations.first?.spanKind == "internal")
            #expect(await Self.code { _ = try await v3.getOperations(Jaeger_ApiV3_GetOperationsRequest()) } == .invalidArgument)
            #expect(await Self.code { _ = try await v3.getDependencies(Jaeger_ApiV3_GetDependenciesRequest()) } == .invalidArgument)
        }
    }

    /// Service "kinds": "both" stored unspecified and internal, "plain" unspecified only, "caf\u{E9}" as server and
    /// client, "cafe\u{301}" as server and "caff" as internal.
    static func kindSpans() -> [Span] {
        let entries: [(String, String?)] = [
            ("both", nil), ("both", "internal"), ("plain", nil), (Spellings.composed, "server"),
            (Spellings.composed, "client"), (Spellings.decomposed, "server"),
            (Spellings.between, "internal"),
        ]
        return entries.enumerated().map { index, entry in
            SpanBuilder.span(
                trace: 400 + UInt64(index), span: 1, service: "kinds", operation: entry.0,
                startMicros: baseMicros + UInt64(index), tags: entry.1.map { [.string("span.kind", $0)] } ?? [])
        }
    }

    /// gRPC api_v3 `GetOperations` lists as `GET /api/v3/operations` does: an unspecified kind is shown as
    /// "internal", an operation stored both unspecified and internal is listed once, a wanted "internal" includes
    /// the unspecified ones, each spelling of a name is its own row, and rows sort by the name's bytes, then the
    /// shown kind. (Before, the store's rows were passed through: "both" twice, "plain" missing under "internal",
    /// and server before client.)
    @Test func v3GetOperationsListsAsTheHTTPRouteDoes() async throws {
        try await Self.withClients(extraSpans: Self.kindSpans()) { _, v3 in
            func rows(_ kind: String) async throws -> (names: [[UInt8]], kinds: [String]) {
                var request = Jaeger_ApiV3_GetOperationsRequest()
                request.service = "kinds"
                request.spanKind = kind
                let operations = try await v3.getOperations(request).operations
                return (Spellings.bytes(operations.map(\.name)), operations.map(\.spanKind))
            }
            let composed = Spellings.composed
            let decomposed = Spellings.decomposed
            let between = Spellings.between

            let all = try await rows("")
            #expect(all.names == Spellings.bytes(["both", decomposed, between, composed, composed, "plain"]))
            #expect(all.kinds == ["internal", "server", "internal", "client", "server", "internal"])

            let internalRows = try await rows("internal")
            #expect(internalRows.names == Spellings.bytes(["both", between, "plain"]))
            #expect(internalRows.kinds == ["internal", "internal", "internal"])

            let server = try await rows("SERVER")
            #expect(server.names == Spellings.bytes([decomposed, composed]))
            #expect(server.kinds == ["server", "server"])

            let client = try await rows("client")
            #expect(client.names == Spellings.bytes([composed]))
            #expect(client.kinds == ["client"])
        }
    }

    // MARK: tenancy

    static var tenancy: TenancyConfiguration {
        var configuration = TenancyConfiguration()
        configuration.enabled = true
        return configuration
    }

    @Test func missingTenantIsUnauthenticatedOnEveryRPC() async throws {
        try await Self.withClients(tenancy: Self.tenancy, tenant: "acme") { v2, v3 in
            var findV2 = Jaeger_ApiV2_FindTracesRequest()
            findV2.query.serviceName = "svc-a"
            var operationsV2 = Jaeger_ApiV2_GetOperationsRequest()
            operationsV2.service = "svc-a"
            var traceV3 = Jaeger_ApiV3_GetTraceRequest()
            traceV3.traceID = "1"
            var findV3 = Jaeger_ApiV3_FindTracesRequest()
            findV3.query = Self.v3Query()
            var summariesV3 = Jaeger_ApiV3_FindTraceSummariesRequest()
            summariesV3.query = Self.v3Query()
            var operationsV3 = Jaeger_ApiV3_GetOperationsRequest()
            operationsV3.service = "svc-a"
            let codes: [RPCError.Code?] = [
                await Self.code { _ = try await Self.v2Trace(v2, id: Self.trace1Bytes) },
                await Self.code { _ = try await v2.findTraces(findV2) { try await Self.collect($0) } },
                await Self.code { _ = try await v2.getServices(Jaeger_ApiV2_GetServicesRequest()) },
                await Self.code { _ = try await v2.getOperations(operationsV2) },
                await Self.code { _ = try await v2.archiveTrace(Jaeger_ApiV2_ArchiveTraceRequest()) },
                await Self.code { _ = try await v2.getDependencies(Jaeger_ApiV2_GetDependenciesRequest()) },
                await Self.code { _ = try await v3.getTrace(traceV3) { try await Self.collect($0) } },
                await Self.code { _ = try await v3.findTraces(findV3) { try await Self.collect($0) } },
                await Self.code { _ = try await v3.findTraceSummaries(summariesV3) { try await Self.collect($0) } },
                await Self.code { _ = try await v3.getServices(Jaeger_ApiV3_GetServicesRequest()) },
                await Self.code { _ = try await v3.getOperations(operationsV3) },
                await Self.code { _ = try await v3.getDependencies(Jaeger_ApiV3_GetDependenciesRequest()) },
            ]
            #expect(codes == Array(repeating: .unauthenticated, count: 12))
        }
    }

    @Test func tenantsAreIsolated() async throws {
        try await Self.withClients(tenancy: Self.tenancy, tenant: "acme") { v2, v3 in
            let acme: Metadata = ["x-tenant": "acme"]
            let other: Metadata = ["x-tenant": "other"]
            let acmeTrace = try await Self.v2Trace(v2, id: Self.trace1Bytes, metadata: acme)
            #expect(acmeTrace.flatMap(\.spans).count == 13)
            #expect(await Self.code { _ = try await Self.v2Trace(v2, id: Self.trace1Bytes, metadata: other) } == .notFound)
            let acmeServices = try await v2.getServices(Jaeger_ApiV2_GetServicesRequest(), metadata: acme)
            #expect(acmeServices.services == ["svc-a", "svc-b"])
            let otherServices = try await v2.getServices(Jaeger_ApiV2_GetServicesRequest(), metadata: other)
            #expect(otherServices.services.isEmpty)
            let otherServicesV3 = try await v3.getServices(Jaeger_ApiV3_GetServicesRequest(), metadata: other)
            #expect(otherServicesV3.services.isEmpty)
            var find = Jaeger_ApiV3_FindTracesRequest()
            find.query = Self.v3Query()
            let otherTraces = try await v3.findTraces(find, metadata: other) { try await Self.collect($0) }
            #expect(otherTraces.isEmpty)
            let acmeTraces = try await v3.findTraces(find, metadata: acme) { try await Self.collect($0) }
            #expect(acmeTraces.count == 2)
            let extra: Metadata = ["x-tenant": "acme", "x-tenant": "other"]
            #expect(await Self.code { _ = try await v3.getServices(Jaeger_ApiV3_GetServicesRequest(), metadata: extra) } == .permissionDenied)
        }
    }
}
