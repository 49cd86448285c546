import SpoorModel

/// Complete v1 JSON response bodies (spec/query-api.md §3, §5): the UI model inside Jaeger's envelope
/// `{"data":…,"total":n,"limit":0,"offset":0,"errors":…}`.
package enum UIJSON {
    /// Body of `GET /api/traces` and `GET /api/traces/{id}`: `data` is the traces in the given order,
    /// `total` is 0, and `errors` lists each id of `notFound` as
    /// `{"msg":"trace not found","traceID":"<id>"}` (or is `null` when there are none).
    ///
    /// Each inner array is one trace's spans in display order; an empty inner array is skipped,
    /// since a trace object without a `traceID` makes the UI reject the whole response.
    package static func traces(_ traces: [[Span]], notFound: [TraceID] = [], pretty: Bool = false) -> [UInt8] {
        UIJSON.traces(traces.map { (spans: $0, warnings: [String]()) }, notFound: notFound, pretty: pretty)
    }

    /// `traces(_:notFound:pretty:)` with trace-level warnings.
    static func traces(
        _ traces: [(spans: [Span], warnings: [String])], notFound: [TraceID], pretty: Bool
    ) -> [UInt8] {
        let spanCount = traces.reduce(0) { $0 + $1.spans.count }
        var writer = JSONWriter(pretty: pretty, capacity: 256 + 512 * spanCount)
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for trace in traces where !trace.spans.isEmpty {
            writer.uiTrace(trace.spans, warnings: trace.warnings)
        }
        writer.endArray()
        writer.envelopeCounts(total: 0)
        writer.key("errors")
        if notFound.isEmpty {
            writer.null()
        } else {
            writer.beginArray()
            for id in notFound {
                writer.beginObject()
                writer.key("msg")
                writer.string("trace not found")
                writer.key("traceID")
                writer.plainString(id.uiString)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }

    /// Body of `GET /api/services` and `GET /api/services/{s}/operations`: `data` is the list (`[]` when
    /// empty, never `null`) and `total` its length.
    package static func stringList(_ items: [String], pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: 128 + 32 * items.count)
        writer.beginObject()
        writer.key("data")
        writer.stringArray(items)
        writer.envelopeCounts(total: items.count)
        writer.key("errors")
        writer.null()
        writer.endObject()
        return writer.bytes
    }

    /// Body of `GET /api/operations`: `data` is `[{"name":…,"spanKind":…}]`, `total` its length.
    package static func operations(_ ops: [(name: String, spanKind: String)], pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: 128 + 64 * ops.count)
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for op in ops {
            writer.beginObject()
            writer.key("name")
            writer.string(op.name)
            writer.key("spanKind")
            writer.string(op.spanKind)
            writer.endObject()
        }
        writer.endArray()
        writer.envelopeCounts(total: ops.count)
        writer.key("errors")
        writer.null()
        writer.endObject()
        return writer.bytes
    }

    /// Body of a successful `POST /api/archive/{id}`: `{"data":[],"total":0,"limit":0,"offset":0,"errors":[]}`.
    package static func archived(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: 80)
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        writer.endArray()
        writer.envelopeCounts(total: 0)
        writer.key("errors")
        writer.beginArray()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// Error body: `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":…,"msg":…}]}`;
    /// `code` is left out when 0. No trailing newline.
    package static func error(code: Int, message: String, pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: 128 + message.utf8.count)
        writer.beginObject()
        writer.key("data")
        writer.null()
        writer.envelopeCounts(total: 0)
        writer.key("errors")
        writer.beginArray()
        writer.beginObject()
        if code != 0 {
            writer.key("code")
            writer.int(code)
        }
        writer.key("msg")
        writer.string(message)
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}

extension JSONWriter {
    /// `"total":n,"limit":0,"offset":0` (v1 never pages).
    fileprivate mutating func envelopeCounts(total: Int) {
        key("total")
        int(total)
        key("limit")
        int(0)
        key("offset")
        int(0)
    }
}
