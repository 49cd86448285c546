import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorTestSupport
import Synchronization
import Testing

@testable import SpoorServer

/// The query port end to end without a socket: the real v1/v3 router behind `UIBasePathResponder`.
struct UIRoutesTests {
    /// A UI build in a temporary folder: the fixture index.html, a plain JS file, a gzip-only CSS file, a favicon,
    /// and a secret file outside the folder reachable through symlinks.
    struct Build {
        let directory = TemporaryDirectory(prefix: "spoor-ui")
        var root: String { directory.path + "/build" }
        var secret: String { directory.path + "/secret.txt" }
        static let js = "console.log('spoor ui');\n"
        static let css = "body { color: black; }\n"
        static let secretText = "top secret"

        init() throws {
            for folder in ["/build", "/build/static", "/build/static/js", "/build/static/css"] {
                mkdir(directory.path + folder, 0o755)
            }
            try String(contentsOfFile: UIFixture.directory + "/index.html", encoding: .utf8)
                .write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
            try Self.js.write(toFile: root + "/static/js/main.abc.js", atomically: true, encoding: .utf8)
            try Self.css.write(toFile: root + "/static/css/main.css", atomically: true, encoding: .utf8)
            #expect(system("gzip '\(root)/static/css/main.css'") == 0)
            try Data([0, 0, 1, 0]).write(to: URL(fileURLWithPath: root + "/favicon.ico"))
            try Self.secretText.write(toFile: secret, atomically: true, encoding: .utf8)
            symlink(secret, root + "/static/js/leak.js")
            symlink(directory.path, root + "/static/up")
        }

        func cleanup() { directory.cleanup() }
    }

    /// One response, body collected.
    struct Reply {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    final class Collected: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    struct CollectingWriter: ResponseBodyWriter {
        let into: Collected
        mutating func write(_ buffer: ByteBuffer) async throws { into.bytes.withLock { $0 += buffer.readableBytesView } }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// Runs `body` with a `send(path, headers)` function talking to the query port's responder, over a store holding
    /// `spans` in the default tenant.
    static func withQueryPort(
        basePath: String, staticFiles: String?, uiConfig: String? = nil, tenancy: TenancyConfiguration = TenancyConfiguration(),
        spans: [Span] = [], _ body: (_ send: (String, HTTPFields) async throws -> Reply) async throws -> Void
    ) async throws {
        let storeDirectory = TemporaryDirectory()
        defer { storeDirectory.cleanup() }
        let store = try TestStores.open(storeDirectory)
        defer { store.close() }
        if !spans.isEmpty {
            let now = UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
            _ = try store.write([store.prepare(tenant: TenantResolver.defaultTenant, spans: spans)], now: now)
        }
        var configuration = SpoorServerConfiguration(
            compactUDP: nil, binaryUDP: nil, thriftHTTP: nil, otlpGRPC: nil, otlpHTTP: nil, queryHTTP: nil, admin: nil,
            queueSpans: 10, queueBytes: 1 << 20, maxRequestBytes: 1 << 20)
        configuration.basePath = try BasePath(validating: basePath)
        configuration.staticFilesPath = staticFiles
        configuration.uiConfigPath = uiConfig
        let search = TraceSearch(store: store)
        let resolver = TenantResolver(tenancy)
        let router = Router()
        V3Routes.add(to: router, search: search, pool: .singleton, tenancy: resolver, logger: TestStores.logger)
        QueryRoutes.add(to: router, search: search, pool: .singleton, tenancy: resolver, logger: TestStores.logger)
        let ui = try UIRoutes.load(configuration: configuration, pool: .singleton, logger: TestStores.logger)
        let responder = UIBasePathResponderBuilder(router: router, basePath: configuration.basePath, ui: ui).buildResponder()
        // A request context needs a channel; a UDP socket on port 0 is the cheapest real one.
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let context = BasicRequestContext(source: .init(channel: channel, logger: TestStores.logger))
        do {
            try await body { path, headers in
                let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path, headerFields: headers)
                let response = try await responder.respond(to: Request(head: head, body: RequestBody(buffer: ByteBuffer())), context: context)
                let collected = Collected()
                try await response.body.write(CollectingWriter(into: collected))
                return Reply(status: response.status, headers: response.headers, body: collected.bytes.withLock { $0 })
            }
        } catch {
            try? await channel.close()
            throw error
        }
        try await channel.close()
    }

    @Test func routesWorkUnderTheBasePathAndNowhereElse() async throws {
        let build = try Build()
        defer { build.cleanup() }
        try await Self.withQueryPort(basePath: "/jaeger/", staticFiles: build.root) { send in
            let services = try await send("/jaeger/api/services", [:])
            #expect(services.status == .ok)
            #expect(services.headers[.contentType] == "application/json")
            #expect(services.text.hasPrefix(#"{"data":[]"#))

            let v3 = try await send("/jaeger/api/v3/services", [:])
            #expect(v3.status == .ok)
            #expect(v3.text.contains("services"))

            for outside in ["/api/services", "/api/v3/services", "/search", "/static/js/main.abc.js", "/"] {
                let reply = try await send(outside, [:])
                #expect(reply.status == .notFound, "\(outside)")
                #expect(reply.text == "404 page not found\n", "\(outside)")
            }

            let bare = try await send("/jaeger?x=1", [:])
            #expect(bare.status == .movedPermanently)
            #expect(bare.headers[.location] == "/jaeger/?x=1")
        }
    }

    @Test(arguments: ["/jaeger/api/x", "/jaeger/api/v3/nothing", "/jaeger/api", "/jaeger/api/"])
    func unknownAPIPathsArePlainText404(path: String) async throws {
        let build = try Build()
        defer { build.cleanup() }
        try await Self.withQueryPort(basePath: "/jaeger", staticFiles: build.root) { send in
            let reply = try await send(path, [:])
            #expect(reply.status == .notFound)
            #expect(reply.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(reply.text == "404 page not found\n")
        }
    }

    @Test(arguments: ["/jaeger/", "/jaeger/search", "/jaeger/trace/abc123?uiFind=x", "/jaeger/index.html", "/jaeger/dependencies"])
    func spaPathsReturnTheProcessedIndex(path: String) async throws {
        let build = try Build()
        defer { build.cleanup() }
        try await Self.withQueryPort(basePath: "/jaeger", staticFiles: build.root) { send in
            let reply = try await send(path, [:])
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "text/html; charset=utf-8")
            #expect(reply.text.contains(#"<base href="/jaeger/""#))
            #expect(reply.text.contains(#"JAEGER_VERSION = {"gitCommit":"#))
            #expect(reply.text.contains(IndexHTMLTests.backendJSON))
        }
    }

    @Test func staticFilesAreServedWithTheirContentType() async throws {
        let build = try Build()
        defer { build.cleanup() }
        try await Self.withQueryPort(basePath: "/", staticFiles: build.root) { send in
            let js = try await send("/static/js/main.abc.js", [:])
            #expect(js.status == .ok)
            #expect(js.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(js.text == Build.js)

            let icon = try await send("/favicon.ico", [:])
            #expect(icon.status == .ok)
            #expect(icon.headers[.contentType] == "image/x-icon")
            #expect(icon.body == [0, 0, 1, 0])

            let missing = try await send("/static/js/nothing.js", [:])
            #expect(missing.status == .notFound)
        }
    }

    @Test func gzipOnlyFilesAreDecompressedOrSentEncoded() async throws {
        let build = try Build()
        defer { build.cleanup() }
        try await Self.withQueryPort(basePath: "/", staticFiles: build.root) { send in
            let plain = try await send("/static/css/main.css", [:])
            #expect(plain.status == .ok)
            #expect(plain.headers[.contentType] == "text/css; charset=utf-8")
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.text == Build.css)

            let encoded = try await send("/static/css/main.css", [.acceptEncoding: "br, gzip;q=0.8"])
            #expect(encoded.headers[.contentType] == "text/css; charset=utf-8")
            #expect(encoded.headers[.contentEncoding] == "gzip")
            #expect(encoded.body.starts(with: [0x1F, 0x8B]))

            let refused = try await send("/static/css/main.css", [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
            #expect(refused.text == Build.css)
        }
    }

    @Test(arguments: [
        "/static/../../secret.txt", "/static/%2e%2e/%2E%2E/secret.txt", "/..%2fsecret.txt", "/static/js/leak.js",
        "/static/up/secret.txt", "/static/js/%00main.abc.js",
    ])
    func pathsOutsideTheFolderAreRefused(path: String) async throws {
        let build = try Build()
        defer { build.cleanup() }
        try await Self.withQueryPort(basePath: "/", staticFiles: build.root) { send in
            let reply = try await send(path, [:])
            #expect(!reply.text.contains(Build.secretText))
            #expect(reply.status == .notFound || reply.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test func withoutAUIFolderTheRootExplainsHowToConfigureOne() async throws {
        try await Self.withQueryPort(basePath: "/jaeger", staticFiles: nil) { send in
            let root = try await send("/jaeger/", [:])
            #expect(root.status == .ok)
            #expect(root.headers[.contentType] == "text/html; charset=utf-8")
            #expect(root.text.contains("--query.static-files"))
            #expect(root.text.contains("/jaeger/api/services"))
            let other = try await send("/jaeger/search", [:])
            #expect(other.status == .notFound)
        }
    }

    @Test func uiPathsNeedNoTenantButTheAPIDoes() async throws {
        let build = try Build()
        defer { build.cleanup() }
        var tenancy = TenancyConfiguration()
        tenancy.enabled = true
        try await Self.withQueryPort(basePath: "/jaeger", staticFiles: build.root, tenancy: tenancy) { send in
            let page = try await send("/jaeger/search", [:])
            #expect(page.status == .ok)
            let asset = try await send("/jaeger/static/js/main.abc.js", [:])
            #expect(asset.status == .ok)
            let anonymous = try await send("/jaeger/api/services", [:])
            #expect(anonymous.status == .unauthorized)
            let tenant = HTTPField.Name("x-tenant").map { [$0: "acme"] as HTTPFields } ?? [:]
            let named = try await send("/jaeger/api/services", tenant)
            #expect(named.status == .ok)
        }
    }

    @Test func uiConfigIsSubstitutedAndBadConfigStopsStartup() async throws {
        let build = try Build()
        defer { build.cleanup() }
        let config = build.directory.path + "/ui.json"
        try #"{ "menu": [] }"#.write(toFile: config, atomically: true, encoding: .utf8)
        try await Self.withQueryPort(basePath: "/", staticFiles: build.root, uiConfig: config) { send in
            let index = try await send("/search", [:])
            #expect(index.text.contains(#"JAEGER_CONFIG = {"menu":[]};"#))
        }
        let script = build.directory.path + "/ui.js"
        try "const x = 1;".write(toFile: script, atomically: true, encoding: .utf8)
        await #expect(throws: UIConfigError.missingUIConfigFunction(path: script)) {
            try await Self.withQueryPort(basePath: "/", staticFiles: build.root, uiConfig: script) { _ in }
        }
        await #expect(throws: UIBundleError.self) {
            try await Self.withQueryPort(basePath: "/", staticFiles: build.directory.path + "/nothing") { _ in }
        }
    }
}
