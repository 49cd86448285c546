import Foundation
import GRPCCore
import GRPCInProcessTransport
import SpoorWire
import SwiftProtobuf
import Testing

@testable import SpoorServer

/// gRPC health and server reflection on the query port, client and server in process.
struct GRPCHealthReflectionTests {
    typealias Health = Grpc_Health_V1_Health.Client<InProcessTransport.Client>
    typealias Reflection = Grpc_Reflection_V1_ServerReflection.Client<InProcessTransport.Client>
    typealias ReflectionAlpha = Grpc_Reflection_V1alpha_ServerReflection.Client<InProcessTransport.Client>
    typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    /// A readiness tracker whose one listener is bound, so the process serves.
    static func servingReadiness() -> Readiness {
        let readiness = Readiness(listeners: 1)
        readiness.listenerReady(now: 1)
        return readiness
    }

    /// Runs `body` with clients of the health and both reflection services.
    static func withClients(
        readiness: Readiness, _ body: @Sendable (Health, Reflection, ReflectionAlpha) async throws -> Void
    ) async throws {
        let transport = InProcessTransport()
        try await withGRPCServer(
            transport: transport.server,
            services: [
                GRPCHealthService(readiness: readiness, pollInterval: .milliseconds(10)),
                GRPCReflectionService(), GRPCReflectionServiceV1Alpha(),
            ]
        ) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(Health(wrapping: client), Reflection(wrapping: client), ReflectionAlpha(wrapping: client))
            }
        }
    }

    static func check(_ health: Health, _ service: String) async throws -> Status {
        try await health.check(.with { $0.service = service }).status
    }

    /// Sends `requests` on one reflection stream and collects the responses.
    static func reflect(
        _ client: Reflection, _ requests: [Grpc_Reflection_V1_ServerReflectionRequest]
    ) async throws -> [Grpc_Reflection_V1_ServerReflectionResponse] {
        try await client.serverReflectionInfo { writer in
            try await writer.write(contentsOf: requests)
        } onResponse: { response in
            var out: [Grpc_Reflection_V1_ServerReflectionResponse] = []
            for try await message in response.messages { out.append(message) }
            return out
        }
    }

    static let servedNames = [
        "jaeger.api_v2.QueryService", "jaeger.api_v3.QueryService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]

    // MARK: health

    @Test(arguments: ["", "jaeger.api_v2.QueryService", "jaeger.api_v3.QueryService", "jaeger.api_v2.metrics.MetricsQueryService"])
    func healthCheckReportsQueryServicesServing(service: String) async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { health, _, _ in
            let status = try await Self.check(health, service)
            #expect(status == .serving)
        }
    }

    @Test func healthCheckOfUnknownServiceIsNotFound() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { health, _, _ in
            await #expect {
                _ = try await Self.check(health, "jaeger.api_v2.CollectorService")
            } throws: { error in
                (error as? RPCError)?.code == .notFound
            }
        }
    }

    @Test func healthCheckIsNotServingWhileStartingAndStopping() async throws {
        let readiness = Readiness(listeners: 1)
        try await Self.withClients(readiness: readiness) { health, _, _ in
            let starting = try await Self.check(health, "jaeger.api_v3.QueryService")
            #expect(starting == .notServing)
            readiness.listenerReady(now: 1)
            let serving = try await Self.check(health, "jaeger.api_v3.QueryService")
            #expect(serving == .serving)
            readiness.stopping()
            let stopping = try await Self.check(health, "")
            #expect(stopping == .notServing)
        }
    }

    @Test func healthListNamesEveryServiceAndTheServer() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { health, _, _ in
            let list = try await health.list(Grpc_Health_V1_HealthListRequest())
            #expect(Set(list.statuses.keys) == Set(GRPCHealthService.queryServices + [""]))
            #expect(list.statuses.values.allSatisfy { $0.status == .serving })
        }
    }

    @Test func healthWatchSendsCurrentStatusThenNotServingAndEndsWhenStopping() async throws {
        let readiness = Self.servingReadiness()
        try await Self.withClients(readiness: readiness) { health, _, _ in
            let statuses = try await health.watch(.with { $0.service = "jaeger.api_v2.QueryService" }) { response in
                var out: [Status] = []
                for try await message in response.messages {
                    out.append(message.status)
                    if out.count == 1 { readiness.stopping() }
                }
                return out
            }
            #expect(statuses == [.serving, .notServing])
        }
    }

    @Test func healthWatchOfUnknownServiceSendsServiceUnknown() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { health, _, _ in
            let first = try await health.watch(.with { $0.service = "nope" }) { response in
                for try await message in response.messages { return message.status }
                return Status.unknown
            }
            #expect(first == .serviceUnknown)
        }
    }

    // MARK: reflection

    @Test func bundledDescriptorsDescribeEveryServedService() {
        let index = ReflectionIndex.bundled
        for name in Self.servedNames { #expect(index.contains(symbol: name), "\(name)") }
        #expect(index.contains(symbol: "jaeger.api_v2.QueryService.GetTrace"))
        #expect(index.contains(symbol: "opentelemetry.proto.trace.v1.Span.SpanKind"))
    }

    @Test func reflectionListsTheQueryHealthAndReflectionServices() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { _, reflection, _ in
            let responses = try await Self.reflect(reflection, [.with { $0.listServices = "*" }])
            let names = responses.first?.listServicesResponse.service.map(\.name)
            #expect(names == Self.servedNames)
        }
    }

    @Test func reflectionFileContainingSymbolReturnsTheServiceFileAndItsImports() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { _, reflection, _ in
            let responses = try await Self.reflect(
                reflection, [.with { $0.fileContainingSymbol = "jaeger.api_v3.QueryService" }])
            let response = try #require(responses.first)
            #expect(response.originalRequest.fileContainingSymbol == "jaeger.api_v3.QueryService")
            let files = try response.fileDescriptorResponse.fileDescriptorProto.map {
                try Google_Protobuf_FileDescriptorProto(serializedBytes: $0)
            }
            let first = try #require(files.first)
            #expect(first.name == "jaeger/api_v3/query_service.proto")
            #expect(first.package == "jaeger.api_v3")
            let service = try #require(first.service.first { $0.name == "QueryService" })
            #expect(service.method.map(\.name).contains("FindTraces"))
            // Every import of every returned file is returned too.
            let names = Set(files.map(\.name))
            #expect(names.contains("opentelemetry/proto/trace/v1/trace.proto"))
            #expect(files.allSatisfy { $0.dependency.allSatisfy(names.contains) })
        }
    }

    @Test func reflectionFileByFilenameAndUnknownNames() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { _, reflection, _ in
            let responses = try await Self.reflect(
                reflection,
                [
                    .with { $0.fileByFilename = "grpc/health/v1/health.proto" },
                    .with { $0.fileByFilename = "nope.proto" },
                    .with { $0.fileContainingSymbol = "jaeger.api_v3.Nope" },
                ])
            #expect(responses.count == 3)
            let health = try responses.first.map {
                try Google_Protobuf_FileDescriptorProto(serializedBytes: $0.fileDescriptorResponse.fileDescriptorProto[0])
            }
            #expect(health?.service.map(\.name) == ["Health"])
            for response in responses.dropFirst() {
                #expect(response.errorResponse.errorCode == Int32(RPCError.Code.notFound.rawValue))
            }
        }
    }

    @Test func reflectionV1AlphaAnswersLikeV1() async throws {
        try await Self.withClients(readiness: Self.servingReadiness()) { _, _, alpha in
            let names = try await alpha.serverReflectionInfo { writer in
                try await writer.write(.with { $0.listServices = "" })
            } onResponse: { response in
                var out: [String] = []
                for try await message in response.messages { out += message.listServicesResponse.service.map(\.name) }
                return out
            }
            #expect(names == Self.servedNames)
        }
    }
}
