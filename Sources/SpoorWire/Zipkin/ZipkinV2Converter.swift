import SpoorModel

/// Zipkin v2 → Jaeger, as Jaeger's current collectors convert it: Zipkin → OTLP (the OpenTelemetry
/// Zipkin receiver's translator) → Jaeger (spec/ingest.md §4.4 "current path", then §4.2).
///
/// - Process: `localEndpoint.serviceName` (else a `service.name` tag, else `OTLPResourceNoServiceName`);
///   tags in the resource semantic-convention namespaces (`telemetry.sdk.*`, `host.*`,
///   `deployment.environment`...) become process tags, as the translator moves them to the resource.
/// - `kind` → `span.kind`; a `span.kind` tag is consumed: with no kind, `internal` is kept, other
///   values dropped (the translator's rule); with a kind, the kind wins.
/// - `otel.library.name`/`version` tags are the scope: `otel.scope.name`/`version` tags lead the
///   span's tags unless the span already carries those keys.
/// - Status: `otel.status_code` (`OK`/`ERROR`, also `STATUS_CODE_*`) with `otel.status_description`;
///   an `error` tag (any value but "false") means ERROR and, when it is not "" or "true", its text is
///   the description. ERROR gives `otel.status_code`=ERROR, `error`=true (BOOL) and
///   `otel.status_description`, after `span.kind`.
/// - Other tags stay STRING tags in arrival order, then `net.host.ip`/`net.host.port` from the local
///   endpoint and `peer.service`, `net.peer.ip`, `net.peer.port` from the remote one.
/// - Annotations → logs with `event` = value (OpenTelemetry's JSON event encodings are expanded, see
///   `ZipkinLogFields.eventFields`); `debug` → flag 2; `parentId` equal to `id` means no parent.
/// - `shared` is not represented: a client and a server span sharing an id stay two spans.
/// - A missing `timestamp` is taken from the earliest annotation (the translator would use 0).
enum ZipkinV2Converter {
    static func convert(_ spans: [ZipkinV2Span], limits: DecodingLimits) -> [Span] {
        spans.map { convert($0, limits: limits) }
    }

    static func convert(_ span: ZipkinV2Span, limits: DecodingLimits) -> Span {
        func tag(_ key: String) -> String? { span.tags.first(where: { $0.key == key })?.value }
        let libraryName = tag("otel.library.name") ?? ""
        let hasStatusCode = tag("otel.status_code") != nil

        var statusCode: String?
        var statusDescription = ""
        var errorText: String?
        var kindTag: String?
        var traceState: String?
        var serviceNameTag: String?
        var processTags: [Attribute] = []
        var attributes = ZipkinOrderedPairs<AttributeValue>()
        for (key, value) in span.tags {
            switch key {
            case "service.name": serviceNameTag = value
            case "otel.library.name": continue
            case "otel.library.version" where !libraryName.isEmpty: continue
            case "otel.status_code": statusCode = value
            case "otel.status_description" where hasStatusCode: statusDescription = value
            case "error" where value.lowercased() != "false": errorText = value
            case "span.kind": if span.kind == .unspecified { kindTag = value }
            case "w3c.tracestate": traceState = value
            default:
                if Self.isResourceKey(key) {
                    processTags.append(.string(key, value))
                } else {
                    attributes.put(key, .string(value))
                }
            }
        }

        if let local = span.localEndpoint {
            if let ipv4 = local.ipv4 { attributes.put("net.host.ip", .string(ZipkinIP.format(ipv4))) }
            if let ipv6 = local.ipv6 { attributes.put("net.host.ip", .string(ZipkinIP.format(ipv6))) }
            if local.port > 0 { attributes.put("net.host.port", .int64(Int64(local.port))) }
        }
        if let remote = span.remoteEndpoint {
            if !remote.serviceName.isEmpty { attributes.put("peer.service", .string(remote.serviceName)) }
            if let ipv4 = remote.ipv4 { attributes.put("net.peer.ip", .string(ZipkinIP.format(ipv4))) }
            if let ipv6 = remote.ipv6 { attributes.put("net.peer.ip", .string(ZipkinIP.format(ipv6))) }
            if remote.port > 0 { attributes.put("net.peer.port", .int64(Int64(remote.port))) }
        }

        var tags: [Attribute] = []
        tags.reserveCapacity(attributes.count + 6)
        if !libraryName.isEmpty {
            if attributes["otel.scope.name"] == nil { tags.append(.string("otel.scope.name", libraryName)) }
            if let version = tag("otel.library.version"), !version.isEmpty, attributes["otel.scope.version"] == nil {
                tags.append(.string("otel.scope.version", version))
            }
        }
        tags.append(contentsOf: attributes.attributes)
        if let kind = Self.kind(span.kind, tag: kindTag) { tags.append(.string("span.kind", kind.name)) }

        var isError = false
        var isOK = false
        switch statusCode?.uppercased() {
        case "ERROR", "STATUS_CODE_ERROR": isError = true
        case "OK", "STATUS_CODE_OK": isOK = true
        default: break
        }
        if let errorText {
            isError = true
            isOK = false
            if statusDescription.isEmpty, !errorText.isEmpty, errorText.lowercased() != "true" {
                statusDescription = errorText
            }
        }
        if isError {
            tags.append(.string("otel.status_code", "ERROR"))
            tags.append(.bool("error", true))
        } else if isOK {
            tags.append(.string("otel.status_code", "OK"))
        }
        if !statusDescription.isEmpty { tags.append(.string("otel.status_description", statusDescription)) }
        if let traceState, !traceState.isEmpty { tags.append(.string("w3c.tracestate", traceState)) }

        var references: [SpanReference] = []
        if span.parentID != .zero, span.parentID != span.id {
            references.append(SpanReference(refType: .childOf, traceID: span.traceID, spanID: span.parentID))
        }
        var start = span.timestamp
        if start == 0, let earliest = span.annotations.lazy.map({ $0.timestamp }).min() { start = earliest }

        let serviceName: String
        if let local = span.localEndpoint?.serviceName, !local.isEmpty {
            serviceName = local
        } else if let serviceNameTag, !serviceNameTag.isEmpty {
            serviceName = serviceNameTag
        } else {
            serviceName = ServiceNames.otlpNoServiceName
        }

        return Span(
            traceID: span.traceID, spanID: span.id, operationName: span.name, references: references,
            flags: span.debug ? 2 : 0, startTimeUnixNanos: ZipkinTime.nanos(micros: start),
            durationNanos: ZipkinTime.nanos(micros: span.duration), tags: tags,
            logs: span.annotations.map {
                SpanLog(
                    timestampUnixNanos: ZipkinTime.nanos(micros: $0.timestamp),
                    fields: ZipkinLogFields.eventFields($0.value, limits: limits))
            },
            process: Process(serviceName: serviceName, tags: processTags))
    }

    private static func kind(_ kind: ZipkinV2Kind, tag: String?) -> SpanKind? {
        switch kind {
        case .client: return .client
        case .server: return .server
        case .producer: return .producer
        case .consumer: return .consumer
        case .unspecified: return tag == "internal" ? .internalKind : nil
        }
    }

    /// Resource attribute names of OpenTelemetry's semantic conventions (v1.6.1, which the Zipkin
    /// translator uses), by namespace; `faas.*` is mostly span attributes, so only its resource keys.
    private static let resourcePrefixes = [
        "service.", "telemetry.", "host.", "os.", "process.", "container.", "k8s.", "cloud.", "device.",
        "webengine.", "aws.ecs.", "aws.eks.", "aws.log.",
    ]
    private static let resourceKeys: Set<String> = [
        "deployment.environment", "faas.name", "faas.id", "faas.version", "faas.instance", "faas.max_memory",
        "opencensus.starttime", "opencensus.exporterversion", "opencensus.resourcetype",
    ]

    static func isResourceKey(_ key: String) -> Bool {
        resourceKeys.contains(key) || resourcePrefixes.contains(where: { key.hasPrefix($0) })
    }
}
