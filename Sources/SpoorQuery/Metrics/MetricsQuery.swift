import SpoorModel
import SpoorStorage

/// Answers `/api/metrics/*` from the store's write-time rollups (spec/query-api.md §7.2); runs synchronously, so
/// callers run it on a thread pool.
package enum MetricsQuery {
    /// The family of `kind` for `request`: reads each service's rollups at the resolution the range calls for (see
    /// `MetricsComputation`), from the first window's start to the last point.
    package static func family(
        store: SpanStore, tenant: String, kind: MetricKind, request: MetricsRequest
    ) throws(StorageError) -> MetricFamily {
        let resolution = MetricsComputation.resolution(for: request)
        let window = MetricsComputation.windowNanos(ratePerNanos: request.ratePerNanos, slotSeconds: resolution.seconds)
        let fetchStart = request.startNanos > window ? request.startNanos - window : 0
        var rollups: [ExactString: [RollupSlot]] = [:]
        for service in request.services {
            rollups[ExactString(service)] = try store.rollups(
                tenant: tenant, service: service, kinds: request.spanKinds, startNanos: fetchStart,
                endNanos: request.endNanos, resolution: resolution)
        }
        return MetricsComputation.family(kind, request: request, rollups: rollups, slotSeconds: resolution.seconds)
    }
}
