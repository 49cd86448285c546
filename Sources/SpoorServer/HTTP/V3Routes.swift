import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SpoorModel
import SpoorQuery

/// The api_v3 HTTP endpoints on the query port (spec/query-api.md §4), used by Jaeger UI ≥ v2.15 and Grafana.
///
/// Errors answer `{"error":{"httpCode":N,"message":"…"}}`: 400 bad parameter, 401/403 tenant, 404 no trace,
/// 500 storage.
package enum V3Routes {
    /// Adds `GET /api/v3/services`, `/api/v3/operations`, `/api/v3/trace-summaries`, `/api/v3/traces` and
    /// `/api/v3/traces/{trace_id}`; storage reads run on `pool`, never on an event loop.
    /// - Parameter adjust: the trace adjusters (identity until adjusters exist).
    package static func add(
        to router: Router<BasicRequestContext>, search: TraceSearch, pool: NIOThreadPool, tenancy: TenantResolver,
        logger: Logger, adjust: @escaping V3Endpoints.Adjust = { $0 }
    ) {
        let endpoints = V3Endpoints(search: search, adjust: adjust)
        var logger = logger
        logger[metadataKey: "component"] = "query-v3"
        let log = logger

        router.get("/api/v3/services") { request, _ -> Response in
            try await respond(request, tenancy: tenancy, pool: pool, logger: log) { tenant, _ in
                endpoints.services(tenant: tenant)
            }
        }
        router.get("/api/v3/operations") { request, _ -> Response in
            try await respond(request, tenancy: tenancy, pool: pool, logger: log) { (tenant, items) throws(V3Failure) in
                endpoints.operations(tenant: tenant, items: items)
            }
        }
        router.get("/api/v3/trace-summaries") { request, _ -> Response in
            try await respond(request, tenancy: tenancy, pool: pool, logger: log) { (tenant, items) throws(V3Failure) in
                try endpoints.traceSummaries(tenant: tenant, items: items)
            }
        }
        router.get("/api/v3/traces") { request, _ -> Response in
            try await respond(request, tenancy: tenancy, pool: pool, logger: log) { (tenant, items) throws(V3Failure) in
                try endpoints.traces(tenant: tenant, items: items)
            }
        }
        router.get("/api/v3/traces/:trace_id") { request, context -> Response in
            let traceID = HTTPSupport.decode(Substring(context.parameters.get("trace_id") ?? ""))
            return try await respond(request, tenancy: tenancy, pool: pool, logger: log) { (tenant, items) throws(V3Failure) in
                try endpoints.trace(tenant: tenant, traceID: traceID, items: items)
            }
        }
    }

    /// Resolves the tenant, runs `body` on the pool and renders its body or failure.
    private static func respond(
        _ request: Request, tenancy: TenantResolver, pool: NIOThreadPool, logger: Logger,
        _ body: @escaping @Sendable (String, [(name: String, value: String)]) throws(V3Failure) -> [UInt8]
    ) async throws -> Response {
        let tenant: String
        do throws(TenantError) {
            tenant = try tenancy.tenant(of: request)
        } catch {
            return json(error.httpStatus, V3JSON.error(httpCode: Int(error.httpStatus.code), message: error.message))
        }
        let items = HTTPSupport.queryItems(request.uri.query)
        let outcome = try await pool.runIfActive { () -> Result<[UInt8], V3Failure> in
            do throws(V3Failure) {
                return .success(try body(tenant, items))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let bytes):
            return json(.ok, bytes)
        case .failure(let failure):
            if case .storage = failure {
                logger.error("Query failed", metadata: ["error": "\(failure.message)", "http.path": "\(request.uri.path)"])
            }
            return json(HTTPResponse.Status(code: failure.httpCode), failure.body)
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        HTTPSupport.response(status, contentType: "application/json", bytes: bytes)
    }
}
