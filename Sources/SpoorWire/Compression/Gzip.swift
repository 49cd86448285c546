import CZlib
import NIOCore

/// Why a request body could not be decompressed.
package enum DecompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output would exceed the caller's limit (a zip bomb, or simply too big).
    case tooLarge
    /// The input is not a valid stream of the declared encoding, or it is truncated.
    case corrupt
    /// The `Content-Encoding` / `grpc-encoding` value is not one Spoor supports.
    case unsupportedEncoding(String)

    package var description: String {
        switch self {
        case .tooLarge: return "decompressed body exceeds the size limit"
        case .corrupt: return "compressed body is corrupt or truncated"
        case .unsupportedEncoding(let name): return "unsupported content encoding \"\(name)\""
        }
    }
}

/// Decodes HTTP `Content-Encoding` (and gRPC `grpc-encoding`) bodies with zlib.
///
/// Supported encodings (case-insensitive): `gzip` and `x-gzip` (one or more concatenated
/// gzip members), `deflate` (zlib-wrapped as RFC 9110 says, with a fallback to raw
/// deflate, which some clients send), and `identity` or an empty value (body unchanged).
/// The output never grows past `maxOutputBytes`, so a small bomb cannot exhaust memory.
package enum BodyDecompression {
    /// Returns the decoded body.
    ///
    /// An empty body decodes to an empty buffer for every supported encoding.
    /// - Throws: `.tooLarge` once the output would pass `maxOutputBytes`, `.corrupt` for a bad or
    ///   truncated stream, `.unsupportedEncoding` for anything else.
    package static func decompress(
        _ body: ByteBuffer, encoding: String, maxOutputBytes: Int
    ) throws(DecompressionError) -> ByteBuffer {
        let limit = max(0, maxOutputBytes)
        let name = encoding.trimmingASCIIWhitespace().lowercased()
        let format: ZlibFormat
        switch name {
        case "", "identity":
            guard body.readableBytes <= limit else { throw .tooLarge }
            return body
        case "gzip", "x-gzip":
            format = .gzip
        case "deflate":
            format = .zlib
        default:
            throw .unsupportedEncoding(encoding)
        }
        if body.readableBytes == 0 { return ByteBuffer() }

        let input = Array(body.readableBytesView)
        var inflater = Inflater(limit: limit)
        switch format {
        case .zlib:
            do {
                return try inflater.run(input, format: .zlib)
            } catch .corrupt where !inflater.producedOutput {
                // Not a zlib header: some clients send bare RFC 1951 data as "deflate".
                var raw = Inflater(limit: limit)
                return try raw.run(input, format: .raw)
            }
        case .gzip, .raw:
            return try inflater.run(input, format: format)
        }
    }
}

/// zlib's `windowBits` selects the container around the deflate data.
private enum ZlibFormat {
    case gzip, zlib, raw

    var windowBits: Int32 {
        switch self {
        case .gzip: return 15 + 16
        case .zlib: return 15
        case .raw: return -15
        }
    }
}

/// One inflate pass over a whole input, writing into a bounded output buffer.
private struct Inflater {
    let limit: Int
    private(set) var producedOutput = false
    private static let chunkSize = 64 * 1024

    init(limit: Int) { self.limit = limit }

    mutating func run(_ input: [UInt8], format: ZlibFormat) throws(DecompressionError) -> ByteBuffer {
        var output = ByteBuffer()
        var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
        var stream = z_stream()
        guard inflateInit2_(&stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw .corrupt }
        defer { inflateEnd(&stream) }

        guard input.count <= Int(UInt32.max) else { throw .tooLarge }
        var result: Result<Void, DecompressionError> = .success(())
        input.withUnsafeBufferPointer { inBuffer in
            chunk.withUnsafeMutableBufferPointer { outBuffer in
                guard let inBase = inBuffer.baseAddress, let outBase = outBuffer.baseAddress else {
                    result = .failure(.corrupt)
                    return
                }
                stream.next_in = UnsafeMutablePointer(mutating: inBase)
                stream.avail_in = UInt32(clamping: inBuffer.count)
                while true {
                    // Ask for at most one byte past the limit: getting it proves the body is too large.
                    let remaining = limit - output.readableBytes
                    let room = remaining >= outBuffer.count ? outBuffer.count : remaining + 1
                    stream.next_out = outBase
                    stream.avail_out = UInt32(clamping: room)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let produced = room - Int(stream.avail_out)
                    if produced > 0 {
                        producedOutput = true
                        if output.readableBytes + produced > limit {
                            result = .failure(.tooLarge)
                            return
                        }
                        output.writeBytes(UnsafeBufferPointer(start: outBase, count: produced))
                    }
                    switch status {
                    case Z_STREAM_END:
                        // gzip allows several members back to back; anything else after the end is garbage.
                        guard format == .gzip, stream.avail_in > 0 else {
                            if stream.avail_in > 0 { result = .failure(.corrupt) }
                            return
                        }
                        guard inflateReset(&stream) == Z_OK else {
                            result = .failure(.corrupt)
                            return
                        }
                    case Z_OK:
                        continue
                    case Z_BUF_ERROR:
                        // No progress possible: either the output is full (loop again) or input ran out early.
                        if stream.avail_out == 0 { continue }
                        result = .failure(.corrupt)
                        return
                    default:
                        result = .failure(.corrupt)
                        return
                    }
                }
            }
        }
        try result.get()
        return output
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
