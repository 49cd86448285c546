import Foundation
import GRPCCore
import NIOPosix
import SpoorModel
import SpoorQuery
import SpoorStorage
import SpoorWire
import SwiftProtobuf

/// Shared plumbing of the gRPC query services (spec/query-api.md §8): tenancy, pool reads, errors and
/// conversions from stored spans to api_v2 / OTLP protobuf messages.
enum QueryGRPCSupport {
    /// Most spans per streamed api_v2 chunk (Jaeger's value).
    static let maxSpansPerChunk = 10

    /// The request's tenant, or the tenancy error as an `RPCError`.
    static func tenant(_ tenancy: TenantResolver, _ metadata: Metadata) throws(RPCError) -> String {
        do throws(TenantError) {
            return try tenancy.tenant(of: metadata)
        } catch {
            throw error.rpcError
        }
    }

    /// Runs a storage read on the pool; storage failures become INTERNAL, a stopped pool UNAVAILABLE.
    static func read<T: Sendable>(_ pool: NIOThreadPool, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive(body)
        } catch let error as RPCError {
            throw error
        } catch let error as StorageError {
            throw RPCError(code: .internalError, message: error.description)
        } catch {
            throw RPCError(code: .unavailable, message: "query service is shutting down")
        }
    }

    /// Nanoseconds since the epoch; times before the epoch clamp to 0, overflow to `UInt64.max`.
    static func nanos(_ timestamp: Google_Protobuf_Timestamp) -> UInt64 {
        guard timestamp.seconds >= 0 else { return 0 }
        let (scaled, overflow) = UInt64(timestamp.seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(UInt64(max(0, timestamp.nanos)))
        return overflow2 ? .max : sum
    }

    /// Nanoseconds of a duration; negative durations clamp to 0, overflow to `UInt64.max`.
    static func nanos(_ duration: Google_Protobuf_Duration) -> UInt64 {
        guard duration.seconds >= 0 else { return 0 }
        let (scaled, overflow) = UInt64(duration.seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(UInt64(max(0, duration.nanos)))
        return overflow2 ? .max : sum
    }

    /// A timestamp from nanoseconds since the epoch.
    static func timestamp(_ nanos: UInt64) -> Google_Protobuf_Timestamp {
        var out = Google_Protobuf_Timestamp()
        out.seconds = Int64(nanos / 1_000_000_000)
        out.nanos = Int32(nanos % 1_000_000_000)
        return out
    }

    /// A duration from nanoseconds (saturating at `Int64.max` seconds, which `UInt64` cannot reach).
    static func duration(_ nanos: UInt64) -> Google_Protobuf_Duration {
        var out = Google_Protobuf_Duration()
        out.seconds = Int64(nanos / 1_000_000_000)
        out.nanos = Int32(nanos % 1_000_000_000)
        return out
    }

    /// Builds a search; a missing bound is open, a non-positive depth means the default limit.
    static func query(
        service: String, operation: String, tags: [String: String], hasMin: Bool, min: Google_Protobuf_Timestamp,
        hasMax: Bool, max: Google_Protobuf_Timestamp, hasDurationMin: Bool, durationMin: Google_Protobuf_Duration,
        hasDurationMax: Bool, durationMax: Google_Protobuf_Duration, depth: Int32
    ) -> TraceQuery {
        TraceQuery(
            serviceName: service.isEmpty ? nil : service,
            operationName: operation.isEmpty ? nil : operation,
            tags: tags.sorted { $0.key.precedesInUTF8($1.key) }.map { TagFilter(key: $0.key, value: $0.value) },
            startTimeMinUnixNanos: hasMin ? nanos(min) : 0,
            startTimeMaxUnixNanos: hasMax ? nanos(max) : .max,
            durationMinNanos: hasDurationMin ? nanos(durationMin) : nil,
            durationMaxNanos: hasDurationMax ? nanos(durationMax) : nil,
            limit: depth > 0 ? Int(depth) : TraceQuery.defaultLimit)
    }

    /// The span kind named by a request (`""` = any); an unknown name is INVALID_ARGUMENT.
    static func spanKind(_ name: String) throws(RPCError) -> SpanKind? {
        guard !name.isEmpty else { return nil }
        guard let kind = SpanKind(name: name.lowercased()) else {
            throw RPCError(code: .invalidArgument, message: "unsupported span kind: \(name)")
        }
        return kind
    }

    // MARK: api_v2 model

    /// One stored span as an api_v2 span carrying its process.
    static func jaegerSpan(_ span: Span) -> Jaeger_ApiV2_Span {
        var out = Jaeger_ApiV2_Span()
        out.traceID = Data(span.traceID.bytes)
        out.spanID = Data(span.spanID.bytes)
        out.operationName = span.operationName
        out.references = span.references.map { reference in
            var ref = Jaeger_ApiV2_SpanRef()
            ref.traceID = Data(reference.traceID.bytes)
            ref.spanID = Data(reference.spanID.bytes)
            ref.refType = reference.refType == .childOf ? .childOf : .followsFrom
            return ref
        }
        out.flags = span.flags
        out.startTime = timestamp(span.startTimeUnixNanos)
        out.duration = duration(span.durationNanos)
        out.tags = span.tags.map(jaegerKeyValue)
        out.logs = span.logs.map { log in
            var entry = Jaeger_ApiV2_Log()
            entry.timestamp = timestamp(log.timestampUnixNanos)
            entry.fields = log.fields.map(jaegerKeyValue)
            return entry
        }
        var process = Jaeger_ApiV2_Process()
        process.serviceName = span.process.serviceName
        process.tags = span.process.tags.map(jaegerKeyValue)
        out.process = process
        out.warnings = span.warnings
        return out
    }

    /// One attribute as an api_v2 typed key/value.
    static func jaegerKeyValue(_ attribute: Attribute) -> Jaeger_ApiV2_KeyValue {
        var out = Jaeger_ApiV2_KeyValue()
        out.key = attribute.key
        switch attribute.value {
        case .string(let value): out.vType = .string; out.vStr = value
        case .bool(let value): out.vType = .bool; out.vBool = value
        case .int64(let value): out.vType = .int64; out.vInt64 = value
        case .float64(let value): out.vType = .float64; out.vFloat64 = value
        case .binary(let value): out.vType = .binary; out.vBinary = Data(value)
        }
        return out
    }

    /// Spans of several traces in chunks of at most `maxSpansPerChunk`, never splitting a chunk across traces.
    static func chunks(_ traces: [[Span]]) -> [Jaeger_ApiV2_SpansResponseChunk] {
        var out: [Jaeger_ApiV2_SpansResponseChunk] = []
        for spans in traces {
            var start = 0
            while start < spans.count {
                let end = min(start + maxSpansPerChunk, spans.count)
                var chunk = Jaeger_ApiV2_SpansResponseChunk()
                chunk.spans = spans[start..<end].map(jaegerSpan)
                out.append(chunk)
                start = end
            }
        }
        return out
    }

    // MARK: OTLP

    /// The spans of one trace as OTLP, grouped by process (resource) then scope, in order of first appearance.
    static func tracesData(_ spans: [Span]) -> Opentelemetry_Proto_Trace_V1_TracesData {
        var order: [SpoorModel.Process] = []
        var groups: [SpoorModel.Process: [Span]] = [:]
        for span in spans {
            if groups[span.process] == nil { order.append(span.process) }
            groups[span.process, default: []].append(span)
        }
        var out = Opentelemetry_Proto_Trace_V1_TracesData()
        for process in order {
            var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            var resource = Opentelemetry_Proto_Resource_V1_Resource()
            resource.attributes = OTLPResourceView.attributes(of: process).map(otlpKeyValue)
            resourceSpans.resource = resource
            resourceSpans.scopeSpans = scopeSpans(groups[process] ?? [])
            out.resourceSpans.append(resourceSpans)
        }
        return out
    }

    private static func scopeSpans(_ spans: [Span]) -> [Opentelemetry_Proto_Trace_V1_ScopeSpans] {
        var order: [OTLPScope] = []
        var groups: [OTLPScope: [Opentelemetry_Proto_Trace_V1_Span]] = [:]
        for span in spans {
            let view = OTLPSpanView(span)
            let scope = OTLPScope(view)
            if groups[scope] == nil { order.append(scope) }
            groups[scope, default: []].append(otlpSpan(span, view))
        }
        return order.map { scope in
            var out = Opentelemetry_Proto_Trace_V1_ScopeSpans()
            var instrumentation = Opentelemetry_Proto_Common_V1_InstrumentationScope()
            instrumentation.name = scope.name
            instrumentation.version = scope.version
            out.scope = instrumentation
            out.spans = groups[scope] ?? []
            return out
        }
    }

    private static func otlpSpan(_ span: Span, _ view: OTLPSpanView) -> Opentelemetry_Proto_Trace_V1_Span {
        var out = Opentelemetry_Proto_Trace_V1_Span()
        out.traceID = Data(span.traceID.bytes)
        out.spanID = Data(span.spanID.bytes)
        out.traceState = view.traceState
        if let parent = view.parentSpanID { out.parentSpanID = Data(parent.bytes) }
        // Only the sampled bit means the same in Jaeger and W3C flags.
        out.flags = span.flags & 1
        out.name = span.operationName
        out.kind = Opentelemetry_Proto_Trace_V1_Span.SpanKind(rawValue: Int(view.kind.rawValue)) ?? .unspecified
        out.startTimeUnixNano = span.startTimeUnixNanos
        out.endTimeUnixNano = span.endTimeUnixNanos
        out.attributes = view.attributes.map(otlpKeyValue)
        out.events = view.events.map { event in
            var entry = Opentelemetry_Proto_Trace_V1_Span.Event()
            entry.timeUnixNano = event.timeUnixNanos
            entry.name = event.name
            entry.attributes = event.attributes.map(otlpKeyValue)
            return entry
        }
        out.links = view.links.map { link in
            var entry = Opentelemetry_Proto_Trace_V1_Span.Link()
            entry.traceID = Data(link.traceID.bytes)
            entry.spanID = Data(link.spanID.bytes)
            entry.attributes = link.attributes.map(otlpKeyValue)
            return entry
        }
        var status = Opentelemetry_Proto_Trace_V1_Status()
        status.code = Opentelemetry_Proto_Trace_V1_Status.StatusCode(rawValue: view.statusCode.rawValue) ?? .unset
        status.message = view.statusMessage
        out.status = status
        return out
    }

    /// One attribute as an OTLP key/value.
    static func otlpKeyValue(_ attribute: Attribute) -> Opentelemetry_Proto_Common_V1_KeyValue {
        var out = Opentelemetry_Proto_Common_V1_KeyValue()
        out.key = attribute.key
        var value = Opentelemetry_Proto_Common_V1_AnyValue()
        switch attribute.value {
        case .string(let text): value.stringValue = text
        case .bool(let flag): value.boolValue = flag
        case .int64(let number): value.intValue = number
        case .float64(let number): value.doubleValue = number
        case .binary(let bytes): value.bytesValue = Data(bytes)
        }
        out.value = value
        return out
    }

    /// The api_v3 summary of one trace; nil when it has no spans.
    static func summary(_ spans: [Span]) -> Jaeger_ApiV3_TraceSummary? {
        guard let summary = V3TraceSummary(spans) else { return nil }
        var out = Jaeger_ApiV3_TraceSummary()
        out.traceID = summary.traceID.hex32
        out.rootServiceName = summary.rootServiceName
        out.rootOperationName = summary.rootOperationName
        out.minStartTimeUnixNano = summary.minStartTimeUnixNanos
        out.maxEndTimeUnixNano = summary.maxEndTimeUnixNanos
        out.spanCount = clamp(summary.spanCount)
        out.errorSpanCount = clamp(summary.errorSpanCount)
        out.orphanSpanCount = clamp(summary.orphanSpanCount)
        out.services = summary.services.map { service in
            var entry = Jaeger_ApiV3_ServiceSummary()
            entry.name = service.name
            entry.spanCount = clamp(service.spanCount)
            entry.errorSpanCount = clamp(service.errorSpanCount)
            return entry
        }
        return out
    }

    private static func clamp(_ value: Int) -> Int32 { Int32(clamping: value) }
}
