import GRPCCore
import NIOPosix
import SpoorQuery
import SpoorStorage
import SpoorWire
import SwiftProtobuf

/// `GetDependencies` of both gRPC query services (spec/query-api.md §8): links of spans starting in
/// `[start_time, end_time]`, equal (parent, child) merged, sorted by parent then child.
enum QueryGRPCDependencies {
    /// api_v2: both times required (`INVALID_ARGUMENT` "StartTime and EndTime must be initialized."); `source` is left
    /// empty, as Jaeger's memory and Badger stores leave it.
    static func v2(
        _ request: Jaeger_ApiV2_GetDependenciesRequest, tenant: String, search: TraceSearch, pool: NIOThreadPool
    ) async throws -> Jaeger_ApiV2_GetDependenciesResponse {
        guard request.hasStartTime, request.hasEndTime, !isZero(request.startTime), !isZero(request.endTime) else {
            throw RPCError(code: .invalidArgument, message: "StartTime and EndTime must be initialized.")
        }
        let links = try await read(request.startTime, request.endTime, tenant: tenant, search: search, pool: pool)
        var response = Jaeger_ApiV2_GetDependenciesResponse()
        response.dependencies = links.map { link in
            var out = Jaeger_ApiV2_DependencyLink()
            out.parent = link.parent
            out.child = link.child
            out.callCount = link.callCount
            return out
        }
        return response
    }

    /// api_v3: both times required and ordered (`INVALID_ARGUMENT` "startTime and endTime must be non-zero",
    /// "startTime must be less than or equal to endTime").
    static func v3(
        _ request: Jaeger_ApiV3_GetDependenciesRequest, tenant: String, search: TraceSearch, pool: NIOThreadPool
    ) async throws -> Jaeger_ApiV3_DependenciesResponse {
        guard request.hasStartTime, request.hasEndTime, !isZero(request.startTime), !isZero(request.endTime) else {
            throw RPCError(code: .invalidArgument, message: "startTime and endTime must be non-zero")
        }
        guard QueryGRPCSupport.nanos(request.startTime) <= QueryGRPCSupport.nanos(request.endTime) else {
            throw RPCError(code: .invalidArgument, message: "startTime must be less than or equal to endTime")
        }
        let links = try await read(request.startTime, request.endTime, tenant: tenant, search: search, pool: pool)
        var response = Jaeger_ApiV3_DependenciesResponse()
        response.dependencies = links.map { link in
            var out = Jaeger_ApiV3_Dependency()
            out.parent = link.parent
            out.child = link.child
            out.callCount = link.callCount
            return out
        }
        return response
    }

    private static func isZero(_ timestamp: Google_Protobuf_Timestamp) -> Bool {
        timestamp.seconds == 0 && timestamp.nanos == 0
    }

    private static func read(
        _ start: Google_Protobuf_Timestamp, _ end: Google_Protobuf_Timestamp, tenant: String, search: TraceSearch,
        pool: NIOThreadPool
    ) async throws -> [DependencyLink] {
        let request = DependenciesRequest(startNanos: QueryGRPCSupport.nanos(start), endNanos: QueryGRPCSupport.nanos(end))
        let store = search.store
        return try await QueryGRPCSupport.read(pool) { try DependenciesQuery.links(store: store, tenant: tenant, request: request) }
    }
}
