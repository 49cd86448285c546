import SpoorModel

/// Response bodies of the api_v3 HTTP endpoints (spec/query-api.md §4): proto3 JSON with lowerCamelCase names,
/// 64-bit integers as decimal strings, ids in hex, and every array present even when empty.
package enum V3JSON {
    /// `{"services":["a","b"]}`.
    package static func services(_ services: [String]) -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + 32 * services.count)
        writer.beginObject()
        writer.key("services")
        writer.stringArray(services)
        writer.endObject()
        return writer.bytes
    }

    /// `{"operations":[{"name":"GET /x","spanKind":"server"}]}`; an unspecified kind is written `internal`.
    package static func operations(_ operations: [(name: String, kind: SpanKind)]) -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + 64 * operations.count)
        writer.beginObject()
        writer.key("operations")
        writer.beginArray()
        for operation in operations {
            writer.beginObject()
            writer.key("name")
            writer.string(operation.name)
            writer.key("spanKind")
            writer.string(displayKind(operation.kind))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// The kind name the v3 API shows: `internal` for unspecified.
    package static func displayKind(_ kind: SpanKind) -> String {
        kind == .unspecified ? SpanKind.internalKind.name : kind.name
    }

    /// `{"summaries":[TraceSummary…]}`, one per non-empty trace, in the given order.
    package static func summaries(_ traces: [[Span]]) -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + 256 * traces.count)
        writer.beginObject()
        writer.key("summaries")
        writer.beginArray()
        for spans in traces {
            guard let summary = V3TraceSummary(spans) else { continue }
            writer.v3Summary(summary)
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// `{"result":<TracesData>}`: every trace's spans grouped by process into `resourceSpans` (a trace at a time,
    /// in the given order), then by scope into `scopeSpans`.
    package static func traces(_ traces: [[Span]]) -> [UInt8] {
        let spanCount = traces.reduce(0) { $0 + $1.count }
        var writer = JSONWriter(capacity: 64 + 768 * spanCount)
        writer.beginObject()
        writer.key("result")
        writer.beginObject()
        writer.key("resourceSpans")
        writer.beginArray()
        for spans in traces {
            writer.otlpResourceSpans(spans)
        }
        writer.endArray()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// `{"error":{"httpCode":N,"message":"…"}}` (grpc-gateway's error shape, zero fields left out).
    package static func error(httpCode: Int, message: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 48 + message.utf8.count)
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        if httpCode != 0 {
            writer.key("httpCode")
            writer.int(httpCode)
        }
        writer.key("message")
        writer.string(message)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}

/// The summary of one trace, as `FindTraceSummaries` returns it (spec/query-api.md §4 TraceSummary).
package struct V3TraceSummary: Sendable, Equatable {
    /// Spans and errors of one service.
    package struct Service: Sendable, Equatable {
        package var name: String
        package var spanCount: Int
        package var errorSpanCount: Int
    }

    package var traceID: TraceID
    /// Service of the root: the earliest-starting span without a parent, smallest span id on ties ("" when every
    /// span has a parent).
    package var rootServiceName: String
    /// Operation of that root span.
    package var rootOperationName: String
    package var minStartTimeUnixNanos: UInt64
    package var maxEndTimeUnixNanos: UInt64
    package var spanCount: Int
    /// Spans whose OTLP status is ERROR (see `OTLPSpanView`).
    package var errorSpanCount: Int
    /// Spans whose parent is set but not in the trace.
    package var orphanSpanCount: Int
    /// One entry per service name, sorted by name.
    package var services: [Service]

    /// Summarises a trace; nil when it has no spans.
    package init?(_ spans: [Span]) {
        guard let first = spans.first else { return nil }
        traceID = first.traceID
        let ids = Set(spans.map(\.spanID))
        var root: Span? = nil
        var minStart = UInt64.max
        var maxEnd: UInt64 = 0
        var errors = 0
        var orphans = 0
        var perService: [ExactString: Service] = [:]
        for span in spans {
            minStart = min(minStart, span.startTimeUnixNanos)
            maxEnd = max(maxEnd, span.endTimeUnixNanos)
            let view = OTLPSpanView(span)
            let isError = view.statusCode == .error
            if isError { errors += 1 }
            if let parent = view.parentSpanID {
                if !ids.contains(parent) { orphans += 1 }
            } else if root.map({ Self.startsBefore(span, $0) }) ?? true {
                root = span
            }
            let name = span.process.serviceName
            let key = ExactString(name)
            var service = perService[key] ?? Service(name: name, spanCount: 0, errorSpanCount: 0)
            service.spanCount += 1
            if isError { service.errorSpanCount += 1 }
            perService[key] = service
        }
        rootServiceName = root?.process.serviceName ?? ""
        rootOperationName = root?.operationName ?? ""
        minStartTimeUnixNanos = minStart
        maxEndTimeUnixNanos = maxEnd
        spanCount = spans.count
        errorSpanCount = errors
        orphanSpanCount = orphans
        services = perService.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Earlier start first; equal starts fall back to the smaller span id, so the root never depends on storage order.
    private static func startsBefore(_ a: Span, _ b: Span) -> Bool {
        a.startTimeUnixNanos != b.startTimeUnixNanos ? a.startTimeUnixNanos < b.startTimeUnixNanos : a.spanID < b.spanID
    }
}

extension JSONWriter {
    fileprivate mutating func v3Summary(_ summary: V3TraceSummary) {
        beginObject()
        key("traceId")
        plainString(summary.traceID.hex32)
        key("rootServiceName")
        string(summary.rootServiceName)
        key("rootOperationName")
        string(summary.rootOperationName)
        key("minStartTimeUnixNano")
        plainString(String(summary.minStartTimeUnixNanos))
        key("maxEndTimeUnixNano")
        plainString(String(summary.maxEndTimeUnixNanos))
        key("spanCount")
        int(summary.spanCount)
        key("errorSpanCount")
        int(summary.errorSpanCount)
        key("orphanSpanCount")
        int(summary.orphanSpanCount)
        key("services")
        beginArray()
        for service in summary.services {
            beginObject()
            key("name")
            string(service.name)
            key("spanCount")
            int(service.spanCount)
            key("errorSpanCount")
            int(service.errorSpanCount)
            endObject()
        }
        endArray()
        endObject()
    }

    /// One `ResourceSpans` per distinct process of the trace, in order of first appearance.
    fileprivate mutating func otlpResourceSpans(_ spans: [Span]) {
        var order: [Process] = []
        var groups: [Process: [Span]] = [:]
        for span in spans {
            if groups[span.process] == nil { order.append(span.process) }
            groups[span.process, default: []].append(span)
        }
        for process in order {
            beginObject()
            key("resource")
            beginObject()
            let attributes = OTLPResourceView.attributes(of: process)
            if !attributes.isEmpty {
                key("attributes")
                otlpAttributes(attributes)
            }
            endObject()
            key("scopeSpans")
            otlpScopeSpans(groups[process] ?? [])
            endObject()
        }
    }

    /// One `ScopeSpans` per distinct (name, version), in order of first appearance.
    private mutating func otlpScopeSpans(_ spans: [Span]) {
        var order: [OTLPScope] = []
        var groups: [OTLPScope: [(Span, OTLPSpanView)]] = [:]
        for span in spans {
            let view = OTLPSpanView(span)
            let scope = OTLPScope(view)
            if groups[scope] == nil { order.append(scope) }
            groups[scope, default: []].append((span, view))
        }
        beginArray()
        for scope in order {
            beginObject()
            key("scope")
            beginObject()
            if !scope.name.isEmpty {
                key("name")
                string(scope.name)
            }
            if !scope.version.isEmpty {
                key("version")
                string(scope.version)
            }
            endObject()
            key("spans")
            beginArray()
            for (span, view) in groups[scope] ?? [] {
                otlpSpan(span, view)
            }
            endArray()
            endObject()
        }
        endArray()
    }

    private mutating func otlpSpan(_ span: Span, _ view: OTLPSpanView) {
        beginObject()
        key("traceId")
        plainString(span.traceID.hex32)
        key("spanId")
        plainString(span.spanID.hex)
        if !view.traceState.isEmpty {
            key("traceState")
            string(view.traceState)
        }
        if let parent = view.parentSpanID {
            key("parentSpanId")
            plainString(parent.hex)
        }
        // Only the sampled bit means the same in Jaeger and W3C flags.
        if span.flags & 1 != 0 {
            key("flags")
            int(1)
        }
        key("name")
        string(span.operationName)
        key("kind")
        int(Int(view.kind.rawValue))
        key("startTimeUnixNano")
        plainString(String(span.startTimeUnixNanos))
        key("endTimeUnixNano")
        plainString(String(span.endTimeUnixNanos))
        key("attributes")
        otlpAttributes(view.attributes)
        key("events")
        beginArray()
        for event in view.events {
            beginObject()
            key("timeUnixNano")
            plainString(String(event.timeUnixNanos))
            key("name")
            string(event.name)
            key("attributes")
            otlpAttributes(event.attributes)
            endObject()
        }
        endArray()
        key("links")
        beginArray()
        for link in view.links {
            beginObject()
            key("traceId")
            plainString(link.traceID.hex32)
            key("spanId")
            plainString(link.spanID.hex)
            key("attributes")
            otlpAttributes(link.attributes)
            endObject()
        }
        endArray()
        key("status")
        beginObject()
        if view.statusCode != .unset {
            key("code")
            int(view.statusCode.rawValue)
        }
        if !view.statusMessage.isEmpty {
            key("message")
            string(view.statusMessage)
        }
        endObject()
        endObject()
    }

    /// `[{"key":…,"value":{"stringValue"|"boolValue"|"intValue"|"doubleValue"|"bytesValue":…}}]`.
    private mutating func otlpAttributes(_ attributes: [Attribute]) {
        beginArray()
        for attribute in attributes {
            beginObject()
            key("key")
            string(attribute.key)
            key("value")
            beginObject()
            switch attribute.value {
            case .string(let text):
                key("stringValue")
                string(text)
            case .bool(let flag):
                key("boolValue")
                bool(flag)
            case .int64(let number):
                key("intValue")
                plainString(String(number))
            case .float64(let number):
                key("doubleValue")
                double(number)
            case .binary(let bytes):
                key("bytesValue")
                plainString(Base64.encode(bytes))
            }
            endObject()
            endObject()
        }
        endArray()
    }
}
