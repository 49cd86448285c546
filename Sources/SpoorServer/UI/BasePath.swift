/// Why a `--query.base-path` value was refused.
package enum BasePathError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not start with `/`.
    case notAbsolute(String)
    /// The path contains `..`, `//`, or a character that cannot appear in a URL path (`?`, `#`, space, control).
    case invalid(String)
    /// The path is longer than `BasePath.maxBytes`.
    case tooLong(Int)

    package var description: String {
        switch self {
        case .notAbsolute(let path): return "base path \"\(path)\" must start with '/', e.g. /jaeger"
        case .invalid(let path): return "base path \"\(path)\" must not contain '..', '//', '?', '#', spaces or control characters"
        case .tooLong(let bytes): return "base path is \(bytes) bytes long; at most \(BasePath.maxBytes) are allowed"
        }
    }
}

/// The URL prefix every route of the query HTTP listener lives under (`--query.base-path`, spec/query-api.md §1).
///
/// Stored without a trailing slash: `/jaeger` serves `/jaeger/api/services`; the root prefix is the empty string.
package struct BasePath: Sendable, Equatable, CustomStringConvertible {
    /// Longest prefix accepted.
    package static let maxBytes = 1024
    /// No prefix: routes live at `/api/...`.
    package static let root = BasePath(prefix: "")

    /// The prefix without a trailing slash; empty for the root.
    package let prefix: String

    private init(prefix: String) { self.prefix = prefix }

    /// Validates a configured base path: empty or `/` is the root; otherwise it must start with `/`, may end with
    /// one `/` (removed), and must not contain `..` or `//`.
    /// - Throws: `BasePathError` naming what is wrong.
    package init(validating text: String) throws(BasePathError) {
        guard text.utf8.count <= Self.maxBytes else { throw .tooLong(text.utf8.count) }
        if text.isEmpty || text == "/" {
            self = .root
            return
        }
        guard text.hasPrefix("/") else { throw .notAbsolute(text) }
        var trimmed = Substring(text)
        if trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard !trimmed.contains(".."), !text.contains("//") else { throw .invalid(text) }
        let forbidden: Set<UInt8> = [UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: " "), UInt8(ascii: "\\")]
        guard !trimmed.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || forbidden.contains($0) }) else { throw .invalid(text) }
        self.prefix = String(trimmed)
    }

    /// True for the root prefix.
    package var isRoot: Bool { prefix.isEmpty }

    /// `/` for the root, else the prefix followed by `/` (the value of `<base href>`).
    package var directory: String { prefix + "/" }

    package var description: String { isRoot ? "/" : prefix }

    /// Where a request path falls relative to this prefix.
    package enum Match: Equatable, Sendable {
        /// Inside the prefix; the path with the prefix removed, always starting with `/`.
        case inside(String)
        /// Exactly the prefix without its trailing slash (`/jaeger`): clients should be redirected to `/jaeger/`.
        case bare
        /// Not under the prefix.
        case outside
    }

    /// Locates `path` (the raw request path, without the query) under this prefix.
    package func match(_ path: String) -> Match {
        if isRoot { return .inside(path.hasPrefix("/") ? path : "/" + path) }
        guard path.utf8.starts(with: prefix.utf8) else { return .outside }
        let rest = Substring(path.utf8.dropFirst(prefix.utf8.count))
        if rest.isEmpty { return .bare }
        guard rest.hasPrefix("/") else { return .outside }
        return .inside(String(rest))
    }
}
