#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file reads with a size bound, for every file the server reads on request or on a timer: UI assets and
/// config, the sampling strategies file, `/proc/net/snmp`.
package enum BoundedFile {
    /// Why a read failed.
    package enum Failure: Error, Equatable, Sendable {
        /// Missing, not a regular file, or an I/O error (the reason is strerror's text).
        case unreadable(reason: String)
        /// Larger than the limit (`bytes` is the size seen when refusing).
        case tooLarge(bytes: Int)
    }

    /// Reads a whole regular file, refusing it as soon as it is known to exceed `limit` bytes (by its size, or while
    /// reading if it grows). Returns the file's `stat` with its contents.
    package static func read(_ path: String, limit: Int) throws(Failure) -> (info: stat, bytes: [UInt8]) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(reason: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(reason: errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(reason: "not a regular file") }
        guard let size = Int(exactly: info.st_size), size <= limit else { throw .tooLarge(bytes: Int(info.st_size)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, size))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(reason: errnoText())
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= limit else { throw .tooLarge(bytes: bytes.count) }
        }
        return (info, bytes)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
