import HTTPTypes
import Hummingbird
import NIOCore

/// Helpers shared by Spoor's HTTP routes.
package enum HTTPSupport {
    /// Decodes a query string as Go's `url.ParseQuery` does: `&`-separated, `+` is a space, percent-escapes decoded
    /// in keys and values, a key without `=` has an empty value. Order and repeats are kept.
    package static func queryItems(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { part in
            if let eq = part.firstIndex(of: "=") {
                return (decode(part[..<eq]), decode(part[part.index(after: eq)...]))
            }
            return (decode(part), "")
        }
    }

    /// Percent-decodes `text` with `+` as space; invalid escapes are kept literally.
    package static func decode(_ text: Substring) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x37
        case 0x61...0x66: return b - 0x57
        default: return nil
        }
    }

    /// A response with a body and content type.
    package static func response(
        _ status: HTTPResponse.Status, contentType: String, body: ByteBuffer, extraHeaders: HTTPFields = [:]
    ) -> Response {
        var headers = extraHeaders
        headers[.contentType] = contentType
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// A response with raw bytes.
    package static func response(_ status: HTTPResponse.Status, contentType: String, bytes: [UInt8], extraHeaders: HTTPFields = [:]) -> Response {
        response(status, contentType: contentType, body: ByteBuffer(bytes: bytes), extraHeaders: extraHeaders)
    }

    /// A plain-text response; Jaeger's collector bodies end with a newline.
    package static func text(_ status: HTTPResponse.Status, _ message: String, extraHeaders: HTTPFields = [:]) -> Response {
        response(status, contentType: "text/plain; charset=utf-8", body: ByteBuffer(string: message + "\n"), extraHeaders: extraHeaders)
    }

    /// The media type of a Content-Type header, lowercased, without parameters.
    package static func mediaType(_ request: Request) -> String? {
        guard let value = request.headers[.contentType] else { return nil }
        let media = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: " \t") } ?? ""
        return media.isEmpty ? nil : media.lowercased()
    }

    /// Reads the whole body, refusing bodies over `limit` bytes.
    /// - Returns: nil when the body is larger than the limit.
    package static func body(_ request: Request, limit: Int) async throws -> ByteBuffer? {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { return nil }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}
