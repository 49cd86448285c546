import HTTPTypes
import Hummingbird

/// The query port's front door: applies `--query.base-path` to every route and sends non-API GETs to the UI.
///
/// ```
/// {base}/api/...           -> inner router, path rewritten to /api/... (tenancy, v1, api_v3, /api/** 404)
/// {base}/<anything else>   -> GET/HEAD: UIRoutes (files, index.html); other methods: inner router
/// {base}                   -> 301 to {base}/
/// outside {base}           -> 404 "404 page not found"
/// ```
///
/// Rewriting before routing keeps the inner router's routes and middleware written against `/api/...`.
package struct UIBasePathResponder<Inner: HTTPResponder>: HTTPResponder {
    package typealias Context = Inner.Context

    private let inner: Inner
    private let basePath: BasePath
    private let ui: UIRoutes

    /// Wraps `inner` (normally the built query router).
    package init(inner: Inner, basePath: BasePath, ui: UIRoutes) {
        self.inner = inner
        self.basePath = basePath
        self.ui = ui
    }

    package func respond(to request: Request, context: Context) async throws -> Response {
        let isRead = request.method == .get || request.method == .head
        switch basePath.match(request.uri.path) {
        case .outside:
            return UIRoutes.notFoundResponse
        case .bare:
            guard isRead else { return UIRoutes.notFoundResponse }
            let location = basePath.directory + (request.uri.query.map { "?" + $0 } ?? "")
            return Response(status: .movedPermanently, headers: [.location: location, .contentLength: "0"])
        case .inside(let path):
            if Self.isAPI(path) || !isRead {
                let response = try await inner.respond(to: rewritten(request, path: path), context: context)
                // The router answers "no route" with a bare 404; Jaeger's is Go's plain-text one (never the UI).
                if response.status == .notFound, response.headers[.contentType] == nil { return UIRoutes.notFoundResponse }
                return response
            }
            return try await ui.respond(path: path, request: request)
        }
    }

    /// True for `/api` and everything under `/api/`: those paths are never answered with the UI.
    package static func isAPI(_ path: String) -> Bool {
        path == "/api" || path.utf8.starts(with: "/api/".utf8)
    }

    private func rewritten(_ request: Request, path: String) -> Request {
        guard !basePath.isRoot else { return request }
        var head = request.head
        head.path = path + (request.uri.query.map { "?" + $0 } ?? "")
        return Request(head: head, body: request.body)
    }
}

/// Builds the router, then wraps it in `UIBasePathResponder`.
package struct UIBasePathResponderBuilder<Builder: HTTPResponderBuilder>: HTTPResponderBuilder {
    private let router: Builder
    private let basePath: BasePath
    private let ui: UIRoutes

    /// Wraps `router`'s responder.
    package init(router: Builder, basePath: BasePath, ui: UIRoutes) {
        self.router = router
        self.basePath = basePath
        self.ui = ui
    }

    package func buildResponder() -> UIBasePathResponder<Builder.Responder> {
        UIBasePathResponder(inner: router.buildResponder(), basePath: basePath, ui: ui)
    }
}
