import Foundation
import Logging
import Synchronization

/// Why a UI config file (`--query.ui-config`) was refused.
package enum UIConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case file(UIFileError)
    /// The name ends neither in `.json` nor in `.js`.
    case unsupportedExtension(path: String)
    /// A `.json` file that does not hold one JSON object.
    case invalidJSON(path: String)
    /// A `.js` file without `function UIConfig()`.
    case missingUIConfigFunction(path: String)

    package var description: String {
        switch self {
        case .file(let error): return "UI config: \(error)"
        case .unsupportedExtension(let path): return "unrecognized UI config file format, expecting .js or .json file: \(path)"
        case .invalidJSON(let path): return "cannot parse UI config file \(path): it must hold one JSON object"
        case .missingUIConfigFunction(let path): return "UI config file must define function UIConfig(): \(path)"
        }
    }
}

/// The UI config file, re-read at most once per `interval` (10 s by default, as Jaeger).
///
/// The first load happens in `init`, so a bad file stops startup. A later read that fails keeps serving the last
/// good config and logs a warning.
package final class UIConfigSource: Sendable {
    /// Largest UI config file read.
    package static let maxFileBytes = 1 << 20

    /// The file's path.
    package let path: String
    private let intervalNanos: UInt64
    private let now: @Sendable () -> UInt64
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var config: UIConfig
        var contents: [UInt8]
        var checkedAtNanos: UInt64
    }

    /// Loads the file at `path`.
    /// - Parameters:
    ///   - interval: how long a loaded config is served before the file is read again.
    ///   - now: a monotonic clock in nanoseconds.
    /// - Throws: `UIConfigError` when the file is unreadable or invalid.
    package init(
        path: String, interval: Duration = .seconds(10), logger: Logger,
        now: @escaping @Sendable () -> UInt64 = UIFileSystem.monotonicNanos
    ) throws(UIConfigError) {
        self.path = path
        let (seconds, attoseconds) = interval.components
        self.intervalNanos = UInt64(clamping: max(0, seconds)) &* 1_000_000_000 &+ UInt64(clamping: max(0, attoseconds) / 1_000_000_000)
        self.now = now
        var logger = logger
        logger[metadataKey: "component"] = "ui-config"
        self.logger = logger
        let contents = try Self.read(path)
        let config = try Self.parse(contents, path: path)
        self.state = Mutex(State(config: config, contents: contents, checkedAtNanos: now()))
    }

    /// The config to serve now, re-reading the file when the last read is older than the interval.
    package func current() -> UIConfig {
        let time = now()
        let (config, contents, due) = state.withLock { state in
            let due = time &- state.checkedAtNanos >= intervalNanos
            if due { state.checkedAtNanos = time }
            return (state.config, state.contents, due)
        }
        guard due else { return config }
        do throws(UIConfigError) {
            let fresh = try Self.read(path)
            if fresh == contents { return config }
            let parsed = try Self.parse(fresh, path: path)
            state.withLock {
                $0.config = parsed
                $0.contents = fresh
            }
            logger.info("Reloaded UI config", metadata: ["file.path": "\(path)"])
            return parsed
        } catch {
            logger.warning("UI config not reloaded, keeping the previous one", metadata: ["file.path": "\(path)", "error": "\(error)"])
            return config
        }
    }

    /// Parses file contents by the path's extension (`.json` or `.js`, any case).
    /// - Throws: `UIConfigError` for an unknown extension, invalid JSON or a script without `function UIConfig()`.
    package static func parse(_ contents: [UInt8], path: String) throws(UIConfigError) -> UIConfig {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".json") {
            guard let compact = compactJSONObject(contents) else { throw .invalidJSON(path: path) }
            return .json(compact)
        }
        if lowered.hasSuffix(".js") {
            let script = trimmingGoSpace(contents)
            guard definesUIConfigFunction(script) else { throw .missingUIConfigFunction(path: path) }
            return .javascript(String(decoding: script, as: UTF8.self))
        }
        throw .unsupportedExtension(path: path)
    }

    private static func read(_ path: String) throws(UIConfigError) -> [UInt8] {
        do throws(UIFileError) {
            return try UIFileSystem.read(path, limit: maxFileBytes)
        } catch {
            throw .file(error)
        }
    }

    // MARK: JSON

    /// Validates that `bytes` hold one JSON object and returns it without insignificant whitespace, with `<`, `>`,
    /// `&`, U+2028 and U+2029 escaped inside strings (as Go's encoder does) so the result is safe inside `<script>`.
    static func compactJSONObject(_ bytes: [UInt8]) -> String? {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: []),
            object is [String: Any]
        else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if !inString {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D: break
                case UInt8(ascii: "\""):
                    inString = true
                    out.append(byte)
                default: out.append(byte)
                }
                i += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"):
                out.append(byte)
                if i + 1 < bytes.count { out.append(bytes[i + 1]) }
                i += 2
                continue
            case UInt8(ascii: "\""):
                inString = false
                out.append(byte)
            case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
            case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
            case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                out += Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                i += 3
                continue
            default: out.append(byte)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: JavaScript

    /// Matches Go's `function\s+UIConfig(\s)?\(\s?\)(\s)?{` anywhere in `script`.
    static func definesUIConfigFunction(_ script: [UInt8]) -> Bool {
        let keyword = Array("function".utf8)
        let name = Array("UIConfig".utf8)
        var start = 0
        while start + keyword.count <= script.count {
            defer { start += 1 }
            guard script[start..<(start + keyword.count)].elementsEqual(keyword) else { continue }
            var i = start + keyword.count
            guard i < script.count, isGoSpace(script[i]) else { continue }
            while i < script.count, isGoSpace(script[i]) { i += 1 }
            guard i + name.count <= script.count, script[i..<(i + name.count)].elementsEqual(name) else { continue }
            i += name.count
            if i < script.count, isGoSpace(script[i]) { i += 1 }
            guard i < script.count, script[i] == UInt8(ascii: "(") else { continue }
            i += 1
            if i < script.count, isGoSpace(script[i]) { i += 1 }
            guard i < script.count, script[i] == UInt8(ascii: ")") else { continue }
            i += 1
            if i < script.count, isGoSpace(script[i]) { i += 1 }
            if i < script.count, script[i] == UInt8(ascii: "{") { return true }
        }
        return false
    }

    private static func trimmingGoSpace(_ bytes: [UInt8]) -> [UInt8] {
        guard let first = bytes.firstIndex(where: { !isGoSpace($0) && $0 != 0x0B }),
            let last = bytes.lastIndex(where: { !isGoSpace($0) && $0 != 0x0B })
        else { return [] }
        return Array(bytes[first...last])
    }

    private static func isGoSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
    }
}
