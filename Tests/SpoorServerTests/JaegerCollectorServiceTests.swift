import Foundation
import GRPCCore
import SpoorModel
import SpoorStorage
import SpoorTestSupport
import SpoorWire
import Testing

@testable import SpoorServer

/// `JaegerCollectorService.postSpans` against a temporary store with a running writer.
struct JaegerCollectorServiceTests {
    private static func request(traceBytes: [UInt8], service: String = "svc") -> Jaeger_ApiV2_PostSpansRequest {
        var span = Jaeger_ApiV2_Span()
        span.traceID = Data(traceBytes)
        span.spanID = Data([0, 0, 0, 0, 0, 0, 0, 2])
        span.operationName = "op"
        span.startTime = .with { $0.seconds = Int64(Clock.unixNanos() / 1_000_000_000) - 10 }
        span.duration = .with { $0.nanos = 5_000 }
        var process = Jaeger_ApiV2_Process()
        process.serviceName = service
        var request = Jaeger_ApiV2_PostSpansRequest()
        request.batch.spans = [span]
        request.batch.process = process
        return request
    }

    /// Runs `body` with a service on a fresh store whose writer is running.
    private static func withService(
        tenancy: TenancyConfiguration = TenancyConfiguration(), maxQueuedSpans: Int = 1000,
        _ body: @Sendable (JaegerCollectorService, SpanStore) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try TestStores.open(directory)
        defer { store.close() }
        let writer = SpanWriter(store: store, maxQueuedSpans: maxQueuedSpans, logger: TestStores.logger, now: { Clock.unixNanos() })
        let service = JaegerCollectorService(
            ingestor: SpanIngestor(store: store, writer: writer), tenancy: TenantResolver(tenancy))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            defer { group.cancelAll() }
            try await body(service, store)
        }
    }

    private static func post(
        _ service: JaegerCollectorService, _ message: Jaeger_ApiV2_PostSpansRequest, metadata: Metadata = [:]
    ) async throws {
        try await withServerContextRPCCancellationHandle { (handle) async throws -> Void in
            let context = ServerContext(
                descriptor: Jaeger_ApiV2_CollectorService.Method.PostSpans.descriptor, remotePeer: "in-process:1",
                localPeer: "in-process:2", cancellation: handle)
            _ = try await service.postSpans(request: ServerRequest(metadata: metadata, message: message), context: context)
        }
    }

    private static let traceBytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]

    @Test func acknowledgedSpansAreStored() async throws {
        try await Self.withService { service, store in
            try await Self.post(service, Self.request(traceBytes: Self.traceBytes))
            let spans = try store.trace(tenant: TenantResolver.defaultTenant, traceID: TraceID(high: 1, low: 9))
            #expect(spans.map(\.operationName) == ["op"])
            #expect(spans.first?.process.serviceName == "svc")
            #expect(spans.first?.durationNanos == 5_000)
        }
    }

    @Test func badIDLengthIsInvalidArgument() async throws {
        try await Self.withService { service, _ in
            do {
                try await Self.post(service, Self.request(traceBytes: [1, 2, 3]))
                Issue.record("expected an error")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("batch.spans[0].trace_id"))
            }
        }
    }

    @Test func tenantComesFromMetadata() async throws {
        var tenancy = TenancyConfiguration()
        tenancy.enabled = true
        tenancy.tenants = ["acme"]
        try await Self.withService(tenancy: tenancy) { service, store in
            try await Self.post(service, Self.request(traceBytes: Self.traceBytes), metadata: ["x-tenant": "acme"])
            #expect(try store.trace(tenant: "acme", traceID: TraceID(high: 1, low: 9)).count == 1)
            #expect(try store.trace(tenant: TenantResolver.defaultTenant, traceID: TraceID(high: 1, low: 9)).isEmpty)
        }
    }

    @Test(arguments: [
        ([], RPCError.Code.unauthenticated), (["evil"], .permissionDenied), (["acme", "acme"], .permissionDenied),
    ])
    func missingUnknownOrRepeatedTenantIsRefused(tenants: [String], code: RPCError.Code) async throws {
        let metadata = tenants.reduce(into: Metadata()) { $0.addString($1, forKey: "x-tenant") }
        var tenancy = TenancyConfiguration()
        tenancy.enabled = true
        tenancy.tenants = ["acme"]
        try await Self.withService(tenancy: tenancy) { service, _ in
            do {
                try await Self.post(service, Self.request(traceBytes: Self.traceBytes), metadata: metadata)
                Issue.record("expected an error")
            } catch let error as RPCError {
                #expect(error.code == code)
            }
        }
    }
}
