import Foundation
import Testing

@testable import SpoorServer

/// The hand-written fixture with every placeholder (Fixtures/ui/README.md), read relative to this file.
enum UIFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ui").path

    static func indexHTML() throws -> String {
        try String(contentsOfFile: directory + "/index.html", encoding: .utf8)
    }
}

struct IndexHTMLTests {
    static let version = UIVersion(gitCommit: "abc123", gitVersion: "v9.8.7", buildDate: "2026-11-25T00:00:00Z")
    static let versionJSON = #"{"gitCommit":"abc123","gitVersion":"v9.8.7","buildDate":"2026-11-25T00:00:00Z"}"#
    static let storageJSON = #"{"archiveStorage":true,"metricsStorage":true}"#
    static let backendJSON =
        #"{"archiveStorage":true,"metricsStorage":true,"searchWithoutServiceName":true,"aiAssistant":false}"#

    static func render(_ html: String, config: UIConfig?, basePath: BasePath = .root) -> String {
        let bytes = IndexHTML.render(
            Array(html.utf8), config: config, version: version, capabilities: .spoor, basePath: basePath)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The fixture with the substitutions every render makes (version and both capability sets), done by plain text
    /// replacement of the fixture's exact placeholder lines.
    static func alwaysSubstituted(_ html: String) -> String {
        html.replacingOccurrences(of: "JAEGER_VERSION = DEFAULT_VERSION;", with: "JAEGER_VERSION = \(versionJSON);")
            .replacingOccurrences(
                of: "JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;",
                with: "JAEGER_STORAGE_CAPABILITIES = \(storageJSON);")
            .replacingOccurrences(
                of: "JAEGER_BACKEND_CAPABILITIES   =DEFAULT_BACKEND_CAPABILITIES;",
                with: "JAEGER_BACKEND_CAPABILITIES = \(backendJSON);")
    }

    @Test func fixtureHoldsEveryPlaceholder() throws {
        let html = try UIFixture.indexHTML()
        for placeholder in [
            "// JAEGER_CONFIG_JS", "JAEGER_CONFIG = DEFAULT_CONFIG;", "JAEGER_VERSION = DEFAULT_VERSION;",
            "JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;", "DEFAULT_BACKEND_CAPABILITIES;", #"<base href="/""#,
        ] {
            #expect(html.contains(placeholder), "missing \(placeholder)")
        }
    }

    @Test func withoutConfigOnlyVersionAndCapabilitiesChange() throws {
        let html = try UIFixture.indexHTML()
        let rendered = Self.render(html, config: nil)
        #expect(rendered == Self.alwaysSubstituted(html))
        #expect(rendered.contains("JAEGER_CONFIG = DEFAULT_CONFIG;"))
        #expect(rendered.contains("// JAEGER_CONFIG_JS"))
        #expect(!rendered.contains("DEFAULT_VERSION;"))
        #expect(rendered.contains(#"<base href="/" data-inject-target"#))
    }

    @Test func jsonConfigReplacesTheConfigAssignment() throws {
        let html = try UIFixture.indexHTML()
        let json = #"{"dependencies":{"menuEnabled":false},"menu":[]}"#
        let rendered = Self.render(html, config: .json(json))
        let expected = Self.alwaysSubstituted(html)
            .replacingOccurrences(of: "JAEGER_CONFIG = DEFAULT_CONFIG;", with: "JAEGER_CONFIG = \(json);")
        #expect(rendered == expected)
        #expect(rendered.contains("// JAEGER_CONFIG_JS"))
    }

    @Test func jsConfigReplacesTheMarkerLineAndTheLineAfterIt() throws {
        let html = try UIFixture.indexHTML()
        let script = "function UIConfig() {\n  return { menu: [] };\n}"
        let rendered = Self.render(html, config: .javascript(script))
        let markerLines = "      // JAEGER_CONFIG_JS\n      // this line is replaced together with the marker line above."
        #expect(html.contains(markerLines))
        let expected = Self.alwaysSubstituted(html).replacingOccurrences(of: markerLines, with: script)
        #expect(rendered == expected)
        #expect(rendered.contains("JAEGER_CONFIG = DEFAULT_CONFIG;"))
    }

    @Test(arguments: [("/", false), ("/jaeger", true)])
    func basePathRewritesTheBaseHref(path: String, rewritten: Bool) throws {
        let html = try UIFixture.indexHTML()
        let basePath = try BasePath(validating: path)
        let rendered = Self.render(html, config: nil, basePath: basePath)
        let expected = rewritten
            ? Self.alwaysSubstituted(html).replacingOccurrences(of: #"<base href="/""#, with: #"<base href="/jaeger/""#)
            : Self.alwaysSubstituted(html)
        #expect(rendered == expected)
        #expect(rendered.contains(#"<base href="/jaeger/""#) == rewritten)
    }

    @Test func configJSPatternFollowsGoRegexSemantics() {
        let script = Array("SCRIPT".utf8)
        func apply(_ text: String) -> String {
            String(decoding: IndexHTML.replaceConfigJSComment(in: Array(text.utf8), with: script), as: UTF8.self)
        }
        // Case-insensitive marker, CRLF lines (`.` takes the `\r`), whitespace before `//` spanning blank lines.
        #expect(apply("a\n  // jaeger_config_js here\r\nnext\r\nkeep") == "a\nSCRIPT\nkeep")
        #expect(apply("a\n\n \t//JAEGER_CONFIG_JS\nnext") == "a\nSCRIPT")
        // Not at a line start, or no following newline: no match.
        #expect(apply("x // JAEGER_CONFIG_JS\nnext") == "x // JAEGER_CONFIG_JS\nnext")
        #expect(apply("// JAEGER_CONFIG_JS") == "// JAEGER_CONFIG_JS")
        // Every match is replaced.
        #expect(apply("// JAEGER_CONFIG_JS\n1\n// JAEGER_CONFIG_JS\n2") == "SCRIPT\nSCRIPT")
    }

    @Test(arguments: [
        ("JAEGER_VERSION=DEFAULT_VERSION;", "JAEGER_VERSION = V;"),
        ("JAEGER_VERSION  =  DEFAULT_VERSION; JAEGER_VERSION = DEFAULT_VERSION;", "JAEGER_VERSION = V; JAEGER_VERSION = V;"),
        ("JAEGER_VERSION\t= DEFAULT_VERSION;", "JAEGER_VERSION\t= DEFAULT_VERSION;"),
        ("JAEGER_VERSION = DEFAULT_VERSION", "JAEGER_VERSION = DEFAULT_VERSION"),
    ])
    func assignmentPatternAllowsOnlySpacesAroundEquals(input: String, expected: String) {
        let out = IndexHTML.replaceAssignments(
            in: Array(input.utf8), name: "JAEGER_VERSION", defaultName: "DEFAULT_VERSION", with: "V")
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }
}
