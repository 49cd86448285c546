import SpoorModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Jaeger's direct zipkincore → Jaeger conversion (spec/ingest.md §4.4, "legacy direct converter"),
/// used for Zipkin v1 JSON, v1 Thrift and UDP `emitZipkinBatch`.
///
/// First Jaeger's collector sanitizers, in Jaeger's order:
/// 1. no timestamp: the first `cs` annotation's, else (root spans only) the last `sr`'s;
/// 2. no duration: `cr`−`cs`, else last−first annotation when positive (also setting a missing
///    timestamp to that first one), else 1 µs; a negative duration becomes 1 µs plus the STRING tag
///    `errNegativeDuration` holding the original;
/// 3. `parent_id` 0: no parent, plus the STRING tag `errZeroParentID` = "0";
/// 4. a non-BOOL `error` binary annotation becomes BOOL: "", "true" → true, "false" → false, any
///    other text → true plus a STRING `error.message` with that text.
///
/// Then the conversion: binary annotations become typed tags (`lc` → `component`; `sa`/`ca`/`ma` →
/// `peer.service`, `peer.ipv4`, `peer.ipv6`, `peer.port`; `jaegerClient`, `jaeger.version`,
/// `jaeger.hostname` → process tags `jaeger.version`, `jaeger.version`, `hostname`); the first core
/// annotation names `span.kind`; other annotations with a value become logs; `debug` becomes flag 2.
/// The service is the host of the first core annotation, else of the `lc` binary annotation, else of
/// any annotation, else of any binary annotation, else `unknown-service-name`; that host's IPv4 is
/// the process tag `ip` (INT64, the i32 sign-extended as Jaeger does).
///
/// A span holding both `cs` and `sr` is one RPC seen from both sides and becomes two spans with the
/// same ids: the original, and a copy whose only tag is the opposite `span.kind`, timed `sr`..`ss`
/// (or `cs`..`cr`), without logs.
///
/// Where Jaeger stores µs times as unsigned, negative ones clamp to 0 here.
enum ZipkinLegacyConverter {
    static let unknownServiceName = "unknown-service-name"

    private static let coreAnnotationKinds: [String: SpanKind] = [
        "cs": .client, "cr": .client, "sr": .server, "ss": .server,
    ]
    /// Binary annotations that describe the process rather than the span, and their process tag keys.
    private static let processTagKeys: [String: String] = [
        "jaegerClient": "jaeger.version", "jaeger.hostname": "hostname", "jaeger.version": "jaeger.version",
    ]

    /// Converts every span; a shared RPC span yields two.
    static func convert(_ spans: [ZipkinV1Span], limits: DecodingLimits) -> [Span] {
        var out: [Span] = []
        out.reserveCapacity(spans.count)
        for span in spans {
            out.append(contentsOf: convert(span, limits: limits))
        }
        return out
    }

    static func convert(_ input: ZipkinV1Span, limits: DecodingLimits) -> [Span] {
        var zipkin = input
        sanitizeStartTime(&zipkin)
        sanitizeDuration(&zipkin)
        sanitizeParentID(&zipkin)
        sanitizeErrorTag(&zipkin)

        var tags = self.tags(zipkin.binaryAnnotations.filter { processTagKeys[$0.key] == nil })
        let kind = zipkin.annotations.lazy.compactMap { coreAnnotationKinds[$0.value] }.first
        if let kind { tags.append(.string("span.kind", kind.name)) }

        let traceID = TraceID(
            high: UInt64(bitPattern: zipkin.traceIDHigh ?? 0), low: UInt64(bitPattern: zipkin.traceID))
        let spanID = SpanID(UInt64(bitPattern: zipkin.id))
        var references: [SpanReference] = []
        if let parent = zipkin.parentID, parent != 0 {
            references.append(
                SpanReference(refType: .childOf, traceID: traceID, spanID: SpanID(UInt64(bitPattern: parent))))
        }
        let flags: UInt32 = zipkin.debug ? 2 : 0
        let (start, duration) = startAndDuration(zipkin)
        let process = self.process(zipkin)

        var spans = [
            Span(
                traceID: traceID, spanID: spanID, operationName: zipkin.name, references: references, flags: flags,
                startTimeUnixNanos: ZipkinTime.nanos(micros: start), durationNanos: ZipkinTime.nanos(micros: duration),
                tags: tags, logs: logs(zipkin.annotations, limits: limits), process: process)
        ]

        if let cs = zipkin.first("cs"), let sr = zipkin.first("sr") {
            // One RPC reported from both sides: add the other side as its own span.
            var other = Span(
                traceID: traceID, spanID: spanID, operationName: zipkin.name, references: references, flags: flags,
                startTimeUnixNanos: 0, durationNanos: 0, process: process)
            if kind == .client {
                other.tags = [.string("span.kind", SpanKind.server.name)]
                other.startTimeUnixNanos = ZipkinTime.nanos(micros: sr.timestamp)
                if let ss = zipkin.first("ss") {
                    other.durationNanos = ZipkinTime.nanos(micros: ss.timestamp &- sr.timestamp)
                }
            } else {
                other.tags = [.string("span.kind", SpanKind.client.name)]
                other.startTimeUnixNanos = ZipkinTime.nanos(micros: cs.timestamp)
                if let cr = zipkin.first("cr") {
                    other.durationNanos = ZipkinTime.nanos(micros: cr.timestamp &- cs.timestamp)
                }
            }
            spans.append(other)
        }
        return spans
    }

    // MARK: Sanitizers

    private static func sanitizeStartTime(_ span: inout ZipkinV1Span) {
        guard span.timestamp == nil else { return }
        for annotation in span.annotations {
            if annotation.value == "cs" {
                span.timestamp = annotation.timestamp
                return
            }
            if annotation.value == "sr", span.parentID == nil {
                // Keep looking: a later cs takes precedence.
                span.timestamp = annotation.timestamp
            }
        }
    }

    private static func sanitizeDuration(_ span: inout ZipkinV1Span) {
        guard let duration = span.duration else {
            var computed: Int64 = 1
            if span.annotations.count >= 2, let firstAnnotation = span.annotations.first,
                let lastAnnotation = span.annotations.last
            {
                var first = firstAnnotation.timestamp
                var last = lastAnnotation.timestamp
                for annotation in span.annotations {
                    if annotation.value == "cs" {
                        first = annotation.timestamp
                    } else if annotation.value == "cr" {
                        last = annotation.timestamp
                    }
                }
                if first < last {
                    computed = last &- first
                    if span.timestamp == nil { span.timestamp = first }
                }
            }
            span.duration = computed
            return
        }
        guard duration < 0 else { return }
        span.duration = 1
        span.binaryAnnotations.append(
            ZipkinV1BinaryAnnotation(
                key: "errNegativeDuration", value: Array(String(duration).utf8), type: ZipkinAnnotationType.string))
    }

    private static func sanitizeParentID(_ span: inout ZipkinV1Span) {
        guard span.parentID == 0 else { return }
        span.binaryAnnotations.append(
            ZipkinV1BinaryAnnotation(key: "errZeroParentID", value: Array("0".utf8), type: ZipkinAnnotationType.string))
        span.parentID = nil
    }

    private static func sanitizeErrorTag(_ span: inout ZipkinV1Span) {
        for index in span.binaryAnnotations.indices {
            let annotation = span.binaryAnnotations[index]
            guard annotation.type != ZipkinAnnotationType.bool, annotation.key.lowercased() == "error" else { continue }
            let text = String(decoding: annotation.value, as: UTF8.self)
            span.binaryAnnotations[index].type = ZipkinAnnotationType.bool
            switch text.lowercased() {
            case "", "true":
                span.binaryAnnotations[index].value = [1]
            case "false":
                span.binaryAnnotations[index].value = [0]
            default:
                span.binaryAnnotations[index].value = [1]
                span.binaryAnnotations.append(
                    ZipkinV1BinaryAnnotation(
                        key: "error.message", value: annotation.value, type: ZipkinAnnotationType.string))
            }
        }
    }

    // MARK: Conversion

    private static func startAndDuration(_ span: ZipkinV1Span) -> (start: Int64, duration: Int64) {
        var start = span.timestamp ?? 0
        var duration = span.duration ?? 0
        if start == 0 {
            if let cs = span.first("cs") {
                start = cs.timestamp
                if duration == 0, let cr = span.first("cr") { duration = cr.timestamp &- cs.timestamp }
            } else if let sr = span.first("sr") {
                start = sr.timestamp
                if duration == 0, let ss = span.first("ss") { duration = ss.timestamp &- sr.timestamp }
            }
        }
        return (start, duration)
    }

    private static func tags(_ annotations: [ZipkinV1BinaryAnnotation]) -> [Attribute] {
        var tags: [Attribute] = []
        tags.reserveCapacity(annotations.count + 1)
        for annotation in annotations {
            switch annotation.key {
            case "lc":
                tags.append(.string("component", String(decoding: annotation.value, as: UTF8.self)))
            case "sa", "ca", "ma":
                guard let host = annotation.host else { continue }
                tags.append(.string("peer.service", host.serviceName))
                if host.ipv4 != 0 { tags.append(.int64("peer.ipv4", Int64(UInt32(bitPattern: host.ipv4)))) }
                if let ipv6 = host.ipv6 { tags.append(Attribute(key: "peer.ipv6", value: .binary(ipv6))) }
                if host.port != 0 { tags.append(.int64("peer.port", Int64(UInt16(bitPattern: host.port)))) }
            default:
                tags.append(tag(annotation))
            }
        }
        return tags
    }

    /// One binary annotation as a typed tag; an undecodable value becomes an explanatory STRING.
    private static func tag(_ annotation: ZipkinV1BinaryAnnotation) -> Attribute {
        let bytes = annotation.value
        func number(_ size: Int) -> UInt64? {
            guard bytes.count >= size else { return nil }
            return bytes[0..<size].reduce(0) { $0 << 8 | UInt64($1) }
        }
        let value: AttributeValue?
        var problem = bytes.isEmpty ? "EOF" : "unexpected EOF"
        switch annotation.type {
        case ZipkinAnnotationType.bool: value = .bool(bytes == [1])
        case ZipkinAnnotationType.bytes: value = .binary(bytes)
        case ZipkinAnnotationType.i16: value = number(2).map { .int64(Int64(Int16(truncatingIfNeeded: $0))) }
        case ZipkinAnnotationType.i32: value = number(4).map { .int64(Int64(Int32(truncatingIfNeeded: $0))) }
        case ZipkinAnnotationType.i64: value = number(8).map { .int64(Int64(bitPattern: $0)) }
        case ZipkinAnnotationType.double: value = number(8).map { .float64(Double(bitPattern: $0)) }
        case ZipkinAnnotationType.string: value = .string(String(decoding: bytes, as: UTF8.self))
        default:
            value = nil
            problem = "unknown zipkin annotation type: \(annotation.type)"
        }
        if let value { return Attribute(key: annotation.key, value: value) }
        let encoded = Data(bytes).base64EncodedString()
        return .string(annotation.key, "Cannot parse Zipkin value \(encoded): \(problem)")
    }

    private static func logs(_ annotations: [ZipkinV1Annotation], limits: DecodingLimits) -> [SpanLog] {
        var logs: [SpanLog] = []
        for annotation in annotations where !annotation.value.isEmpty && coreAnnotationKinds[annotation.value] == nil {
            logs.append(
                SpanLog(
                    timestampUnixNanos: ZipkinTime.nanos(micros: annotation.timestamp),
                    fields: ZipkinLogFields.legacyFields(annotation.value, limits: limits)))
        }
        return logs
    }

    private static func process(_ span: ZipkinV1Span) -> Process {
        var tags: [Attribute] = []
        for annotation in span.binaryAnnotations {
            guard let key = processTagKeys[annotation.key] else { continue }
            var converted = tag(annotation)
            converted.key = key
            tags.append(converted)
        }
        let host = serviceHost(span)
        if let ipv4 = host?.ipv4, ipv4 != 0 { tags.append(.int64("ip", Int64(ipv4))) }
        return Process(serviceName: host?.serviceName ?? unknownServiceName, tags: tags)
    }

    /// The endpoint that names the service (see the type's documentation), nil if none does.
    private static func serviceHost(_ span: ZipkinV1Span) -> ZipkinV1Endpoint? {
        func named(_ host: ZipkinV1Endpoint?) -> ZipkinV1Endpoint? {
            guard let host, !host.serviceName.isEmpty else { return nil }
            return host
        }
        for annotation in span.annotations where coreAnnotationKinds[annotation.value] != nil {
            if let host = named(annotation.host) { return host }
        }
        for annotation in span.binaryAnnotations where annotation.key == "lc" {
            if let host = named(annotation.host) { return host }
        }
        for annotation in span.annotations {
            if let host = named(annotation.host) { return host }
        }
        for annotation in span.binaryAnnotations {
            if let host = named(annotation.host) { return host }
        }
        return nil
    }
}

extension ZipkinV1Span {
    /// The first annotation with `value` (`cs`, `sr`...).
    fileprivate func first(_ value: String) -> ZipkinV1Annotation? {
        annotations.first { $0.value == value }
    }
}

/// Log fields from Zipkin annotation values.
enum ZipkinLogFields {
    static let eventKey = "event"

    /// The legacy converter's rule, extended by the OpenTelemetry event form: `{"name": {...}}`
    /// gives `event` = name plus typed fields; any other flat object of strings gives one STRING field
    /// per member; anything else gives `event` = the text.
    static func legacyFields(_ text: String, limits: DecodingLimits) -> [Attribute] {
        if let json = json(text, limits: limits) {
            if let fields = openTelemetryEvent(json) { return fields }
            if case .object(let members) = json {
                var fields = ZipkinOrderedPairs<AttributeValue>()
                for member in members {
                    guard case .string(let value) = member.value else { return [.string(eventKey, text)] }
                    fields.put(member.key, .string(value))
                }
                return fields.attributes
            }
        }
        return [.string(eventKey, text)]
    }

    /// The current path's rule (annotation → event named by the value), extended by the two forms
    /// OpenTelemetry exporters write: `{"name": {...}}` (SDK exporters) and `name|{...}|dropped`
    /// (the collector's Zipkin exporter), both giving `event` = name plus typed fields.
    static func eventFields(_ text: String, limits: DecodingLimits) -> [Attribute] {
        if let json = json(text, limits: limits), let fields = openTelemetryEvent(json) { return fields }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        if parts.count >= 3, UInt32(parts[parts.count - 1]) != nil {
            let body = parts[1..<(parts.count - 1)].joined(separator: "|")
            if let json = json(body, limits: limits), case .object(let members) = json {
                return fields(name: String(parts[0]), members: members)
            }
        }
        return [.string(eventKey, text)]
    }

    /// `{"name": {attributes}}` → `event` = name, then the attributes typed.
    private static func openTelemetryEvent(_ json: JSONValue) -> [Attribute]? {
        guard case .object(let outer) = json, outer.count == 1, case .object(let members) = outer[0].value else {
            return nil
        }
        return fields(name: outer[0].key, members: members)
    }

    /// The event name leads as `event` unless it is empty or an attribute already has that key.
    private static func fields(name: String, members: [JSONMember]) -> [Attribute] {
        var fields = ZipkinOrderedPairs<AttributeValue>()
        if !name.isEmpty, !members.contains(where: { $0.key == eventKey }) {
            fields.put(eventKey, .string(name))
        }
        for member in members {
            fields.put(member.key, typed(member.value))
        }
        return fields.attributes
    }

    /// JSON scalars keep their type (integers written without fraction or exponent are INT64);
    /// arrays and objects become their JSON text; null becomes "".
    static func typed(_ value: JSONValue) -> AttributeValue {
        switch value {
        case .null: return .string("")
        case .bool(let flag): return .bool(flag)
        case .string(let text): return .string(text)
        case .number(let text):
            if let integer = Int64(text) { return .int64(integer) }
            return .float64(Double(text) ?? 0)
        case .array, .object: return .string(value.jsonText)
        }
    }

    private static func json(_ text: String, limits: DecodingLimits) -> JSONValue? {
        guard text.utf8.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) == UInt8(ascii: "{")
        else { return nil }
        return ZipkinJSONParser.parseIfJSON(text, limits: limits)
    }
}

extension ZipkinOrderedPairs<AttributeValue> {
    /// The pairs as model attributes.
    var attributes: [Attribute] { pairs.map { Attribute(key: $0.key, value: $0.value) } }
}
