import SpoorModel

/// A stored span seen as OTLP (spec/ingest.md §4.3): the reverse of the OTLP → Jaeger conversion.
///
/// - Tags `otel.scope.name` / `otel.scope.version` (older: `otel.library.*`) become the scope.
/// - `span.kind` becomes the kind.
/// - The status comes from `error` = true (bool), else `otel.status_code` (`OK`/`ERROR`, any case), else
///   `http.status_code` (≥ 500 or < 100 is an error, 4xx only on client spans). Its message comes from
///   `otel.status_description`, or `http.status_message` for `error` and HTTP statuses.
/// - `w3c.tracestate` becomes the trace state.
///
/// The tags used are removed from the attributes (`http.*` tags stay, as does `error` = false).
/// A log's `event` field names the event. The parent reference becomes `parentSpanId`; every other
/// reference becomes a link with attribute `opentracing.ref_type` (`child_of` / `follows_from`); a
/// FOLLOWS_FROM parent is also kept as a link, so decoding the OTLP again restores its type.
package struct OTLPSpanView: Sendable, Equatable {
    /// OTLP `Status.code` values.
    package enum StatusCode: Int, Sendable {
        case unset = 0
        case ok = 1
        case error = 2
    }

    /// An OTLP span event.
    package struct Event: Sendable, Equatable {
        package var timeUnixNanos: UInt64
        package var name: String
        package var attributes: [Attribute]
    }

    /// An OTLP span link.
    package struct Link: Sendable, Equatable {
        package var traceID: TraceID
        package var spanID: SpanID
        package var attributes: [Attribute]
    }

    /// Instrumentation scope name ("" when none).
    package var scopeName: String
    /// Instrumentation scope version ("" when none).
    package var scopeVersion: String
    /// OTLP `SpanKind`; the raw values of `SpanKind` are OTLP's.
    package var kind: SpanKind
    /// Status code.
    package var statusCode: StatusCode
    /// Status message ("" when none).
    package var statusMessage: String
    /// W3C trace state ("" when none).
    package var traceState: String
    /// The parent span, if any.
    package var parentSpanID: SpanID?
    /// The tags left once the ones above are taken out, in order.
    package var attributes: [Attribute]
    /// Logs as events.
    package var events: [Event]
    /// References other than the parent.
    package var links: [Link]

    /// Tag keys read by the conversion.
    enum Keys {
        static let scopeName = "otel.scope.name"
        static let scopeVersion = "otel.scope.version"
        static let libraryName = "otel.library.name"
        static let libraryVersion = "otel.library.version"
        static let spanKind = "span.kind"
        static let error = "error"
        static let statusCode = "otel.status_code"
        static let statusDescription = "otel.status_description"
        static let httpStatusCode = "http.status_code"
        static let httpStatusMessage = "http.status_message"
        static let traceState = "w3c.tracestate"
        static let event = "event"
        static let refType = "opentracing.ref_type"
    }

    /// Converts one span.
    package init(_ span: Span) {
        var tags = span.tags

        // Scope: otel.scope.* wins over the older otel.library.* keys.
        scopeName = Self.takeString(Keys.scopeName, from: &tags) ?? Self.takeString(Keys.libraryName, from: &tags) ?? ""
        scopeVersion =
            Self.takeString(Keys.scopeVersion, from: &tags) ?? Self.takeString(Keys.libraryVersion, from: &tags) ?? ""

        // Kind: only a recognised value is taken out of the tags.
        kind = .unspecified
        if let index = tags.firstIndex(where: { $0.key == Keys.spanKind }), case .string(let text) = tags[index].value,
            let parsed = SpanKind(name: text), parsed != .unspecified
        {
            kind = parsed
            tags.remove(at: index)
        }

        (statusCode, statusMessage) = Self.takeStatus(from: &tags, kind: kind)
        traceState = Self.takeString(Keys.traceState, from: &tags) ?? ""
        attributes = tags

        events = span.logs.map { log in
            var fields = log.fields
            let name = Self.takeString(Keys.event, from: &fields) ?? ""
            return Event(timeUnixNanos: log.timestampUnixNanos, name: name, attributes: fields)
        }

        // The parent is the reference Span.parentSpanID picks: first same-trace CHILD_OF, else FOLLOWS_FROM.
        let parentIndex =
            span.references.firstIndex { $0.refType == .childOf && $0.traceID == span.traceID }
            ?? span.references.firstIndex { $0.refType == .followsFrom && $0.traceID == span.traceID }
        parentSpanID = parentIndex.map { span.references[$0].spanID }
        links = []
        for (index, reference) in span.references.enumerated() {
            if index == parentIndex && reference.refType == .childOf { continue }
            let type = reference.refType == .childOf ? "child_of" : "follows_from"
            links.append(
                Link(traceID: reference.traceID, spanID: reference.spanID, attributes: [.string(Keys.refType, type)]))
        }
    }

    /// Removes the first tag `key` with a string value and returns the value.
    private static func takeString(_ key: String, from tags: inout [Attribute]) -> String? {
        guard let index = tags.firstIndex(where: { $0.key == key }), case .string(let value) = tags[index].value else {
            return nil
        }
        tags.remove(at: index)
        return value
    }

    /// Derives the status and removes the tags it came from.
    private static func takeStatus(from tags: inout [Attribute], kind: SpanKind) -> (StatusCode, String) {
        var code: StatusCode? = nil
        var message = ""

        if let index = tags.firstIndex(where: { $0.key == Keys.error && $0.value == .bool(true) }) {
            tags.remove(at: index)
            code = .error
            message = takeString(Keys.statusDescription, from: &tags) ?? stringValue(Keys.httpStatusMessage, in: tags) ?? ""
        }
        if let index = tags.firstIndex(where: { $0.key == Keys.statusCode }) {
            let value = tags[index].value
            tags.remove(at: index)
            if code == nil {
                switch value.searchString.uppercased() {
                case "OK": code = .ok
                case "ERROR": code = .error
                default: code = .unset
                }
                message = takeString(Keys.statusDescription, from: &tags) ?? ""
            }
        } else if code == nil, let http = httpStatus(in: tags) {
            let isError: Bool
            switch http {
            case 100..<400: isError = false
            case 400..<500: isError = kind == .client
            default: isError = true
            }
            if isError {
                code = .error
                message = stringValue(Keys.httpStatusMessage, in: tags) ?? ""
            }
        }
        return (code ?? .unset, message)
    }

    private static func stringValue(_ key: String, in tags: [Attribute]) -> String? {
        for tag in tags where tag.key == key {
            if case .string(let value) = tag.value { return value }
        }
        return nil
    }

    /// `http.status_code` as an integer (int64 or decimal string).
    private static func httpStatus(in tags: [Attribute]) -> Int64? {
        guard let tag = tags.first(where: { $0.key == Keys.httpStatusCode }) else { return nil }
        switch tag.value {
        case .int64(let value): return value
        case .string(let text): return Int64(text)
        case .float64(let value): return value.isFinite && abs(value) < 1e15 ? Int64(value) : nil
        default: return nil
        }
    }
}

/// A span's process as an OTLP resource (spec/ingest.md §4.3).
package enum OTLPResourceView {
    /// `service.name` first (none for `OTLPResourceNoServiceName`), then the process tags, with `hostname` renamed
    /// `host.name` (unless that exists) and `jaeger.version` = v renamed `opencensus.exporterversion` = `Jaeger-v`.
    package static func attributes(of process: Process) -> [Attribute] {
        var out: [Attribute] = []
        out.reserveCapacity(process.tags.count + 1)
        if process.serviceName != ServiceNames.otlpNoServiceName {
            out.append(.string("service.name", process.serviceName))
        }
        let hasHostName = process.tags.contains { $0.key == "host.name" }
        for tag in process.tags {
            switch tag.key {
            case "hostname" where !hasHostName:
                out.append(Attribute(key: "host.name", value: tag.value))
            case "jaeger.version":
                if case .string(let version) = tag.value {
                    out.append(.string("opencensus.exporterversion", "Jaeger-" + version))
                } else {
                    out.append(tag)
                }
            default:
                out.append(tag)
            }
        }
        return out
    }
}
