import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// Answers the query port's non-API GET requests: the Jaeger UI build when one is configured, else a landing page.
///
/// - `/`, `/index.html` and any path that is not a file of the build: the processed `index.html` (SPA routing).
/// - Files of the build (`/static/...`, `/favicon.ico`, ...): served with their content type; `X` may come from
///   `X.gz`. A missing file under `/static/` is 404, never index.html (a browser would parse HTML as a script).
/// - Without a build, `/` explains how to configure one and every other path is 404.
package struct UIRoutes: Sendable {
    /// The UI build; nil when `--query.static-files` is not set.
    package let bundle: UIBundle?
    /// The prefix the listener lives under (shown in the landing page links).
    package let basePath: BasePath
    private let pool: NIOThreadPool

    /// Creates the handler; file reads run on `pool`.
    package init(bundle: UIBundle?, basePath: BasePath, pool: NIOThreadPool) {
        self.bundle = bundle
        self.basePath = basePath
        self.pool = pool
    }

    /// A response before it becomes a Hummingbird `Response`.
    package struct Reply: Sendable, Equatable {
        package var status: HTTPResponse.Status
        package var contentType: String
        package var contentEncoding: String?
        package var body: [UInt8]
    }

    /// Answers a GET for `path` (relative to the base path, starting with `/`).
    package func respond(path: String, request: Request) async throws -> Response {
        let acceptsGzip = Self.acceptsGzip(request.headers[values: .acceptEncoding])
        let reply = try await pool.runIfActive { self.reply(path: path, acceptsGzip: acceptsGzip) }
        var headers: HTTPFields = [:]
        if let encoding = reply.contentEncoding {
            headers[.contentEncoding] = encoding
            headers[.vary] = "Accept-Encoding"
        }
        return HTTPSupport.response(reply.status, contentType: reply.contentType, bytes: reply.body, extraHeaders: headers)
    }

    /// The reply for `path`; blocks on file reads.
    package func reply(path: String, acceptsGzip: Bool) -> Reply {
        guard let bundle else {
            if path == "/" { return Reply(status: .ok, contentType: Self.html, body: Array(landingPage.utf8)) }
            return Self.notFound
        }
        if path == "/" || path == "/index.html" { return index(bundle) }
        if let asset = bundle.asset(forRequestPath: path) {
            do {
                let body = try bundle.contents(of: asset, keepGzip: acceptsGzip)
                let name = asset.gzipped ? String(asset.path.dropLast(3)) : asset.path
                return Reply(
                    status: .ok, contentType: UIContentType.forFile(name),
                    contentEncoding: asset.gzipped && acceptsGzip ? "gzip" : nil, body: body)
            } catch {
                return Reply(status: .internalServerError, contentType: Self.text, body: Array("cannot read file\n".utf8))
            }
        }
        if path.hasPrefix("/static/") { return Self.notFound }
        return index(bundle)
    }

    private func index(_ bundle: UIBundle) -> Reply {
        Reply(status: .ok, contentType: Self.html, body: bundle.indexHTML())
    }

    /// Go's plain-text 404, as Jaeger answers unknown paths.
    package static let notFound = Reply(status: .notFound, contentType: text, body: Array("404 page not found\n".utf8))

    /// The 404 reply as a response.
    package static var notFoundResponse: Response {
        HTTPSupport.response(notFound.status, contentType: notFound.contentType, bytes: notFound.body)
    }

    private static let html = "text/html; charset=utf-8"
    private static let text = "text/plain; charset=utf-8"

    /// True when an `Accept-Encoding` list allows gzip (`gzip`, `x-gzip` or `*` without `q=0`).
    package static func acceptsGzip(_ values: [String]) -> Bool {
        for value in values.prefix(16) {
            for item in value.split(separator: ",").prefix(64) {
                let parts = item.split(separator: ";")
                guard let name = parts.first?.trimmingSpaces.lowercased(), ["gzip", "x-gzip", "*"].contains(name) else { continue }
                let refused = parts.dropFirst().contains { parameter in
                    let pair = parameter.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2, pair[0].trimmingSpaces.lowercased() == "q" else { return false }
                    return Double(pair[1].trimmingSpaces) == 0
                }
                if !refused { return true }
            }
        }
        return false
    }

    /// The page shown on `/` when no UI build is configured.
    var landingPage: String {
        let base = Self.escapeHTML(basePath.isRoot ? "" : basePath.prefix)
        let endpoints = [
            "/api/services", "/api/services/{service}/operations", "/api/operations?service=…", "/api/traces?service=…",
            "/api/traces/{traceID}", "/api/dependencies?endTs=…&lookback=…", "/api/v3/services", "/api/v3/operations?service=…",
            "/api/v3/trace-summaries?query.service_name=…", "/api/v3/traces/{traceID}",
        ]
        let items = endpoints.map { "<li><code>\(base)\(Self.escapeHTML($0))</code></li>" }.joined(separator: "\n")
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Spoor</title></head><body>
            <h1>Spoor \(SpoorVersion.version)</h1>
            <p>Jaeger-compatible tracing backend. No UI build is configured.</p>
            <p>To serve the Jaeger UI here, start Spoor with <code>--query.static-files /path/to/jaeger-ui/build</code>
            (a folder holding the UI's <code>index.html</code> and <code>static/</code>; gzipped builds work too), optionally
            with <code>--query.ui-config ui-config.json</code>.</p>
            <p>JSON API:</p>
            <ul>
            \(items)
            </ul>
            </body></html>

            """
    }

    static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

extension UIRoutes {
    /// Opens the UI folder and UI config file named in `configuration`, so a bad one stops startup.
    /// - Throws: `UIBundleError` or `UIConfigError`.
    package static func load(configuration: SpoorServerConfiguration, pool: NIOThreadPool, logger: Logger) throws -> UIRoutes {
        let configSource = try configuration.uiConfigPath.map { path throws(UIConfigError) in
            try UIConfigSource(path: path, logger: logger)
        }
        guard let directory = configuration.staticFilesPath else {
            if let configSource {
                logger.warning(
                    "UI config ignored: no UI build is served (set --query.static-files)",
                    metadata: ["file.path": "\(configSource.path)"])
            }
            return UIRoutes(bundle: nil, basePath: configuration.basePath, pool: pool)
        }
        let bundle = try UIBundle(directory: directory, configSource: configSource, basePath: configuration.basePath)
        logger.info(
            "Serving the Jaeger UI", metadata: ["ui.path": "\(bundle.root)", "ui.base_path": "\(configuration.basePath)"])
        return UIRoutes(bundle: bundle, basePath: configuration.basePath, pool: pool)
    }
}
