import Foundation
import SpoorWire

/// Makes realistic traces: several services, tens of operations, depth 3–5, 5–15 typed tags, some logs and errors.
struct TraceGenerator {
    private var state: UInt64
    private let services: Int
    private static let operations = (0..<40).map { "op-\($0) /api/v1/resource/\($0 % 7)" }
    private static let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    ]

    /// Resource attributes besides `service.name`: `host.name`, then what OpenTelemetry SDKs add.
    private let resourceAttributes: Int

    /// - Parameter resourceAttributes: attributes per resource besides `service.name` (1: `host.name` alone; up to 8).
    init(seed: UInt64, services: Int, resourceAttributes: Int = 1) {
        state = seed | 1
        self.services = max(1, services)
        self.resourceAttributes = resourceAttributes
    }

    private mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    private mutating func bytes(_ count: Int) -> Data {
        var data = Data(count: count)
        for i in 0..<count { data[i] = UInt8(truncatingIfNeeded: next()) }
        return data
    }

    private func kv(_ key: String, _ value: Opentelemetry_Proto_Common_V1_AnyValue.OneOf_Value)
        -> Opentelemetry_Proto_Common_V1_KeyValue
    {
        var kv = Opentelemetry_Proto_Common_V1_KeyValue()
        kv.key = key
        var v = Opentelemetry_Proto_Common_V1_AnyValue()
        v.value = value
        kv.value = v
        return kv
    }

    /// One request of about `spans` spans, grouped by service (one ResourceSpans per service).
    mutating func request(spans target: Int)
        -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
    {
        var byService: [Int: [Opentelemetry_Proto_Trace_V1_Span]] = [:]
        var produced = 0
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        while produced < target {
            let traceID = bytes(16)
            let depth = 3 + Int(next() % 3)
            var parents: [Data] = [Data()]
            var start = now - UInt64(next() % 1_000_000_000)
            let spanCount = min(target - produced, depth + Int(next() % 8))
            for i in 0..<spanCount {
                var span = Opentelemetry_Proto_Trace_V1_Span()
                span.traceID = traceID
                span.spanID = bytes(8)
                span.parentSpanID =
                    parents[min(parents.count - 1, Int(next() % UInt64(min(parents.count, depth))))]
                span.name = Self.operations[Int(next() % UInt64(Self.operations.count))]
                span.kind = [.server, .client, .internal, .producer, .consumer][Int(next() % 5)]
                start += UInt64(next() % 1_000_000)
                span.startTimeUnixNano = start
                span.endTimeUnixNano = start + 1_000 + next() % 50_000_000
                let tagCount = 5 + Int(next() % 11)
                var attributes: [Opentelemetry_Proto_Common_V1_KeyValue] = []
                for t in 0..<tagCount {
                    switch t % 4 {
                    case 0:
                        attributes.append(
                            kv("http.route.\(t)", .stringValue(Self.words[Int(next() % 8)] + "/\(next() % 100)")))
                    case 1:
                        attributes.append(
                            kv("http.status_code", .intValue(Int64([200, 201, 404, 500][Int(next() % 4)]))))
                    case 2: attributes.append(kv("ratio.\(t)", .doubleValue(Double(next() % 1000) / 10)))
                    default: attributes.append(kv("cache.hit.\(t)", .boolValue(next() % 2 == 0)))
                    }
                }
                span.attributes = attributes
                if next() % 4 == 0 {
                    var event = Opentelemetry_Proto_Trace_V1_Span.Event()
                    event.name = "checkpoint"
                    event.timeUnixNano = start + 500
                    event.attributes = [kv("step", .intValue(Int64(i)))]
                    span.events = [event]
                }
                if next() % 20 == 0 {
                    var status = Opentelemetry_Proto_Trace_V1_Status()
                    status.code = .error
                    status.message = "synthetic failure"
                    span.status = status
                }
                parents.append(span.spanID)
                byService[Int(next() % UInt64(services)), default: []].append(span)
            }
            produced += spanCount
        }
        var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        for (service, spans) in byService.sorted(by: { $0.key < $1.key }) {
            var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            var resource = Opentelemetry_Proto_Resource_V1_Resource()
            let extra: [Opentelemetry_Proto_Common_V1_KeyValue] = [
                kv("host.name", .stringValue("host-\(service % 3)")),
                kv("telemetry.sdk.language", .stringValue("python")),
                kv("telemetry.sdk.name", .stringValue("opentelemetry")),
                kv("telemetry.sdk.version", .stringValue("1.21.0")),
                kv("service.instance.id", .stringValue("5f1c2a9e-7d4b-4c1a-9e3f-\(String(0x1000_0000_0000 + service, radix: 16))")),
                kv("process.pid", .intValue(Int64(4_000 + service))),
                kv("os.type", .stringValue("linux")),
                kv("host.arch", .stringValue("amd64")),
            ]
            resource.attributes = [kv("service.name", .stringValue("loadgen-service-\(service)"))]
                + extra.prefix(max(0, min(extra.count, resourceAttributes)))
            resourceSpans.resource = resource
            var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
            scope.spans = spans
            resourceSpans.scopeSpans = [scope]
            request.resourceSpans.append(resourceSpans)
        }
        return request
    }
}
