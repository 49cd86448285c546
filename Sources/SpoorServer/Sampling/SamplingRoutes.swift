import HTTPTypes
import Hummingbird
import NIOCore

/// Remote sampling over HTTP, as Jaeger's agent (5778) and v1 collector (14268) serve it (spec/ingest.md §1.3).
///
/// | route | body |
/// |---|---|
/// | `GET /sampling?service=S` (5778) | proto-JSON, `"strategyType":"PROBABILISTIC"` |
/// | `GET /?service=S` (5778, legacy) | Thrift 0.9.2 JSON, `"strategyType":0` |
/// | `GET /api/sampling?service=S` (14268) | proto-JSON |
///
/// `service` missing or repeated → 400 `'service' parameter must be provided once`.
package enum SamplingRoutes {
    /// The two encodings of a strategy.
    package enum Encoding: Sendable {
        /// Proto-JSON with the enum as a string.
        case proto
        /// Thrift 0.9.2 JSON with the enum as an integer.
        case legacyThrift
    }

    /// Adds `GET /sampling` and the legacy `GET /` (the agent's sampling port, 5778).
    package static func add(to router: Router<BasicRequestContext>, store: SamplingStrategyStore) {
        router.get("/sampling") { request, _ -> Response in
            response(query: request.uri.query, store: store, encoding: .proto)
        }
        router.get("/") { request, _ -> Response in
            response(query: request.uri.query, store: store, encoding: .legacyThrift)
        }
    }

    /// Adds `GET /api/sampling` (the v1 collector's HTTP port, 14268).
    package static func addCollectorRoute(to router: Router<BasicRequestContext>, store: SamplingStrategyStore) {
        router.get("/api/sampling") { request, _ -> Response in
            response(query: request.uri.query, store: store, encoding: .proto)
        }
    }

    /// The answer to a sampling request with raw query string `query`.
    package static func response(query: String?, store: SamplingStrategyStore, encoding: Encoding) -> Response {
        let reply = reply(query: query, store: store, encoding: encoding)
        if reply.status == .ok {
            return HTTPSupport.response(.ok, contentType: "application/json", bytes: Array(reply.body.utf8))
        }
        return HTTPSupport.text(reply.status, reply.body)
    }

    /// Status and body (JSON on success, message text otherwise) of a sampling request.
    package static func reply(
        query: String?, store: SamplingStrategyStore, encoding: Encoding
    ) -> (status: HTTPResponse.Status, body: String) {
        let services = HTTPSupport.queryItems(query).filter { $0.name == "service" }
        guard services.count == 1, let service = services.first?.value else {
            return (.badRequest, "'service' parameter must be provided once")
        }
        let strategy = store.strategy(for: service)
        switch encoding {
        case .proto:
            return (.ok, strategy.protoJSON)
        case .legacyThrift:
            guard let json = strategy.legacyJSON else { return (.internalServerError, "cannot marshall to JSON") }
            return (.ok, json)
        }
    }
}
