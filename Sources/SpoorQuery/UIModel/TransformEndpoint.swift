import SpoorModel

/// `POST /api/transform` (spec/query-api.md §3.7): spans decoded from an uploaded OTLP/JSON file, rendered as the
/// v1 envelope `data: Trace[]` without adjusters, so the UI can show a trace file it did not fetch.
package enum TransformEndpoint {
    /// Largest accepted request body: uploads are whole trace files, larger than collector batches.
    package static let maxRequestBytes = 64 << 20

    /// The spans grouped into traces by trace id, traces in the order their first span appears, spans in input order.
    package static func traces(_ spans: [Span]) -> [[Span]] {
        var order: [TraceID] = []
        var groups: [TraceID: [Span]] = [:]
        for span in spans {
            if groups[span.traceID] == nil { order.append(span.traceID) }
            groups[span.traceID, default: []].append(span)
        }
        return order.compactMap { groups[$0] }
    }

    /// The 200 body: every trace of `spans` as a UI trace.
    package static func body(_ spans: [Span], pretty: Bool = false) -> [UInt8] {
        UIJSON.traces(traces(spans), pretty: pretty)
    }

    /// The 400 body for a request that is not valid OTLP/JSON; `detail` says why (Jaeger's message prefix).
    package static func malformedBody(_ detail: String, pretty: Bool = false) -> [UInt8] {
        UIJSON.error(code: 400, message: "cannot unmarshal OTLP : " + detail, pretty: pretty)
    }

    /// The 413 body for a request over `maxRequestBytes`.
    package static func tooLargeBody(pretty: Bool = false) -> [UInt8] {
        UIJSON.error(code: 413, message: "request body exceeds \(maxRequestBytes) bytes", pretty: pretty)
    }
}
