import SpoorModel

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

typealias OTLPResourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans
typealias OTLPScopeSpans = Opentelemetry_Proto_Trace_V1_ScopeSpans
typealias OTLPSpan = Opentelemetry_Proto_Trace_V1_Span
typealias OTLPStatus = Opentelemetry_Proto_Trace_V1_Status
typealias OTLPResource = Opentelemetry_Proto_Resource_V1_Resource
typealias OTLPScope = Opentelemetry_Proto_Common_V1_InstrumentationScope
typealias OTLPKeyValue = Opentelemetry_Proto_Common_V1_KeyValue
typealias OTLPAnyValue = Opentelemetry_Proto_Common_V1_AnyValue
typealias OTLPArrayValue = Opentelemetry_Proto_Common_V1_ArrayValue
typealias OTLPKeyValueList = Opentelemetry_Proto_Common_V1_KeyValueList

/// Tag keys the OTLP → Jaeger conversion writes (spec/ingest.md §4.2).
enum OTLPTagKeys {
    static let scopeName = "otel.scope.name"
    static let scopeVersion = "otel.scope.version"
    static let spanKind = "span.kind"
    static let statusCode = "otel.status_code"
    static let error = "error"
    static let statusDescription = "otel.status_description"
    static let traceState = "w3c.tracestate"
    static let event = "event"
    static let refType = "opentracing.ref_type"
    static let serviceName = "service.name"
}

/// Converts decoded OTLP messages into Jaeger-model spans, as Jaeger v1's collector stores them.
///
/// One ResourceSpans becomes one `Process` shared by its spans. Span tags come in this order:
/// scope name/version, attributes, `span.kind`, `otel.status_code`, `error`,
/// `otel.status_description`, `w3c.tracestate`. Errors are built innermost first and get
/// their path prefixed on the way out, so the success path builds no path strings.
struct OTLPSpanConverter {
    let limits: OTLPLimits

    func convert(_ request: OTLPExportRequest) throws(OTLPError) -> [Span] {
        let total = Self.countSpans(request)
        guard total <= limits.maxSpansPerRequest else {
            throw .tooManySpans(count: total, limit: limits.maxSpansPerRequest)
        }
        var spans: [Span] = []
        spans.reserveCapacity(total)
        for (r, resourceSpans) in request.resourceSpans.enumerated() {
            do throws(OTLPError) {
                try append(resourceSpans, to: &spans)
            } catch {
                throw error.at("resourceSpans[\(r)]")
            }
        }
        return spans
    }

    private static func countSpans(_ request: OTLPExportRequest) -> Int {
        var total = 0
        for resourceSpans in request.resourceSpans {
            for scopeSpans in resourceSpans.scopeSpans {
                total = total.addingReportingOverflow(scopeSpans.spans.count).partialValue
            }
        }
        return total
    }

    private func append(_ resourceSpans: OTLPResourceSpans, to spans: inout [Span]) throws(OTLPError) {
        let process: Process
        do throws(OTLPError) {
            process = try makeProcess(resourceSpans.resource)
        } catch {
            throw error.at("resource")
        }
        for (s, scopeSpans) in resourceSpans.scopeSpans.enumerated() {
            let scopeTags = makeScopeTags(scopeSpans.scope)
            for (i, span) in scopeSpans.spans.enumerated() {
                do throws(OTLPError) {
                    spans.append(try convertSpan(span, scopeTags: scopeTags, process: process))
                } catch {
                    throw error.at("scopeSpans[\(s)].spans[\(i)]")
                }
            }
        }
    }

    // MARK: Resource and scope

    /// Resource → Process: `service.name` names it, every other attribute becomes a process tag.
    func makeProcess(_ resource: OTLPResource) throws(OTLPError) -> Process {
        guard !resource.attributes.isEmpty else {
            return Process(serviceName: ServiceNames.otlpNoServiceName)
        }
        let tags = try attributes(resource.attributes, named: "attributes")
        var serviceName: String?
        var processTags: [Attribute] = []
        processTags.reserveCapacity(tags.count)
        for tag in tags {
            guard tag.key == OTLPTagKeys.serviceName else {
                processTags.append(tag)
                continue
            }
            // The first service.name counts; a non-string value names no service.
            if serviceName == nil {
                if case .string(let name) = tag.value { serviceName = name } else { serviceName = "" }
            }
        }
        let name = serviceName ?? ""
        return Process(serviceName: name.isEmpty ? ServiceNames.emptyServiceName : name, tags: processTags)
    }

    /// Scope name and version become span tags when non-empty; scope attributes are dropped.
    func makeScopeTags(_ scope: OTLPScope) -> [Attribute] {
        var tags: [Attribute] = []
        if !scope.name.isEmpty { tags.append(.string(OTLPTagKeys.scopeName, scope.name)) }
        if !scope.version.isEmpty { tags.append(.string(OTLPTagKeys.scopeVersion, scope.version)) }
        return tags
    }

    // MARK: Span

    func convertSpan(_ span: OTLPSpan, scopeTags: [Attribute], process: Process) throws(OTLPError) -> Span {
        let traceID = try Self.traceID(span.traceID, field: "traceId")
        let spanID = try Self.spanID(span.spanID, field: "spanId")
        let parentID = try Self.spanID(span.parentSpanID, field: "parentSpanId")

        let spanAttributes = try attributes(span.attributes, named: "attributes")
        let status = span.hasStatus ? SpanStatus(code: span.status.code.rawValue, message: span.status.message) : nil
        let tags = Self.tags(
            scopeTags: scopeTags, attributes: spanAttributes, kind: span.kind.rawValue, status: status,
            traceState: span.traceState)
        let references = try references(span.links, traceID: traceID, parentID: parentID)
        let logs = try logs(span.events)
        return Self.span(
            traceID: traceID, spanID: spanID, name: span.name, references: references, flags: span.flags,
            start: span.startTimeUnixNano, end: span.endTimeUnixNano, tags: tags, logs: logs, process: process)
    }

    /// A span's `Status` as the conversion reads it.
    struct SpanStatus {
        /// The `StatusCode` number (0 unset, 1 ok, 2 error; others are unrecognized).
        var code: Int
        var message: String
    }

    /// Span tags in the order Jaeger writes them: scope name/version, attributes, `span.kind`,
    /// `otel.status_code`, `error`, `otel.status_description`, `w3c.tracestate`.
    static func tags(
        scopeTags: [Attribute], attributes: [Attribute], kind: Int, status: SpanStatus?, traceState: String
    ) -> [Attribute] {
        var tags: [Attribute] = []
        tags.reserveCapacity(scopeTags.count + attributes.count + 5)
        tags.append(contentsOf: scopeTags)
        tags.append(contentsOf: attributes)
        if let kind = kindName(kind) { tags.append(.string(OTLPTagKeys.spanKind, kind)) }
        if let status {
            switch status.code {
            case OTLPStatus.StatusCode.ok.rawValue:
                tags.append(.string(OTLPTagKeys.statusCode, "OK"))
            case OTLPStatus.StatusCode.error.rawValue:
                tags.append(.string(OTLPTagKeys.statusCode, "ERROR"))
                tags.append(.bool(OTLPTagKeys.error, true))
            default:
                break
            }
            if !status.message.isEmpty {
                tags.append(.string(OTLPTagKeys.statusDescription, status.message))
            }
        }
        if !traceState.isEmpty { tags.append(.string(OTLPTagKeys.traceState, traceState)) }
        return tags
    }

    /// The model span: only the sampled bit of the W3C flags is kept; an end before the start is a zero duration.
    static func span(
        traceID: TraceID, spanID: SpanID, name: String, references: [SpanReference], flags: UInt32,
        start: UInt64, end: UInt64, tags: [Attribute], logs: [SpanLog], process: Process
    ) -> Span {
        Span(
            traceID: traceID,
            spanID: spanID,
            operationName: name,
            references: references,
            flags: flags & 0x01 != 0 ? 1 : 0,
            startTimeUnixNanos: start,
            durationNanos: end >= start ? end - start : 0,
            tags: tags,
            logs: logs,
            process: process
        )
    }

    /// The `span.kind` value of an OTLP `SpanKind` number; unspecified and unknown kinds have none.
    static func kindName(_ kind: Int) -> String? {
        switch OTLPSpan.SpanKind(rawValue: kind) {
        case .internal?: return SpanKind.internalKind.name
        case .server?: return SpanKind.server.name
        case .client?: return SpanKind.client.name
        case .producer?: return SpanKind.producer.name
        case .consumer?: return SpanKind.consumer.name
        case .unspecified?, .UNRECOGNIZED?, nil: return nil
        }
    }

    /// Parent first (CHILD_OF), then one reference per link; a link to the parent only retypes ref #0.
    func references(
        _ links: [OTLPSpan.Link], traceID: TraceID, parentID: SpanID
    ) throws(OTLPError) -> [SpanReference] {
        guard links.count <= limits.maxLinksPerSpan else {
            throw .tooManyItems(path: "links", count: links.count, limit: limits.maxLinksPerSpan)
        }
        var references: [SpanReference] = []
        let hasParent = parentID != .zero
        if hasParent {
            references.reserveCapacity(links.count + 1)
            references.append(SpanReference(refType: .childOf, traceID: traceID, spanID: parentID))
        } else if !links.isEmpty {
            references.reserveCapacity(links.count)
        }
        for (l, link) in links.enumerated() {
            do throws(OTLPError) {
                let linkTraceID = try Self.traceID(link.traceID, field: "traceId")
                let linkSpanID = try Self.spanID(link.spanID, field: "spanId")
                guard link.attributes.count <= limits.maxAttributesPerSpan else {
                    throw .tooManyItems(
                        path: "attributes", count: link.attributes.count, limit: limits.maxAttributesPerSpan)
                }
                let refType = Self.refType(of: link.attributes)
                if hasParent, linkTraceID == traceID, linkSpanID == parentID {
                    references[0].refType = refType
                } else {
                    references.append(SpanReference(refType: refType, traceID: linkTraceID, spanID: linkSpanID))
                }
            } catch {
                throw error.at("links[\(l)]")
            }
        }
        return references
    }

    /// CHILD_OF only when the link says `opentracing.ref_type = "child_of"`; other link attributes are dropped.
    static func refType(of attributes: [OTLPKeyValue]) -> SpanRefType {
        for attribute in attributes where attribute.key == OTLPTagKeys.refType {
            if case .stringValue(let text)? = attribute.value.value, text == "child_of" { return .childOf }
            return .followsFrom
        }
        return .followsFrom
    }

    /// Events become logs; the event name leads as field `event` unless an attribute already has that key.
    func logs(_ events: [OTLPSpan.Event]) throws(OTLPError) -> [SpanLog] {
        try Self.list(events.count, named: "events", limit: limits.maxEventsPerSpan) { index throws(OTLPError) in
            let event = events[index]
            let converted = try attributes(event.attributes, named: "attributes")
            return Self.log(time: event.timeUnixNano, name: event.name, attributes: converted)
        }
    }

    /// The `count` elements of a list named `name`, each converted by `element`: more than `limit` are refused, and
    /// an element's error gets its place in the path (`name[i]`). Both OTLP decoders convert their lists with it.
    static func list<Element>(
        _ count: Int, named name: String, limit: Int, _ element: (Int) throws(OTLPError) -> Element
    ) throws(OTLPError) -> [Element] {
        guard count <= limit else { throw .tooManyItems(path: name, count: count, limit: limit) }
        var out: [Element] = []
        out.reserveCapacity(count)
        for index in 0..<count {
            do throws(OTLPError) {
                out.append(try element(index))
            } catch {
                throw error.at("\(name)[\(index)]")
            }
        }
        return out
    }

    /// An event as a log: its name leads as field `event` unless an attribute already has that key.
    static func log(time: UInt64, name: String, attributes: [Attribute]) -> SpanLog {
        guard !name.isEmpty, !attributes.contains(where: { $0.key == OTLPTagKeys.event }) else {
            return SpanLog(timestampUnixNanos: time, fields: attributes)
        }
        var fields: [Attribute] = []
        fields.reserveCapacity(attributes.count + 1)
        fields.append(.string(OTLPTagKeys.event, name))
        fields.append(contentsOf: attributes)
        return SpanLog(timestampUnixNanos: time, fields: fields)
    }

    // MARK: Ids

    /// 16 bytes (high, low), 8 bytes (low only) or empty (zero); any other length is an error.
    static func traceID(_ bytes: Data, field: String) throws(OTLPError) -> TraceID {
        guard let id = TraceID(bytes: bytes) else {
            throw .invalidIDLength(path: field, length: bytes.count, expected: 16)
        }
        return id
    }

    /// 8 bytes or empty (zero); any other length is an error.
    static func spanID(_ bytes: Data, field: String) throws(OTLPError) -> SpanID {
        guard let id = SpanID(bytes: bytes) else {
            throw .invalidIDLength(path: field, length: bytes.count, expected: 8)
        }
        return id
    }

    // MARK: Attributes

    func attributes(_ keyValues: [OTLPKeyValue], named name: String) throws(OTLPError) -> [Attribute] {
        try Self.list(keyValues.count, named: name, limit: limits.maxAttributesPerSpan) { index throws(OTLPError) in
            try attribute(keyValues[index])
        }
    }

    func attribute(_ keyValue: OTLPKeyValue) throws(OTLPError) -> Attribute {
        let keyBytes = keyValue.key.utf8.count
        guard keyBytes <= limits.maxAttributeValueBytes else {
            throw .valueTooLarge(path: "key", bytes: keyBytes, limit: limits.maxAttributeValueBytes)
        }
        do throws(OTLPError) {
            return Attribute(key: keyValue.key, value: try value(keyValue.value))
        } catch {
            throw error.at("value")
        }
    }

    /// Scalars keep their type, bytes become BINARY, arrays and kvlists become JSON text, empty becomes "".
    func value(_ anyValue: OTLPAnyValue) throws(OTLPError) -> AttributeValue {
        let limit = limits.maxAttributeValueBytes
        switch anyValue.value {
        case nil:
            return .string("")
        case .stringValue(let text)?:
            let size = text.utf8.count
            guard size <= limit else { throw .valueTooLarge(path: "", bytes: size, limit: limit) }
            return .string(text)
        case .boolValue(let flag)?:
            return .bool(flag)
        case .intValue(let number)?:
            return .int64(number)
        case .doubleValue(let number)?:
            return .float64(number)
        case .bytesValue(let bytes)?:
            guard bytes.count <= limit else { throw .valueTooLarge(path: "", bytes: bytes.count, limit: limit) }
            return .binary([UInt8](bytes))
        case .arrayValue?, .kvlistValue?:
            var writer = AnyValueJSONWriter(limits: limits)
            try writer.write(anyValue, depth: 0)
            return .string(writer.text)
        }
    }
}
