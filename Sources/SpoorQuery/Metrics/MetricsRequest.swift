import SpoorModel
import SpoorStorage

/// Which Monitor-tab metric an `/api/metrics/{kind}` request asks for (spec/query-api.md §7.2).
package enum MetricKind: String, CaseIterable, Sendable {
    /// `/api/metrics/latencies`: a latency quantile in milliseconds.
    case latencies
    /// `/api/metrics/calls`: calls per second.
    case calls
    /// `/api/metrics/errors`: errors as a fraction of calls.
    case errors

    /// The family name; `grouped` (groupByOperation) names it `service_operation_…`.
    package func familyName(grouped: Bool) -> String {
        let prefix = grouped ? "service_operation" : "service"
        switch self {
        case .latencies: return prefix + "_latencies"
        case .calls: return prefix + "_call_rate"
        case .errors: return prefix + "_error_rate"
        }
    }

    /// The family's `help` text, worded as Jaeger's Prometheus reader words it.
    package func help(grouped: Bool, quantile: Double) -> String {
        let base: String
        switch self {
        case .latencies: base = "\(GoFormat.fixed2(quantile))th quantile latency, grouped by service"
        case .calls: base = "calls/sec, grouped by service"
        case .errors: base = "error rate, computed as a fraction of errors/sec over calls/sec, grouped by service"
        }
        return grouped ? base + " & operation" : base
    }
}

/// A validated `/api/metrics/{latencies|calls|errors}` request; every time is in Unix nanoseconds.
///
/// The points asked for are at `startNanos`, `startNanos + stepNanos`, … up to `endNanos`, where
/// `startNanos = endNanos − lookbackNanos` (clamped at the epoch).
package struct MetricsRequest: Equatable, Sendable {
    /// Services asked for, in request order, without repeats or empty names.
    package var services: [String]
    /// Latency quantile (0…1); 0 for calls and errors.
    package var quantile: Double
    /// One series per (service, operation) instead of per service.
    package var groupByOperation: Bool
    /// Span kinds counted.
    package var spanKinds: Set<SpanKind>
    /// Time of the last point.
    package var endNanos: UInt64
    /// How far before `endNanos` the first point lies (> 0).
    package var lookbackNanos: UInt64
    /// Distance between points (> 0).
    package var stepNanos: UInt64
    /// Width of the window each point aggregates (> 0).
    package var ratePerNanos: UInt64

    /// Default `lookback`: one hour.
    package static let defaultLookbackNanos: Int64 = 3_600 * 1_000_000_000
    /// Default `step`: five seconds.
    package static let defaultStepNanos: Int64 = 5 * 1_000_000_000
    /// Default `ratePer`: ten minutes.
    package static let defaultRatePerNanos: Int64 = 600 * 1_000_000_000
    /// Most points one series may hold (Prometheus' limit, which Jaeger's reader inherits).
    package static let maxPoints: UInt64 = 11_000

    /// Creates a request.
    package init(
        services: [String], quantile: Double = 0, groupByOperation: Bool = false, spanKinds: Set<SpanKind> = [.server],
        endNanos: UInt64, lookbackNanos: UInt64, stepNanos: UInt64, ratePerNanos: UInt64
    ) {
        self.services = services
        self.quantile = quantile
        self.groupByOperation = groupByOperation
        self.spanKinds = spanKinds
        self.endNanos = endNanos
        self.lookbackNanos = max(1, lookbackNanos)
        self.stepNanos = max(1, stepNanos)
        self.ratePerNanos = max(1, ratePerNanos)
    }

    /// Time of the first point.
    package var startNanos: UInt64 { endNanos > lookbackNanos ? endNanos - lookbackNanos : 0 }

    /// Number of points per series.
    package var pointCount: UInt64 { (endNanos - startNanos) / stepNanos + 1 }

    /// Parses the query items of `/api/metrics/{kind}` with Jaeger's rules and messages, checked in Jaeger's order
    /// (`quantile` first for latencies, then `service`, `groupByOperation`, `spanKind`, `endTs`, `lookback`, `step`,
    /// `ratePer`).
    ///
    /// - `service` is repeatable and required (a present key with no usable name gives no series, as in Jaeger);
    /// - `spanKind` is repeatable, each one of `unspecified internal server client producer consumer` (a present but
    ///   empty value is refused, as Jaeger refuses it); default `server`;
    /// - `endTs` is ms since the epoch (default `now`), `lookback`/`step`/`ratePer` are ms and must be positive.
    /// - Parameter nowNanos: the current time in Unix nanoseconds.
    /// - Throws: `QueryParameterError` with the 400 message.
    package static func parse(
        _ kind: MetricKind, _ items: [(name: String, value: String)], nowNanos: UInt64
    ) throws(QueryParameterError) -> MetricsRequest {
        var quantile = 0.0
        if kind == .latencies {
            do {
                quantile = try GoStrconv.parseFloat(MillisParams.value("quantile", items) ?? "")
            } catch {
                throw error.prefixed("unable to parse param 'quantile': ")
            }
        }
        guard items.contains(where: { $0.name == "service" }) else {
            throw QueryParameterError(message: "unable to parse param 'service': please provide at least one service name")
        }
        var services: [String] = []
        for item in items where item.name == "service" && !item.value.isEmpty
            && !services.contains(where: { $0.hasSameUTF8(as: item.value) }) {
            services.append(item.value)
        }
        var grouped = false
        if let text = MillisParams.value("groupByOperation", items) {
            do {
                grouped = try GoStrconv.parseBool(text)
            } catch {
                throw error.prefixed("unable to parse param 'groupByOperation': ")
            }
        }
        var kinds: Set<SpanKind> = []
        for item in items where item.name == "spanKind" {
            guard let spanKind = Self.spanKind(item.value) else {
                throw QueryParameterError(message: "unable to parse param 'spanKind': unsupported span kind: '\(item.value)'")
            }
            kinds.insert(spanKind)
        }
        if kinds.isEmpty { kinds = [.server] }
        let end = try MillisParams.timestampNanos(MillisParams.value("endTs", items), name: "endTs", defaultNanos: nowNanos)
        let lookback = try MillisParams.positiveDurationNanos(
            MillisParams.value("lookback", items), name: "lookback", defaultNanos: defaultLookbackNanos)
        let step = try MillisParams.positiveDurationNanos(
            MillisParams.value("step", items), name: "step", defaultNanos: defaultStepNanos)
        let ratePer = try MillisParams.positiveDurationNanos(
            MillisParams.value("ratePer", items), name: "ratePer", defaultNanos: defaultRatePerNanos)
        let request = MetricsRequest(
            services: services, quantile: quantile, groupByOperation: grouped, spanKinds: kinds, endNanos: end,
            lookbackNanos: lookback, stepNanos: step, ratePerNanos: ratePer)
        guard request.pointCount <= maxPoints else {
            throw QueryParameterError(
                message: "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        return request
    }

    /// The lowercase kind names Jaeger accepts (case-sensitive).
    private static func spanKind(_ text: String) -> SpanKind? {
        switch text {
        case "unspecified": return .unspecified
        case "internal": return .internalKind
        case "server": return .server
        case "client": return .client
        case "producer": return .producer
        case "consumer": return .consumer
        default: return nil
        }
    }
}

/// Go `fmt` renderings used in Jaeger's texts.
enum GoFormat {
    /// `fmt.Sprintf("%.2f", value)`: `0.95` → `0.95`, `0.5` → `0.50`, `0.125` → `0.12` (ties to even).
    static func fixed2(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let scaled = (value * 100).rounded(.toNearestOrEven)
        guard abs(scaled) < 1e17 else { return FloatFormat.shortest(value) }
        let hundredths = Int64(scaled)
        let magnitude = hundredths.magnitude
        let fraction = magnitude % 100
        let sign = hundredths < 0 ? "-" : ""
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
