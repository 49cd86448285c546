import GRPCCore
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorWire

/// `jaeger.api_v2.QueryService` on 16685 (spec/query-api.md §8.1).
///
/// Traces stream as `SpansResponseChunk`s of at most 10 spans, each span carrying its process. Every RPC resolves
/// the tenant from the request metadata (`TenantError.rpcError` on failure); storage reads run on `pool`.
package struct QueryGRPCServiceV2: Jaeger_ApiV2_QueryService.ServiceProtocol {
    private let search: TraceSearch
    private let tenancy: TenantResolver
    private let pool: NIOThreadPool
    private let adjust: V3Endpoints.Adjust

    /// Creates the service; `adjust` is applied to every trace unless the request asks for raw traces.
    package init(search: TraceSearch, tenancy: TenantResolver, pool: NIOThreadPool, adjust: @escaping V3Endpoints.Adjust = { $0 }) {
        self.search = search
        self.tenancy = tenancy
        self.pool = pool
        self.adjust = adjust
    }

    /// Streams one trace. All-zero id → INVALID_ARGUMENT, unknown → NOT_FOUND.
    package func getTrace(
        request: ServerRequest<Jaeger_ApiV2_GetTraceRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Jaeger_ApiV2_SpansResponseChunk> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        guard let id = TraceID(bytes: request.message.traceID) else {
            throw RPCError(code: .invalidArgument, message: "trace ID must be 8 or 16 bytes")
        }
        guard !id.isZero else { throw RPCError(code: .invalidArgument, message: "uninitialized TraceID is not allowed") }
        let search = self.search
        let found = try await QueryGRPCSupport.read(pool) { try search.trace(tenant: tenant, id: id) }
        guard let spans = found else { throw RPCError(code: .notFound, message: "trace not found") }
        let chunks = QueryGRPCSupport.chunks([request.message.rawTraces ? spans : adjust(spans)])
        return StreamingServerResponse { writer in
            try await writer.write(contentsOf: chunks)
            return [:]
        }
    }

    /// Copies a trace to the archive (never expired). Unknown → NOT_FOUND.
    package func archiveTrace(
        request: ServerRequest<Jaeger_ApiV2_ArchiveTraceRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV2_ArchiveTraceResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        guard let id = TraceID(bytes: request.message.traceID) else {
            throw RPCError(code: .invalidArgument, message: "trace ID must be 8 or 16 bytes")
        }
        guard !id.isZero else { throw RPCError(code: .invalidArgument, message: "uninitialized TraceID is not allowed") }
        let search = self.search
        guard try await QueryGRPCSupport.read(pool, { try search.archive(tenant: tenant, id: id) }) else {
            throw RPCError(code: .notFound, message: "trace not found")
        }
        return ServerResponse(message: Jaeger_ApiV2_ArchiveTraceResponse())
    }

    /// Streams the matching traces, newest first; no match ends the stream with no messages.
    package func findTraces(
        request: ServerRequest<Jaeger_ApiV2_FindTracesRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Jaeger_ApiV2_SpansResponseChunk> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        guard request.message.hasQuery else { throw RPCError(code: .invalidArgument, message: "missing query") }
        let params = request.message.query
        let query = QueryGRPCSupport.query(
            service: params.serviceName, operation: params.operationName, tags: params.tags,
            hasMin: params.hasStartTimeMin, min: params.startTimeMin, hasMax: params.hasStartTimeMax, max: params.startTimeMax,
            hasDurationMin: params.hasDurationMin, durationMin: params.durationMin,
            hasDurationMax: params.hasDurationMax, durationMax: params.durationMax, depth: params.searchDepth)
        let search = self.search
        let traces = try await QueryGRPCSupport.read(pool) { try search.find(tenant: tenant, query: query) }
        let chunks = QueryGRPCSupport.chunks(params.rawTraces ? traces : traces.map(adjust))
        return StreamingServerResponse { writer in
            try await writer.write(contentsOf: chunks)
            return [:]
        }
    }

    /// Service names of the tenant, sorted.
    package func getServices(
        request: ServerRequest<Jaeger_ApiV2_GetServicesRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV2_GetServicesResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let search = self.search
        var response = Jaeger_ApiV2_GetServicesResponse()
        response.services = try await QueryGRPCSupport.read(pool) { search.services(tenant: tenant) }
        return ServerResponse(message: response)
    }

    /// Operations of a service (optionally of one span kind); fills both the name list and the operations.
    /// An empty service or unknown span kind → INVALID_ARGUMENT.
    package func getOperations(
        request: ServerRequest<Jaeger_ApiV2_GetOperationsRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV2_GetOperationsResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        let service = request.message.service
        guard !service.isEmpty else { throw RPCError(code: .invalidArgument, message: "service name cannot be empty") }
        let kind = try QueryGRPCSupport.spanKind(request.message.spanKind)
        let search = self.search
        let operations = try await QueryGRPCSupport.read(pool) {
            search.operations(tenant: tenant, service: service, kind: kind)
        }
        var response = Jaeger_ApiV2_GetOperationsResponse()
        var seen = Set<ExactString>()
        for operation in operations {
            if seen.insert(ExactString(operation.name)).inserted { response.operationNames.append(operation.name) }
            var entry = Jaeger_ApiV2_Operation()
            entry.name = operation.name
            entry.spanKind = operation.kind.name
            response.operations.append(entry)
        }
        return ServerResponse(message: response)
    }

    /// Service call links in `[start_time, end_time]` (see `QueryGRPCDependencies`).
    package func getDependencies(
        request: ServerRequest<Jaeger_ApiV2_GetDependenciesRequest>, context: ServerContext
    ) async throws -> ServerResponse<Jaeger_ApiV2_GetDependenciesResponse> {
        let tenant = try QueryGRPCSupport.tenant(tenancy, request.metadata)
        return ServerResponse(
            message: try await QueryGRPCDependencies.v2(request.message, tenant: tenant, search: search, pool: pool))
    }
}
