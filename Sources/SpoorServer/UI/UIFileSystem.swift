#if canImport(Glibc)
    import Glibc
#endif

/// Why a UI file could not be read.
package enum UIFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist, is not a regular file, or reading it failed.
    case unreadable(path: String, reason: String)
    /// The file is larger than the caller's limit.
    case tooLarge(path: String, limit: Int)

    package var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .tooLarge(let path, let limit): return "\(path) is larger than \(limit) bytes"
        }
    }
}

/// The few POSIX calls the UI needs: whole-file reads with a size limit, and symlink-free absolute paths.
package enum UIFileSystem {
    /// Reads a whole regular file, refusing files over `limit` bytes.
    /// - Throws: `UIFileError`.
    package static func read(_ path: String, limit: Int) throws(UIFileError) -> [UInt8] {
        do {
            return try BoundedFile.read(path, limit: limit).bytes
        } catch {
            switch error {
            case .unreadable(let reason): throw .unreadable(path: path, reason: reason)
            case .tooLarge: throw .tooLarge(path: path, limit: limit)
            }
        }
    }

    /// The canonical absolute path (symlinks resolved), or nil when the path does not exist.
    package static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when `path` names a regular file (after following symlinks).
    package static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// True when `path` names a directory (after following symlinks).
    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Nanoseconds of a monotonic clock.
    package static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
