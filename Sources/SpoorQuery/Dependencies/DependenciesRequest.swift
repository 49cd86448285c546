import SpoorModel
import SpoorStorage

/// A validated `GET /api/dependencies` request (spec/query-api.md §3.8); times in Unix nanoseconds.
package struct DependenciesRequest: Equatable, Sendable {
    /// Window start (`endTs − lookback`, clamped at the epoch); after `endNanos` when the lookback is negative,
    /// which selects nothing.
    package var startNanos: UInt64
    /// Window end (inclusive).
    package var endNanos: UInt64
    /// Keep only links whose parent or child is this service.
    package var service: String?

    /// Default `lookback`: 24 hours.
    package static let defaultLookbackNanos: Int64 = 24 * 3_600 * 1_000_000_000

    /// Creates a request.
    package init(startNanos: UInt64, endNanos: UInt64, service: String? = nil) {
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.service = service
    }

    /// Parses `endTs` (ms since the epoch, default now), `lookback` (ms, default 24 h) and `service` (optional),
    /// with Jaeger's messages (`unable to parse param 'endTs': strconv.ParseInt: parsing "x": invalid syntax`).
    /// - Parameter nowNanos: the current time in Unix nanoseconds.
    /// - Throws: `QueryParameterError` with the 400 message.
    package static func parse(_ items: [(name: String, value: String)], nowNanos: UInt64) throws(QueryParameterError) -> DependenciesRequest {
        let end = try MillisParams.timestampNanos(MillisParams.value("endTs", items), name: "endTs", defaultNanos: nowNanos)
        let lookback = try MillisParams.durationNanos(
            MillisParams.value("lookback", items), name: "lookback", defaultNanos: defaultLookbackNanos)
        let start: UInt64
        if lookback >= 0 {
            start = end > UInt64(lookback) ? end - UInt64(lookback) : 0
        } else {
            let (later, overflow) = end.addingReportingOverflow(lookback.magnitude)
            start = overflow ? .max : later
        }
        return DependenciesRequest(startNanos: start, endNanos: end, service: MillisParams.value("service", items))
    }
}

/// Answers dependency queries from the store's write-time links.
package enum DependenciesQuery {
    /// Links of spans starting in the request's window, equal (parent, child) merged, sorted by parent then child,
    /// filtered by the request's service.
    package static func links(store: SpanStore, tenant: String, request: DependenciesRequest) throws(StorageError) -> [DependencyLink] {
        guard request.startNanos <= request.endNanos else { return [] }
        let links = try store.dependencies(tenant: tenant, startNanos: request.startNanos, endNanos: request.endNanos)
        return filter(links, service: request.service)
    }

    /// The links whose parent or child is `service`; all of them when `service` is nil or empty.
    package static func filter(_ links: [DependencyLink], service: String?) -> [DependencyLink] {
        guard let service, !service.isEmpty else { return links }
        return links.filter { $0.parent.hasSameUTF8(as: service) || $0.child.hasSameUTF8(as: service) }
    }
}
