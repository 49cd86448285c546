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
    /// An empty body is a valid empty request and yields no spans. The bytes are read straight into spans
    /// (`OTLPProtobufReader`), with the same result as `spans(from:limits:)` on the generated message.
    package static func decodeProtobuf(
        _ body: ByteBuffer, limits: OTLPLimits = .default
    ) throws(OTLPError) -> [Span] {
        try body.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in
                Result { () throws(OTLPError) in try OTLPProtobufReader.spans(from: bytes, limits: limits) }
            }
        }.get()
    }

    /// Decodes a binary protobuf `ExportTraceServiceRequest` held in an array (the gRPC message).
    package static func decodeProtobuf(
        _ body: [UInt8], limits: OTLPLimits = .default
    ) throws(OTLPError) -> [Span] {
        try body.withUnsafeBufferPointer { bytes in
            Result { () throws(OTLPError) in try OTLPProtobufReader.spans(from: bytes, limits: limits) }
        }.get()
    }

    /// SwiftProtobuf options for OTLP messages: deep enough for `limits.maxAnyValueDepth` levels of values.
    package static func decodingOptions(_ limits: OTLPLimits) -> BinaryDecodingOptions {
        var options = BinaryDecodingOptions()
        // request > ResourceSpans > ScopeSpans > Span > Event/Link > KeyValue > AnyValue is 7 levels;
        // each array/kvlist level adds at most 3 (KeyValueList > KeyValue > AnyValue).
        let (nested, overflow) = limits.maxAnyValueDepth.multipliedReportingOverflow(by: 3)
        options.messageDepthLimit = overflow ? 10_000 : min(10_000, 8 + max(0, nested))
        return options
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

    /// Reads an OTLP/JSON body into the generated request message, without converting it.
    package static func decodeJSONRequest(
        _ body: ByteBuffer, limits: OTLPLimits = .default
    ) throws(OTLPError) -> OTLPExportRequest {
        try OTLPJSONReader.request(from: body, limits: limits)
    }

    /// Converts a decoded request into spans, enforcing `limits`.
    package static func spans(
        from request: OTLPExportRequest, limits: OTLPLimits = .default
    ) throws(OTLPError) -> [Span] {
        try OTLPSpanConverter(limits: limits).convert(request)
    }

    /// Client-facing words for a SwiftProtobuf decoding error.
    static func describe(_ error: any Error) -> String {
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
