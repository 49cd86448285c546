import SpoorModel
import SpoorStorage

/// Turns stored rollups into a `MetricFamily` (pure; no storage access).
///
/// **Windows.** The point at time `t` aggregates the slots whose *start* lies in `[t − W, t)`, where `W` is
/// `ratePer` rounded up to a whole number of slots (so a window always holds whole slots: with minute slots and
/// the UI's `ratePer` of 10 min, `W` = 10 min and each point sums exactly ten minutes). The slot starting just
/// before `t` is included even though it may extend past `t`: at `t ≈ now` it holds the freshest calls.
///
/// **Values.** `calls` = calls in the window ÷ `W` seconds (req/s; a window without calls gives 0, which is emitted);
/// `errors` = errors ÷ calls (no point for a window without calls; 0 when there are calls but no errors);
/// `latencies` = the quantile of the merged window histogram in ms (no point for a window without calls).
///
/// **Series.** One per service (label `service_name`), or per service and operation (`operation` second) with
/// groupByOperation; span kinds are merged. A series appears only when one of its windows has a call; series are
/// sorted by service, then operation.
package enum MetricsComputation {
    /// Minute slots when the fetched range (`lookback + ratePer`) is at most 48 hours, else hour slots.
    package static func resolution(for request: MetricsRequest) -> RollupResolution {
        let limit: UInt64 = 48 * 3_600 * 1_000_000_000
        let (range, overflow) = request.lookbackNanos.addingReportingOverflow(request.ratePerNanos)
        return !overflow && range <= limit ? .minute : .hour
    }

    /// `ratePer` rounded up to whole slots of `slotSeconds`, in nanoseconds.
    package static func windowNanos(ratePerNanos: UInt64, slotSeconds: UInt64) -> UInt64 {
        let slotNanos = max(1, slotSeconds) * 1_000_000_000
        let slots = ratePerNanos / slotNanos + (ratePerNanos % slotNanos == 0 ? 0 : 1)
        let (window, overflow) = max(1, slots).multipliedReportingOverflow(by: slotNanos)
        return overflow ? UInt64.max / slotNanos * slotNanos : window
    }

    /// The family of `kind` for `request` from each service's rollups (slots of any operation and kind; the caller
    /// has already kept only the requested kinds).
    package static func family(
        _ kind: MetricKind, request: MetricsRequest, rollups: [ExactString: [RollupSlot]], slotSeconds: UInt64
    ) -> MetricFamily {
        let window = windowNanos(ratePerNanos: request.ratePerNanos, slotSeconds: slotSeconds)
        let grouped = request.groupByOperation
        var series: [MetricSeries] = []
        for service in rollups.keys.sorted() {
            // Per series key (operation, or "" when not grouped): slot start (ns) → merged rollup.
            var bySeries: [ExactString: [UInt64: SpanRollup]] = [:]
            for slot in rollups[service] ?? [] {
                let key = ExactString(grouped ? slot.operation : "")
                let (start, overflow) = slot.slotStartSeconds.multipliedReportingOverflow(by: 1_000_000_000)
                guard !overflow else { continue }
                bySeries[key, default: [:]][start, default: SpanRollup()].merge(slot.rollup)
            }
            for key in bySeries.keys.sorted() {
                let entries = (bySeries[key] ?? [:]).sorted { $0.key < $1.key }.map { (startNanos: $0.key, rollup: $0.value) }
                guard let points = self.points(kind, request: request, window: window, entries: entries) else { continue }
                var labels = [MetricLabel(name: "service_name", value: service.value)]
                if grouped { labels.append(MetricLabel(name: "operation", value: key.value)) }
                series.append(MetricSeries(labels: labels, points: points))
            }
        }
        return MetricFamily(
            name: kind.familyName(grouped: grouped), help: kind.help(grouped: grouped, quantile: request.quantile),
            metrics: series)
    }

    /// The points of one series, or nil when none of its windows has a call.
    static func points(
        _ kind: MetricKind, request: MetricsRequest, window: UInt64, entries: [(startNanos: UInt64, rollup: SpanRollup)]
    ) -> [MetricPoint]? {
        var accumulator = WindowAccumulator()
        var low = 0
        var high = 0
        var cachedRange = (-1, -1)
        var cachedValue: Double? = nil
        var anyCall = false
        var points: [MetricPoint] = []
        let windowSeconds = Double(window) / 1e9
        let count = request.pointCount
        points.reserveCapacity(Int(min(count, MetricsRequest.maxPoints)))
        for index in 0..<count {
            let t = request.startNanos + index * request.stepNanos
            let windowStart = t > window ? t - window : 0
            while high < entries.count, entries[high].startNanos < t {
                accumulator.add(index: high, entries[high].rollup)
                high += 1
            }
            while low < high, entries[low].startNanos < windowStart {
                accumulator.remove(index: low, entries[low].rollup)
                low += 1
            }
            if cachedRange != (low, high) {
                cachedRange = (low, high)
                cachedValue = value(kind, accumulator, quantile: request.quantile, windowSeconds: windowSeconds)
                if accumulator.count > 0 { anyCall = true }
            }
            if let cachedValue { points.append(MetricPoint(timestampNanos: t, value: cachedValue)) }
        }
        return anyCall ? points : nil
    }

    /// The value of one window; nil when the kind has no point for it.
    private static func value(_ kind: MetricKind, _ window: WindowAccumulator, quantile: Double, windowSeconds: Double) -> Double? {
        switch kind {
        case .calls:
            return Double(window.count) / windowSeconds
        case .errors:
            return window.count > 0 ? Double(window.errors) / Double(window.count) : nil
        case .latencies:
            guard window.count > 0 else { return nil }
            if quantile.isNaN { return .nan }
            return window.rollup.quantileNanos(quantile).map { $0 / 1e6 }
        }
    }
}

/// Sums the rollups of a sliding run of slots: slots enter at the new end and leave at the old start, in index
/// order. Counts and histogram buckets are added and subtracted; the minimum and maximum durations are kept in
/// monotonic queues, since they cannot be subtracted.
struct WindowAccumulator {
    private(set) var count: UInt64 = 0
    private(set) var errors: UInt64 = 0
    private var buckets = RollupHistogram()
    private var minimums: [(index: Int, nanos: UInt64)] = []
    private var minimumsHead = 0
    private var maximums: [(index: Int, nanos: UInt64)] = []
    private var maximumsHead = 0

    /// Adds the slot at `index` (indexes must grow).
    mutating func add(index: Int, _ rollup: SpanRollup) {
        guard rollup.count > 0 else { return }
        count &+= rollup.count
        errors &+= rollup.errors
        buckets.merge(rollup.buckets)
        while minimums.count > minimumsHead, let last = minimums.last, last.nanos >= rollup.minNanos { minimums.removeLast() }
        minimums.append((index, rollup.minNanos))
        while maximums.count > maximumsHead, let last = maximums.last, last.nanos <= rollup.maxNanos { maximums.removeLast() }
        maximums.append((index, rollup.maxNanos))
    }

    /// Removes the slot at `index`, added before (removals in index order).
    mutating func remove(index: Int, _ rollup: SpanRollup) {
        guard rollup.count > 0 else { return }
        count &-= rollup.count
        errors &-= rollup.errors
        for (bucket, n) in rollup.buckets {
            let left = (buckets[bucket] ?? 0) &- n
            buckets[bucket] = left == 0 ? nil : left
        }
        while minimumsHead < minimums.count, minimums[minimumsHead].index <= index { minimumsHead += 1 }
        while maximumsHead < maximums.count, maximums[maximumsHead].index <= index { maximumsHead += 1 }
    }

    /// The merged rollup of the slots in the window.
    var rollup: SpanRollup {
        var merged = SpanRollup()
        merged.count = count
        merged.errors = errors
        merged.buckets = buckets
        merged.minNanos = minimumsHead < minimums.count ? minimums[minimumsHead].nanos : .max
        merged.maxNanos = maximumsHead < maximums.count ? maximums[maximumsHead].nanos : 0
        return merged
    }
}
