import SpoorQuery

/// The UI configuration substituted into `index.html` (`--query.ui-config`).
package enum UIConfig: Sendable, Equatable {
    /// A compact JSON object; replaces `JAEGER_CONFIG = DEFAULT_CONFIG;`.
    case json(String)
    /// A script defining `function UIConfig()`; replaces the `// JAEGER_CONFIG_JS` comment line and the line after it.
    case javascript(String)
}

/// What the backend offers; the UI shows the Archive button, the Monitor tab and "All Services" from these.
package struct UICapabilities: Sendable, Equatable {
    package var archiveStorage: Bool
    package var metricsStorage: Bool
    package var searchWithoutServiceName: Bool
    package var aiAssistant: Bool

    /// Creates a capability set.
    package init(archiveStorage: Bool, metricsStorage: Bool, searchWithoutServiceName: Bool, aiAssistant: Bool) {
        self.archiveStorage = archiveStorage
        self.metricsStorage = metricsStorage
        self.searchWithoutServiceName = searchWithoutServiceName
        self.aiAssistant = aiAssistant
    }

    /// Spoor's capabilities: archive, metrics and service-less search on; no AI assistant.
    package static let spoor = UICapabilities(
        archiveStorage: true, metricsStorage: true, searchWithoutServiceName: true, aiAssistant: false)
}

/// The build shown in the UI's "About" menu.
package struct UIVersion: Sendable, Equatable {
    package var gitCommit: String
    package var gitVersion: String
    package var buildDate: String

    /// Creates a version record.
    package init(gitCommit: String, gitVersion: String, buildDate: String) {
        self.gitCommit = gitCommit
        self.gitVersion = gitVersion
        self.buildDate = buildDate
    }

    /// This build of Spoor.
    package static let spoor = UIVersion(
        gitCommit: SpoorVersion.gitCommit, gitVersion: "v" + SpoorVersion.version, buildDate: SpoorVersion.buildDate)
}

/// Rewrites a Jaeger UI `index.html` the way Jaeger's query service does (spec/query-api.md §2).
///
/// Each substitution is a search-replace of every match of one pattern; they are matched by hand on bytes with the
/// semantics of Jaeger's Go regexes:
///
/// ```
/// JAEGER_CONFIG *= *DEFAULT_CONFIG;                      -> JAEGER_CONFIG = {json};          (JSON config only)
/// (?im)^\s*//\s*JAEGER_CONFIG_JS.*\n.*                   -> the script                       (JS config only)
/// JAEGER_VERSION *= *DEFAULT_VERSION;                    -> JAEGER_VERSION = {...};
/// JAEGER_STORAGE_CAPABILITIES *= *DEFAULT_STORAGE_CAPABILITIES;  -> ... = {archiveStorage, metricsStorage};
/// JAEGER_BACKEND_CAPABILITIES *= *DEFAULT_BACKEND_CAPABILITIES;  -> ... = {all four flags};
/// <base href="/"                                         -> <base href="{base}/"             (base path not /)
/// ```
package enum IndexHTML {
    /// Returns `template` with every substitution applied.
    package static func render(
        _ template: [UInt8], config: UIConfig?, version: UIVersion, capabilities: UICapabilities, basePath: BasePath
    ) -> [UInt8] {
        var html = template
        switch config {
        case .json(let json):
            html = replaceAssignments(in: html, name: "JAEGER_CONFIG", defaultName: "DEFAULT_CONFIG", with: json)
        case .javascript(let script):
            html = replaceConfigJSComment(in: html, with: Array(script.utf8))
        case nil:
            break
        }
        html = replaceAssignments(in: html, name: "JAEGER_VERSION", defaultName: "DEFAULT_VERSION", with: versionJSON(version))
        html = replaceAssignments(
            in: html, name: "JAEGER_STORAGE_CAPABILITIES", defaultName: "DEFAULT_STORAGE_CAPABILITIES",
            with: storageCapabilitiesJSON(capabilities))
        html = replaceAssignments(
            in: html, name: "JAEGER_BACKEND_CAPABILITIES", defaultName: "DEFAULT_BACKEND_CAPABILITIES",
            with: backendCapabilitiesJSON(capabilities))
        if !basePath.isRoot {
            html = replaceLiteral(in: html, Array(#"<base href="/""#.utf8), with: Array(#"<base href="\#(basePath.directory)""#.utf8))
        }
        return html
    }

    // MARK: JSON values

    static func versionJSON(_ version: UIVersion) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("gitCommit")
        writer.string(version.gitCommit)
        writer.key("gitVersion")
        writer.string(version.gitVersion)
        writer.key("buildDate")
        writer.string(version.buildDate)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    static func storageCapabilitiesJSON(_ capabilities: UICapabilities) -> String {
        "{\"archiveStorage\":\(capabilities.archiveStorage),\"metricsStorage\":\(capabilities.metricsStorage)}"
    }

    static func backendCapabilitiesJSON(_ capabilities: UICapabilities) -> String {
        "{\"archiveStorage\":\(capabilities.archiveStorage),\"metricsStorage\":\(capabilities.metricsStorage),"
            + "\"searchWithoutServiceName\":\(capabilities.searchWithoutServiceName),\"aiAssistant\":\(capabilities.aiAssistant)}"
    }

    // MARK: Matchers

    /// Replaces every `NAME *= *DEFAULT;` (spaces only around `=`) with `NAME = value;`.
    static func replaceAssignments(in html: [UInt8], name: String, defaultName: String, with value: String) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        let defaultBytes = Array((defaultName + ";").utf8)
        let replacement = Array("\(name) = \(value);".utf8)
        return replaceAll(in: html, with: replacement) { bytes, start in
            guard starts(bytes, at: start, with: nameBytes) else { return nil }
            var i = start + nameBytes.count
            while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
            i += 1
            while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
            guard starts(bytes, at: i, with: defaultBytes) else { return nil }
            return i + defaultBytes.count
        }
    }

    /// Replaces every match of `(?im)^\s*//\s*JAEGER_CONFIG_JS.*\n.*`: from a line start, optional whitespace
    /// (which may span lines), `//`, optional whitespace, `JAEGER_CONFIG_JS` in any case, the rest of that line, its
    /// newline, and the whole next line (without its newline). `\s` is Go's `[\t\n\f\r ]`; `.` is anything but `\n`.
    static func replaceConfigJSComment(in html: [UInt8], with script: [UInt8]) -> [UInt8] {
        let marker = Array("JAEGER_CONFIG_JS".utf8)
        let newline = UInt8(ascii: "\n")
        return replaceAll(in: html, with: script) { bytes, start in
            guard start == 0 || bytes[start - 1] == newline else { return nil }
            var i = start
            while i < bytes.count, isGoSpace(bytes[i]) { i += 1 }
            guard starts(bytes, at: i, with: Array("//".utf8)) else { return nil }
            i += 2
            while i < bytes.count, isGoSpace(bytes[i]) { i += 1 }
            guard i + marker.count <= bytes.count,
                zip(bytes[i..<(i + marker.count)], marker).allSatisfy({ asciiLower($0) == asciiLower($1) })
            else { return nil }
            i += marker.count
            while i < bytes.count, bytes[i] != newline { i += 1 }
            guard i < bytes.count else { return nil }
            i += 1
            while i < bytes.count, bytes[i] != newline { i += 1 }
            return i
        }
    }

    /// Replaces every occurrence of `literal`.
    static func replaceLiteral(in html: [UInt8], _ literal: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        replaceAll(in: html, with: replacement) { bytes, start in
            starts(bytes, at: start, with: literal) ? start + literal.count : nil
        }
    }

    /// Scans left to right; where `match` returns an end index, the bytes `start..<end` are replaced and the scan
    /// resumes at `end` (non-overlapping, leftmost matches, as Go's `ReplaceAll`).
    private static func replaceAll(in bytes: [UInt8], with replacement: [UInt8], match: ([UInt8], Int) -> Int?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + replacement.count)
        var copied = 0
        var i = 0
        while i < bytes.count {
            if let end = match(bytes, i), end > i {
                out += bytes[copied..<i]
                out += replacement
                copied = end
                i = end
            } else {
                i += 1
            }
        }
        out += bytes[copied...]
        return out
    }

    private static func starts(_ bytes: [UInt8], at index: Int, with prefix: [UInt8]) -> Bool {
        guard index >= 0, index + prefix.count <= bytes.count else { return false }
        return bytes[index..<(index + prefix.count)].elementsEqual(prefix)
    }

    private static func isGoSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
