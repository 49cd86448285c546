import Testing

@testable import SpoorServer

struct UIBasePathTests {
    @Test(arguments: [
        ("", ""), ("/", ""), ("/jaeger", "/jaeger"), ("/jaeger/", "/jaeger"), ("/a/b", "/a/b"), ("/a/b/", "/a/b"),
        ("/tracing.v2", "/tracing.v2"),
    ])
    func validPathsAreNormalised(input: String, prefix: String) throws {
        let path = try BasePath(validating: input)
        #expect(path.prefix == prefix)
        #expect(path.isRoot == prefix.isEmpty)
        #expect(path.directory == prefix + "/")
    }

    @Test(arguments: ["jaeger", "jaeger/", "/jaeger//", "//jaeger", "/a//b", "/a/../b", "/..", "/a/..", "/a?b", "/a#b", "/a b", "/a\u{1}"])
    func invalidPathsAreRefused(input: String) {
        #expect(throws: BasePathError.self) { try BasePath(validating: input) }
    }

    @Test func overlongPathIsRefused() {
        let long = "/" + String(repeating: "a", count: BasePath.maxBytes)
        #expect(throws: BasePathError.tooLong(BasePath.maxBytes + 1)) { try BasePath(validating: long) }
    }

    @Test(arguments: [
        ("/jaeger/api/services", BasePath.Match.inside("/api/services")),
        ("/jaeger/", .inside("/")),
        ("/jaeger", .bare),
        ("/jaegerx/api/services", .outside),
        ("/api/services", .outside),
        ("/", .outside),
    ])
    func requestPathsAreMatchedAgainstThePrefix(path: String, match: BasePath.Match) throws {
        let base = try BasePath(validating: "/jaeger")
        #expect(base.match(path) == match)
    }

    @Test func rootPrefixMatchesEveryPath() {
        #expect(BasePath.root.match("/api/services") == .inside("/api/services"))
        #expect(BasePath.root.match("/") == .inside("/"))
    }
}
