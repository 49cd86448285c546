import NIOCore
import SpoorWire
import Synchronization

/// Why a UI folder (`--query.static-files`) cannot be served.
package enum UIBundleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The folder does not exist or is not a directory.
    case notADirectory(String)
    /// Neither `index.html` nor `index.html.gz` could be read.
    case missingIndex(path: String, reason: String)

    package var description: String {
        switch self {
        case .notADirectory(let path): return "UI static files: \(path) is not a directory"
        case .missingIndex(let path, let reason): return "UI static files: cannot load index.html from \(path): \(reason)"
        }
    }
}

/// A Jaeger UI build on disk: the processed `index.html` and the files beside it.
///
/// Files are looked up under the canonical folder only: `..` segments are refused and every resolved path must
/// stay inside the folder after symlinks are followed. A file `X` missing on disk is served from `X.gz` when that
/// exists, compressed to clients that accept gzip and decompressed (bounded) for the others.
package final class UIBundle: Sendable {
    /// Largest file served (decompressed size included).
    package static let maxFileBytes = 64 << 20
    /// Largest `index.html` accepted.
    package static let maxIndexBytes = 4 << 20

    /// The canonical folder path.
    package let root: String
    private let template: [UInt8]
    private let configSource: UIConfigSource?
    private let basePath: BasePath
    private let version: UIVersion
    private let capabilities: UICapabilities
    private let rendered: Mutex<(config: UIConfig?, html: [UInt8])?>

    /// Opens the folder and loads its `index.html` (or `index.html.gz`).
    /// - Throws: `UIBundleError` when the folder or its index is missing.
    package init(
        directory: String, configSource: UIConfigSource?, basePath: BasePath, version: UIVersion = .spoor,
        capabilities: UICapabilities = .spoor
    ) throws(UIBundleError) {
        guard let root = UIFileSystem.realPath(directory), UIFileSystem.isDirectory(root) else {
            throw .notADirectory(directory)
        }
        self.root = root
        self.configSource = configSource
        self.basePath = basePath
        self.version = version
        self.capabilities = capabilities
        self.rendered = Mutex(nil)
        guard let index = Self.locate(root: root, segments: ["index.html"]) else {
            throw .missingIndex(path: directory, reason: "no index.html or index.html.gz")
        }
        do {
            self.template = try Self.load(index, limit: Self.maxIndexBytes)
        } catch {
            throw .missingIndex(path: directory, reason: "\(error)")
        }
    }

    /// The processed `index.html`; re-rendered only when the UI config changed.
    package func indexHTML() -> [UInt8] {
        let config = configSource?.current()
        if let cached = rendered.withLock({ $0 }), cached.config == config { return cached.html }
        let html = IndexHTML.render(template, config: config, version: version, capabilities: capabilities, basePath: basePath)
        rendered.withLock { $0 = (config, html) }
        return html
    }

    /// A file found in the bundle.
    package struct Asset: Sendable, Equatable {
        /// Canonical path of the file on disk (`X` or `X.gz`).
        package var path: String
        /// True when the file on disk is the gzip of the requested name.
        package var gzipped: Bool
    }

    /// Finds the file for a request path (relative to the base path, percent-encoded).
    /// - Returns: nil when the path is unsafe (`..`, NUL, escapes the folder) or names no regular file.
    package func asset(forRequestPath path: String) -> Asset? {
        guard let segments = Self.segments(path), !segments.isEmpty else { return nil }
        return Self.locate(root: root, segments: segments)
    }

    /// The file's bytes, decompressed from `.gz` unless `keepGzip`.
    /// - Throws: `UIFileError`, or `DecompressionError` for a corrupt or oversized gzip.
    package func contents(of asset: Asset, keepGzip: Bool) throws -> [UInt8] {
        let bytes = try UIFileSystem.read(asset.path, limit: Self.maxFileBytes)
        guard asset.gzipped, !keepGzip else { return bytes }
        return try Self.gunzip(bytes)
    }

    // MARK: Paths

    /// Percent-decodes a request path and splits it into segments; nil for `..`, NUL, backslashes or bad escapes.
    static func segments(_ path: String) -> [String]? {
        guard let decoded = percentDecoded(path) else { return nil }
        var segments: [String] = []
        for part in decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return nil }
            guard !part.contains(0), !part.contains(UInt8(ascii: "\\")) else { return nil }
            segments.append(String(decoding: part, as: UTF8.self))
        }
        return segments
    }

    private static func percentDecoded(_ path: String) -> [UInt8]? {
        let bytes = Array(path.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) else { return nil }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x37
        case 0x61...0x66: return b - 0x57
        default: return nil
        }
    }

    /// The regular file `root/segments` or, failing that, `root/segments.gz`, if it stays inside `root`.
    private static func locate(root: String, segments: [String]) -> Asset? {
        let joined = root + "/" + segments.joined(separator: "/")
        if let plain = inside(root: root, joined) { return Asset(path: plain, gzipped: false) }
        if let gzip = inside(root: root, joined + ".gz") { return Asset(path: gzip, gzipped: true) }
        return nil
    }

    private static func inside(root: String, _ path: String) -> String? {
        guard let real = UIFileSystem.realPath(path), real.utf8.starts(with: (root == "/" ? "/" : root + "/").utf8),
            UIFileSystem.isRegularFile(real)
        else { return nil }
        return real
    }

    private static func load(_ asset: Asset, limit: Int) throws -> [UInt8] {
        let bytes = try UIFileSystem.read(asset.path, limit: asset.gzipped ? maxFileBytes : limit)
        guard asset.gzipped else { return bytes }
        let plain = try gunzip(bytes, limit: limit)
        return plain
    }

    private static func gunzip(_ bytes: [UInt8], limit: Int = maxFileBytes) throws(DecompressionError) -> [UInt8] {
        let buffer = try BodyDecompression.decompress(.init(bytes: bytes), encoding: "gzip", maxOutputBytes: limit)
        return Array(buffer.readableBytesView)
    }
}
