import GRPCCore
import ServiceLifecycle
import SpoorWire

/// `grpc.health.v1.Health` on 16685 (spec/query-api.md §8).
///
/// The server (`""`) and each name in `services` are SERVING while `readiness` says the process serves, and
/// NOT_SERVING while it starts or stops. Check answers NOT_FOUND for other names; Watch answers them
/// SERVICE_UNKNOWN. Watch sends the current status, then each change (checked every `pollInterval`), and ends when
/// the call is cancelled or the process is stopping (or on graceful shutdown), so it never holds the server open.
package struct GRPCHealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    /// The names the query port reports on (Jaeger's list, including the metrics service of its SPM API).
    package static let queryServices = [
        "jaeger.api_v2.QueryService", "jaeger.api_v3.QueryService", "jaeger.api_v2.metrics.MetricsQueryService",
    ]

    private let readiness: Readiness?
    private let services: Set<String>
    private let pollInterval: Duration

    /// Creates the service; a nil `readiness` always reports SERVING. Watch re-checks the status every
    /// `pollInterval`.
    package init(readiness: Readiness?, services: [String] = Self.queryServices, pollInterval: Duration = .seconds(1)) {
        self.readiness = readiness
        self.services = Set(services + [""])
        self.pollInterval = pollInterval
    }

    /// The status of a known name, nil for an unknown one.
    package func status(of service: String) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? {
        guard services.contains(service) else { return nil }
        return readiness.map { $0.isServing ? .serving : .notServing } ?? .serving
    }

    /// The status of `request.service`; unknown names → NOT_FOUND.
    package func check(
        request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard let status = status(of: request.service) else {
            throw RPCError(code: .notFound, message: "unknown service")
        }
        return Self.response(status)
    }

    /// The status of every known name.
    package func list(
        request: Grpc_Health_V1_HealthListRequest, context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthListResponse {
        var response = Grpc_Health_V1_HealthListResponse()
        for service in services {
            if let status = status(of: service) { response.statuses[service] = Self.response(status) }
        }
        return response
    }

    /// Streams the status of `request.service`: now, then whenever it changes, until the process stops.
    package func watch(
        request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        let service = request.service
        let initial = status(of: service) ?? .serviceUnknown
        try await response.write(Self.response(initial))
        // gRPC reports a cancelled call (client gone, deadline) through this handle, not by cancelling the task.
        let call = context.cancellation
        do {
            try await cancelWhenGracefulShutdown { [self] in
                var sent = initial
                while !call.isCancelled {
                    try await Task.sleep(for: pollInterval)
                    // Read before the status: stopping never reverts, so the last status sent is the final one.
                    let stopping = isStopping
                    let now = status(of: service) ?? .serviceUnknown
                    if now != sent {
                        try await response.write(Self.response(now))
                        sent = now
                    }
                    if stopping { break }
                }
            }
        } catch is CancellationError where !Task.isCancelled {
            // Graceful shutdown, not a cancelled call: report the final status, then end the stream so the server
            // can stop.
            if status(of: service) != nil { try await response.write(Self.response(.notServing)) }
        }
    }

    /// True once the process served and then began to stop (readiness only falls back after serving when stopping).
    private var isStopping: Bool {
        guard let readiness else { return false }
        return readiness.upSince != nil && !readiness.isServing
    }

    private static func response(
        _ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus
    ) -> Grpc_Health_V1_HealthCheckResponse {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        return response
    }
}
