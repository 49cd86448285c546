import NIOCore
import SpoorModel
import SwiftProtobuf

/// The generated OTLP request message (`opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`).
package typealias OTLPExportRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest

/// Turns OTLP trace export requests (protobuf or JSON, HTTP or gRPC) into Jaeger-model spans.
///
/// Both encodings end in the same conversion (`spans(from:limits:)`, spec/ingest.md §4.2), so a
/// request yields the same spans whichever way it arrives.
package enum OTLPDecoder {
    /// Decodes a binary protobuf `ExportTraceServiceRequest` (HTTP `application/x-protobuf`).
    ///
    /// An empty body is a valid empty request and yields no spans.
    package static func decodeProtobuf(
        _ body: ByteBuffer, limits: OTLPLimits = .default
    ) throws(OTLPError) -> [Span] {
        var options = BinaryDecodingOptions()
        // request > ResourceSpans > ScopeSpans > Span > Event/Link > KeyValue > AnyValue is 7 levels;
        // each array/kvlist level adds at most 3 (KeyValueList > KeyValue > AnyValue).
        let (nested, overflow) = limits.maxAnyValueDepth.multipliedReportingOverflow(by: 3)
        options.messageDepthLimit = overflow ? 10_000 : min(10_000, 8 + max(0, nested))
        let request: OTLPExportRequest
        do {
            request = try OTLPExportRequest(serializedBytes: Array(body.readableBytesView), options: options)
        } catch {
            throw .malformedProtobuf(Self.describe(error))
        }
        return try spans(from: request, limits: limits)
    }

    /// Decodes an OTLP/JSON `ExportTraceServiceRequest` (HTTP `application/json`, spec §3.4).
    ///
    /// Accepts lowerCamelCase and snake_case keys, hex ids, base64 bytes, enums as numbers or
    /// names, 64-bit integers as strings or numbers; unknown keys are ignored.
    package static func decodeJSON(
        _ body: ByteBuffer, limits: OTLPLimits = .default
    ) throws(OTLPError) -> [Span] {
        let request = try OTLPJSONReader.request(from: body, limits: limits)
        return try spans(from: request, limits: limits)
    }

    /// Converts a decoded request (e.g. from the gRPC service) into spans, enforcing `limits`.
    package static func spans(
        from request: OTLPExportRequest, limits: OTLPLimits = .default
    ) throws(OTLPError) -> [Span] {
        try OTLPSpanConverter(limits: limits).convert(request)
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? BinaryDecodingError else { return String(describing: error) }
        switch error {
        case .truncated: return "truncated message"
        case .malformedProtobuf: return "malformed protobuf data"
        case .invalidUTF8: return "string field is not valid UTF-8"
        case .messageDepthLimit: return "messages nested too deeply"
        case .missingRequiredFields: return "missing required fields"
        case .trailingGarbage: return "trailing bytes after the message"
        case .internalExtensionError: return "extension decoding failed"
        }
    }
}
