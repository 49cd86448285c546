import NIOCore
import SpoorModel

/// Turns Zipkin payloads (the four bodies of `POST /api/v1|v2/spans` on 9411) into Jaeger-model spans.
///
/// Pure functions from bytes to model values: no I/O, never trap on input. v1 payloads (JSON and
/// Thrift, and UDP `emitZipkinBatch`) go through Jaeger's legacy direct converter
/// (`ZipkinLegacyConverter`); v2 payloads (JSON and protobuf) through the current OTLP-based path
/// (`ZipkinV2Converter`). Ids are hex in JSON, µs times become ns, `debug` becomes flag 2.
///
/// `limits` bound what one body may hold: `maxSpansPerBatch` spans, `maxTagsPerSpan` tags (binary
/// annotations), `maxListElements` annotations and JSON array/object members, `maxStringBytes` per
/// string, `maxDepth` JSON nesting.
package enum ZipkinDecoder {
    /// `/api/v2/spans` with `Content-Type: application/json`: a JSON array of v2 spans.
    package static func decodeV2JSON(_ body: ByteBuffer, limits: DecodingLimits = .default) throws(ZipkinError)
        -> [Span]
    {
        let root = try ZipkinJSONParser.parse(Array(body.readableBytesView), limits: limits)
        return ZipkinV2Converter.convert(try ZipkinJSONReader.v2Spans(root, limits: limits), limits: limits)
    }

    /// `/api/v2/spans` with `Content-Type: application/x-protobuf`: `zipkin.proto3.ListOfSpans`.
    ///
    /// An empty body is an empty list.
    /// - Parameter debug: the request carried `X-B3-Flags: 1`, which marks every span debug.
    package static func decodeV2Proto(
        _ body: ByteBuffer, debug: Bool = false, limits: DecodingLimits = .default
    ) throws(ZipkinError) -> [Span] {
        var spans = try ZipkinProtoDecoder.listOfSpans(Array(body.readableBytesView), limits: limits)
        if debug {
            for index in spans.indices { spans[index].debug = true }
        }
        return ZipkinV2Converter.convert(spans, limits: limits)
    }

    /// `/api/v1/spans` with any content type but `application/x-thrift`: a JSON array of v1 spans.
    package static func decodeV1JSON(_ body: ByteBuffer, limits: DecodingLimits = .default) throws(ZipkinError)
        -> [Span]
    {
        let root = try ZipkinJSONParser.parse(Array(body.readableBytesView), limits: limits)
        return ZipkinLegacyConverter.convert(try ZipkinJSONReader.v1Spans(root, limits: limits), limits: limits)
    }

    /// `/api/v1/spans` with `Content-Type: application/x-thrift`: a binary-protocol
    /// `list<zipkincore.Span>` (list header, then the structs; no message envelope).
    ///
    /// Bytes after the list are ignored.
    package static func decodeV1Thrift(_ body: ByteBuffer, limits: DecodingLimits = .default) throws(ZipkinError)
        -> [Span]
    {
        let spans: [ZipkinV1Span]
        do throws(ThriftError) {
            spans = try ThriftBinaryReader.withReader(over: body, limits: limits) { reader throws(ThriftError) in
                try ZipkinThriftDecoder.readSpanList(&reader)
            }
        } catch {
            throw .thrift(error)
        }
        return ZipkinLegacyConverter.convert(spans, limits: limits)
    }
}
