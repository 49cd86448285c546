import Foundation
import SpoorTestSupport
import Synchronization
import Testing

@testable import SpoorServer

struct UIConfigSourceTests {
    @Test func jsonConfigIsCompactedAndSafeInsideAScript() throws {
        let json = "{\n  \"menu\": [ { \"label\": \"a <b> & c\", \"url\": \"x\\\"y\" } ],\n  \"n\": 1.50\n}\n"
        let config = try UIConfigSource.parse(Array(json.utf8), path: "ui.JSON")
        #expect(config == .json(#"{"menu":[{"label":"a \u003cb\u003e \u0026 c","url":"x\"y"}],"n":1.50}"#))
    }

    @Test(arguments: ["[1,2]", "{", "not json", "\"text\"", ""])
    func jsonThatIsNotOneObjectIsRefused(text: String) {
        #expect(throws: UIConfigError.invalidJSON(path: "c.json")) {
            try UIConfigSource.parse(Array(text.utf8), path: "c.json")
        }
    }

    @Test(arguments: [
        "function UIConfig() { return {}; }", "function  UIConfig ( ) {return {}}", "\n  function\tUIConfig(){}\n",
        "var x = 1;\nfunction UIConfig () { return { a: 1 }; }",
    ])
    func scriptDefiningUIConfigIsAcceptedAndTrimmed(script: String) throws {
        let config = try UIConfigSource.parse(Array(script.utf8), path: "/etc/ui.js")
        let trimmed = script.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(config == .javascript(trimmed))
    }

    @Test(arguments: ["function UIConfigX() {}", "function UIConfig(a) {}", "functionUIConfig() {}", "const UIConfig = () => ({})", "function UIConfig()  {}"])
    func scriptWithoutUIConfigFunctionIsRefused(script: String) {
        #expect(throws: UIConfigError.missingUIConfigFunction(path: "ui.js")) {
            try UIConfigSource.parse(Array(script.utf8), path: "ui.js")
        }
    }

    @Test func otherExtensionsAreRefused() {
        #expect(throws: UIConfigError.unsupportedExtension(path: "ui.yaml")) {
            try UIConfigSource.parse(Array("{}".utf8), path: "ui.yaml")
        }
    }

    @Test func missingFileFailsAtStartup() {
        #expect(throws: UIConfigError.self) {
            try UIConfigSource(path: "/nonexistent/spoor-ui.json", logger: TestStores.logger)
        }
    }

    @Test func fileIsReReadAtMostEveryTenSecondsAndABadReloadKeepsTheLastConfig() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/ui.json"
        try #"{"v":1}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let clock = Mutex<UInt64>(1_000)
        let source = try UIConfigSource(path: path, logger: TestStores.logger, now: { clock.withLock { $0 } })
        #expect(source.current() == .json(#"{"v":1}"#))

        try #"{"v":2}"#.write(toFile: path, atomically: true, encoding: .utf8)
        clock.withLock { $0 += 9_999_999_999 }
        #expect(source.current() == .json(#"{"v":1}"#))
        clock.withLock { $0 += 1 }
        #expect(source.current() == .json(#"{"v":2}"#))

        try "{broken".write(toFile: path, atomically: true, encoding: .utf8)
        clock.withLock { $0 += 10_000_000_000 }
        #expect(source.current() == .json(#"{"v":2}"#))
        try #"{"v":3}"#.write(toFile: path, atomically: true, encoding: .utf8)
        clock.withLock { $0 += 1_000_000_000 }
        #expect(source.current() == .json(#"{"v":2}"#))
        clock.withLock { $0 += 9_000_000_000 }
        #expect(source.current() == .json(#"{"v":3}"#))
    }
}
