import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorStorage

/// Jaeger's v1 JSON query API on 16686 (spec/query-api.md §3).
package enum QueryRoutes {
    /// Adds every route; storage reads run on `pool`, never on an event loop.
    /// - Parameter adjust: the trace adjusters (spec/query-api.md §6.5), skipped when a trace request has `raw=true`.
    package static func add(
        to router: Router<BasicRequestContext>, search: TraceSearch, pool: NIOThreadPool, tenancy: TenantResolver, logger: Logger,
        adjust: @escaping V3Endpoints.Adjust = { $0 }
    ) {
        // Every /api route first resolves the tenant: 401 when the header is missing, 403 when it is not allowed.
        router.add(middleware: TenantMiddleware(tenancy: tenancy, pathPrefix: "/api/"))
        router.get("/api/services") { request, _ -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let items = HTTPSupport.queryItems(request.uri.query)
            let services = try await pool.runIfActive { search.services(tenant: tenant) }
            return json(.ok, UIJSON.stringList(services, pretty: pretty(items)))
        }
        router.get("/api/services/:service/operations") { request, context -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let items = HTTPSupport.queryItems(request.uri.query)
            let service = HTTPSupport.decode(Substring(context.parameters.get("service") ?? ""))
            let names = try await pool.runIfActive {
                var seen = Set<ExactString>()
                return search.operations(tenant: tenant, service: service).map(\.name).filter { seen.insert(ExactString($0)).inserted }
            }
            return json(.ok, UIJSON.stringList(names, pretty: pretty(items)))
        }
        router.get("/api/operations") { request, _ -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let items = HTTPSupport.queryItems(request.uri.query)
            let isPretty = pretty(items)
            guard let service = value("service", items) else {
                return json(.badRequest, UIJSON.error(code: 400, message: "parameter 'service' is required", pretty: isPretty))
            }
            var kind: SpanKind? = nil
            if let kindText = value("spanKind", items) {
                guard let parsed = SpanKind(name: kindText), parsed != .unspecified else {
                    return json(.badRequest, UIJSON.error(code: 400, message: "unsupported span kind: '\(kindText)'", pretty: isPretty))
                }
                kind = parsed
            }
            let wanted = kind
            let operations = try await pool.runIfActive { search.operations(tenant: tenant, service: service, kind: wanted) }
            return json(.ok, UIJSON.operations(operations.map { (name: $0.name, spanKind: $0.kind.name) }, pretty: isPretty))
        }
        router.get("/api/traces") { request, _ -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let items = HTTPSupport.queryItems(request.uri.query)
            let isPretty = pretty(items)
            let parsed: V1SearchRequest
            do throws(QueryParameterError) {
                parsed = try V1SearchRequest.parseV1Search(items, now: Clock.unixNanos())
            } catch {
                return json(.badRequest, UIJSON.error(code: 400, message: error.message, pretty: isPretty))
            }
            do {
                switch parsed {
                case .search(let query, let raw):
                    let traces = try await pool.runIfActive {
                        let found = try search.find(tenant: tenant, query: query)
                        return raw ? found : found.map(adjust)
                    }
                    return json(.ok, UIJSON.traces(traces, pretty: isPretty))
                case .multiGet(let ids, let raw):
                    let (found, missing) = try await pool.runIfActive { () throws -> ([[Span]], [TraceID]) in
                        var found: [[Span]] = []
                        var missing: [TraceID] = []
                        for id in ids {
                            if let spans = try search.trace(tenant: tenant, id: id) {
                                found.append(raw ? spans : adjust(spans))
                            } else {
                                missing.append(id)
                            }
                        }
                        return (found, missing)
                    }
                    return json(.ok, UIJSON.traces(found, notFound: missing, pretty: isPretty))
                }
            } catch {
                logger.error("Search failed", metadata: ["error": "\(error)"])
                return json(.internalServerError, UIJSON.error(code: 500, message: "\(error)", pretty: isPretty))
            }
        }
        router.get("/api/traces/:traceID") { request, context -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let items = HTTPSupport.queryItems(request.uri.query)
            let isPretty = pretty(items)
            let idText = HTTPSupport.decode(Substring(context.parameters.get("traceID") ?? ""))
            let id: TraceID
            do throws(QueryParameterError) {
                id = try TraceIDParam.parse(idText)
            } catch {
                return json(.badRequest, UIJSON.error(code: 400, message: error.message, pretty: isPretty))
            }
            var raw = false
            if let rawText = value("raw", items) {
                do throws(QueryParameterError) {
                    raw = try GoStrconv.parseBool(rawText)
                } catch {
                    let message = "unable to parse param 'raw': " + error.message
                    return json(.badRequest, UIJSON.error(code: 400, message: message, pretty: isPretty))
                }
            }
            let wantsRaw = raw
            do {
                let found = try await pool.runIfActive { () throws -> [Span]? in
                    guard let spans = try search.trace(tenant: tenant, id: id) else { return nil }
                    return wantsRaw ? spans : adjust(spans)
                }
                guard let spans = found else {
                    return json(.notFound, UIJSON.error(code: 404, message: "trace not found", pretty: isPretty))
                }
                return json(.ok, UIJSON.traces([spans], pretty: isPretty))
            } catch {
                logger.error("Trace lookup failed", metadata: ["error": "\(error)"])
                return json(.internalServerError, UIJSON.error(code: 500, message: "\(error)", pretty: isPretty))
            }
        }
        // Copies a trace to the archive (never expired); trace lookups fall back to it.
        router.post("/api/archive/:traceID") { request, context -> Response in
            let tenant = tenancy.tenantOrDefault(request)
            let isPretty = pretty(HTTPSupport.queryItems(request.uri.query))
            let idText = HTTPSupport.decode(Substring(context.parameters.get("traceID") ?? ""))
            let id: TraceID
            do throws(QueryParameterError) {
                id = try TraceIDParam.parse(idText)
            } catch {
                return json(.badRequest, UIJSON.error(code: 400, message: error.message, pretty: isPretty))
            }
            do {
                guard try await pool.runIfActive({ try search.archive(tenant: tenant, id: id) }) else {
                    return json(.notFound, UIJSON.error(code: 404, message: "trace not found", pretty: isPretty))
                }
                return json(.ok, UIJSON.archived(pretty: isPretty))
            } catch {
                logger.error("Archive failed", metadata: ["error": "\(error)"])
                return json(.internalServerError, UIJSON.error(code: 500, message: "\(error)", pretty: isPretty))
            }
        }
        // OTLP/JSON file upload → UI traces (nothing stored, no adjusters).
        router.post("/api/transform") { request, _ -> Response in
            try await TransformRoute.respond(request, pretty: pretty(HTTPSupport.queryItems(request.uri.query)))
        }
        // System Architecture and Monitor tab: /api/dependencies, /api/metrics/*.
        MonitorRoutes.add(to: router, search: search, pool: pool, tenancy: tenancy, logger: logger)
        // Unknown API paths are 404, never the UI's index.html.
        router.get("/api/**") { _, _ -> Response in HTTPSupport.text(.notFound, "404 page not found") }
        // Everything else (`/`, UI assets, deep links) is served by UIRoutes in front of this router.
    }

    private static func value(_ name: String, _ items: [(name: String, value: String)]) -> String? {
        guard let item = items.first(where: { $0.name == name }), !item.value.isEmpty else { return nil }
        return item.value
    }

    private static func pretty(_ items: [(name: String, value: String)]) -> Bool {
        guard let item = items.first(where: { $0.name == "prettyPrint" }) else { return false }
        return item.value != "false"
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        HTTPSupport.response(status, contentType: "application/json", bytes: bytes)
    }
}

/// Health and Prometheus metrics on the admin port (14269).
package enum AdminRoutes {
    /// Adds `/` (health JSON: 200 serving, 503 otherwise) and `/metrics`.
    package static func add(to router: Router<BasicRequestContext>, readiness: Readiness, metrics: @escaping @Sendable () -> [UInt8]) {
        router.get("/") { _, _ -> Response in
            let now = Clock.unixSeconds()
            let since = readiness.upSince
            let upSince = since.map { rfc3339($0) } ?? "0001-01-01T00:00:00Z"
            let uptime = since.map { String(format3(now - $0)) + "s" } ?? "0s"
            if readiness.isServing {
                let body = "{\"status\":\"Server available\",\"upSince\":\"\(upSince)\",\"uptime\":\"\(uptime)\"}"
                return HTTPSupport.response(.ok, contentType: "application/json", bytes: Array(body.utf8))
            }
            let body = "{\"status\":\"Server not available\",\"upSince\":\"\(upSince)\",\"uptime\":\"\(uptime)\"}"
            return HTTPSupport.response(.serviceUnavailable, contentType: "application/json", bytes: Array(body.utf8))
        }
        router.get("/metrics") { _, _ -> Response in
            HTTPSupport.response(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: metrics())
        }
    }

    private static func format3(_ seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        let whole = millis / 1000
        let frac = millis % 1000
        return "\(whole).\(String(repeating: "0", count: 3 - String(frac).count))\(frac)"
    }

    /// RFC 3339 UTC with second precision (the fraction is dropped, as Jaeger's health `upSince` shows it).
    static func rfc3339(_ unixSeconds: Double) -> String {
        RFC3339.formatUTC(unixNanos: UInt64(max(0, unixSeconds.rounded(.down))) * 1_000_000_000)
    }
}

/// Answers 401/403 with Jaeger's error envelope before any `/api/` route runs when the tenant is missing or unknown.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let tenancy: TenantResolver
    let pathPrefix: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard tenancy.configuration.enabled, request.uri.path.hasPrefix(pathPrefix) else { return try await next(request, context) }
        do throws(TenantError) {
            _ = try tenancy.tenant(of: request)
        } catch {
            return HTTPSupport.response(
                error.httpStatus, contentType: "application/json",
                bytes: UIJSON.error(code: Int(error.httpStatus.code), message: error.message))
        }
        return try await next(request, context)
    }
}

extension TenantResolver {
    /// The request's tenant once `TenantMiddleware` has validated it.
    func tenantOrDefault(_ request: Request) -> String {
        (try? tenant(of: request)) ?? TenantResolver.defaultTenant
    }
}
