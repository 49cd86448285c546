import HTTPTypes
import Hummingbird
import Logging
import NIOPosix
import SpoorQuery
import SpoorStorage

/// The System Architecture and Monitor tab endpoints of the v1 API (spec/query-api.md §3.8, §7):
/// `GET /api/dependencies`, `GET /api/metrics/{latencies,calls,errors}` and `GET /api/metrics/minstep`.
///
/// Bad parameters answer 400 and storage failures 500, both in the v1 error envelope; storage reads run on `pool`.
enum MonitorRoutes {
    /// Smallest useful step in ms: the rollups' minute resolution.
    static let minStepMillis: Int64 = 60_000

    /// Adds the routes (before the `/api/**` catch-all).
    static func add(
        to router: Router<BasicRequestContext>, search: TraceSearch, pool: NIOThreadPool, tenancy: TenantResolver, logger: Logger
    ) {
        let store = search.store
        router.get("/api/dependencies") { request, _ -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let items = HTTPSupport.queryItems(request.uri.query)
            let isPretty = pretty(items)
            let parsed: DependenciesRequest
            do throws(QueryParameterError) {
                parsed = try DependenciesRequest.parse(items, nowNanos: Clock.unixNanos())
            } catch {
                return json(.badRequest, UIJSON.error(code: 400, message: error.message, pretty: isPretty))
            }
            do {
                let links = try await pool.runIfActive { try DependenciesQuery.links(store: store, tenant: tenant, request: parsed) }
                return json(.ok, UIJSON.dependencies(links, pretty: isPretty))
            } catch {
                logger.error("Dependencies query failed", metadata: ["error": "\(error)"])
                return json(.internalServerError, UIJSON.error(code: 500, message: "\(error)", pretty: isPretty))
            }
        }
        for kind in MetricKind.allCases {
            router.get("/api/metrics/\(kind.rawValue)") { request, _ -> Response in
                let tenant = tenancy.tenantOrDefault(request)
                let items = HTTPSupport.queryItems(request.uri.query)
                let isPretty = pretty(items)
                let parsed: MetricsRequest
                do throws(QueryParameterError) {
                    parsed = try MetricsRequest.parse(kind, items, nowNanos: Clock.unixNanos())
                } catch {
                    return json(.badRequest, UIJSON.error(code: 400, message: error.message, pretty: isPretty))
                }
                do {
                    let family = try await pool.runIfActive {
                        try MetricsQuery.family(store: store, tenant: tenant, kind: kind, request: parsed)
                    }
                    return json(.ok, MetricsJSON.family(family, pretty: isPretty))
                } catch {
                    logger.error("Metrics query failed", metadata: ["error": "\(error)", "metric": "\(kind.rawValue)"])
                    return json(.internalServerError, UIJSON.error(code: 500, message: "\(error)", pretty: isPretty))
                }
            }
        }
        router.get("/api/metrics/minstep") { request, _ -> Response in
            json(.ok, UIJSON.minStep(millis: minStepMillis, pretty: pretty(HTTPSupport.queryItems(request.uri.query))))
        }
    }

    private static func pretty(_ items: [(name: String, value: String)]) -> Bool {
        guard let item = items.first(where: { $0.name == "prettyPrint" }) else { return false }
        return item.value != "false"
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        HTTPSupport.response(status, contentType: "application/json", bytes: bytes)
    }
}
