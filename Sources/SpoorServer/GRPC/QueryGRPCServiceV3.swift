import GRPCCore
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorWire

/// `jaeger.api_v3.QueryService` on 16685 (spec/query-api.md §8.2).
///
/// Traces stream as OTLP `TracesData`, one message per trace; summaries as one `FindTraceSummariesResponse`.
/// Searches require `start_time_min` and `start_time_max`. Every RPC resolves the tenant from the request metadata;
/// storage reads run on `pool`.
package struct QueryGRPCServiceV3: Jaeger_ApiV3_QueryService.ServiceProtocol {
    private let search: TraceSearch
    private let tenancy: TenantResolver
    private let pool: NIOThreadPool
    private let adjust: V3Endpoints.Adjust

    /// Creates the service; `adjust` is applied to every trace unless the request asks for raw traces (always to
    /// summaries).
    package init(search: TraceSearch, tenancy: TenantResolver, pool: NIOThreadPool, adjust: @escaping V3Endpoints.Adjust = { $0 }) {
        self.search = search
        self.tenancy = tenancy
        self.pool = pool
        self.adjust = adjust
    }

    /// Streams one trace by hex id. Malformed id → INVALID_ARGUMENT, unknown → NOT_FOUND.
    package func getTrace(
        request: ServerRequest<Jaeger_ApiV3_GetTraceRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Opentelemetry_Proto_Trace_V1_TracesData> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let id: TraceID
        do throws(QueryParameterError) {
            id = try TraceIDParam.parse(request.message.traceID)
        } catch {
            throw RPCError(code: .invalidArgument, message: "malform trace ID: \(error.message)")
        }
        guard !id.isZero else { throw RPCError(code: .invalidArgument, message: "uninitialized TraceID is not allowed") }
        let search = self.search
        let found = try await QueryGRPCSupport.read(pool) { try search.trace(tenant: tenant, id: id) }
        guard let spans = found else { throw RPCError(code: .notFound, message: "trace not found") }
        let data = QueryGRPCSupport.tracesData(request.message.rawTraces ? spans : adjust(spans))
        return StreamingServerResponse { writer in
            try await writer.write(data)
            return [:]
        }
    }

    /// Streams the matching traces, newest first, one `TracesData` each; no match ends the stream empty.
    package func findTraces(
        request: ServerRequest<Jaeger_ApiV3_FindTracesRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Opentelemetry_Proto_Trace_V1_TracesData> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let params = request.message.query
        let query = try Self.query(hasQuery: request.message.hasQuery, params)
        let search = self.search
        let traces = try await QueryGRPCSupport.read(pool) { try search.find(tenant: tenant, query: query) }
        let adjust = self.adjust
        let messages = traces.map { QueryGRPCSupport.tracesData(params.rawTraces ? $0 : adjust($0)) }
        return StreamingServerResponse { writer in
            try await writer.write(contentsOf: messages)
            return [:]
        }
    }

    /// Streams the summaries of the matching traces (one message; none when nothing matches).
    package func findTraceSummaries(
        request: ServerRequest<Jaeger_ApiV3_FindTraceSummariesRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Jaeger_ApiV3_FindTraceSummariesResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let query = try Self.query(hasQuery: request.message.hasQuery, request.message.query)
        let search = self.search
        let traces = try await QueryGRPCSupport.read(pool) { try search.find(tenant: tenant, query: query) }
        var response = Jaeger_ApiV3_FindTraceSummariesResponse()
        response.summaries = traces.compactMap { QueryGRPCSupport.summary(adjust($0)) }
        let messages = response.summaries.isEmpty ? [] : [response]
        return StreamingServerResponse { writer in
            try await writer.write(contentsOf: messages)
            return [:]
        }
    }

    /// Service names of the tenant, sorted.
    package func getServices(
        request: ServerRequest<Jaeger_ApiV3_GetServicesRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV3_GetServicesResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let search = self.search
        var response = Jaeger_ApiV3_GetServicesResponse()
        response.services = try await QueryGRPCSupport.read(pool) { search.services(tenant: tenant) }
        return ServerResponse(message: response)
    }

    /// Operations of a service, optionally of one span kind (unspecified kinds shown as `internal`, as over HTTP).
    /// An empty service or unknown span kind → INVALID_ARGUMENT.
    package func getOperations(
        request: ServerRequest<Jaeger_ApiV3_GetOperationsRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV3_GetOperationsResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let service = request.message.service
        guard !service.isEmpty else { throw RPCError(code: .invalidArgument, message: "service name cannot be empty") }
        let kind = try QueryGRPCSupport.spanKind(request.message.spanKind)
        let search = self.search
        // Listed as `GET /api/v3/operations` lists them (a wanted `internal` includes unspecified kinds); the kind is
        // matched case-insensitively here, and an unknown one is INVALID_ARGUMENT.
        let operations = try await QueryGRPCSupport.read(pool) {
            V3Endpoints.shownOperations(search.operations(tenant: tenant, service: service), kind: kind.map(V3JSON.displayKind))
        }
        var response = Jaeger_ApiV3_GetOperationsResponse()
        response.operations = operations.map { operation in
            var entry = Jaeger_ApiV3_Operation()
            entry.name = operation.name
            entry.spanKind = V3JSON.displayKind(operation.kind)
            return entry
        }
        return ServerResponse(message: response)
    }

    /// Service call links in `[start_time, end_time]` (see `QueryGRPCDependencies`).
    package func getDependencies(
        request: ServerRequest<Jaeger_ApiV3_GetDependenciesRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV3_DependenciesResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        return ServerResponse(
            message: try await QueryGRPCDependencies.v3(request.message, tenant: tenant, search: search, pool: pool))
    }

    /// The search of a v3 request; both start-time bounds are required.
    private static func query(hasQuery: Bool, _ params: Jaeger_ApiV3_TraceQueryParameters) throws(RPCError) -> TraceQuery {
        guard hasQuery, params.hasStartTimeMin, params.hasStartTimeMax else {
            throw RPCError(code: .invalidArgument, message: "start time min and max are required parameters")
        }
        return QueryGRPCSupport.query(
            service: params.serviceName, operation: params.operationName, tags: params.attributes,
            hasMin: true, min: params.startTimeMin, hasMax: true, max: params.startTimeMax,
            hasDurationMin: params.hasDurationMin, durationMin: params.durationMin,
            hasDurationMax: params.hasDurationMax, durationMax: params.durationMax, depth: params.searchDepth)
    }
}
