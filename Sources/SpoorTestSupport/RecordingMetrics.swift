import Metrics
import Synchronization

/// A `MetricsFactory` that keeps every counter's running total, for tests to read back.
///
/// Counters are keyed by label and dimensions (as a dictionary, so their order does not matter): counters created
/// separately with the same label and dimensions share one total, as they do in a Prometheus registry. Floating-point
/// counters round onto counters (swift-metrics' default); recorders, meters and timers are accepted and ignored.
package final class RecordingMetrics: MetricsFactory {
    /// A counter's identity: its label and its dimensions.
    package struct Key: Hashable {
        package let label: String
        package let dimensions: [String: String]
    }

    private let totals = Mutex<[Key: Int64]>([:])

    package init() {}

    /// The non-zero totals of the counters labelled `label`, by dimensions.
    package func counts(_ label: String) -> [[String: String]: Int64] {
        totals.withLock { totals in
            var counts: [[String: String]: Int64] = [:]
            for (key, total) in totals where key.label == label && total != 0 {
                counts[key.dimensions] = total
            }
            return counts
        }
    }

    /// The dimensions of every counter labelled `label` created so far, incremented or not.
    package func created(_ label: String) -> Set<[String: String]> {
        totals.withLock { Set($0.keys.filter { $0.label == label }.map(\.dimensions)) }
    }

    fileprivate func add(_ amount: Int64, to key: Key) {
        totals.withLock { $0[key, default: 0] += amount }
    }

    fileprivate func reset(_ key: Key) {
        totals.withLock { $0[key] = 0 }
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let key = Key(label: label, dimensions: Dictionary(dimensions) { first, _ in first })
        totals.withLock { totals in if totals[key] == nil { totals[key] = 0 } }
        return RecordingCounter(key: key, metrics: self)
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        IgnoredHandler()
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        IgnoredHandler()
    }

    /// Totals outlive their handlers, so a test can still read what a destroyed counter counted.
    package func destroyCounter(_ handler: any CounterHandler) {}

    package func destroyRecorder(_ handler: any RecorderHandler) {}

    package func destroyTimer(_ handler: any TimerHandler) {}
}

/// A counter adding to its `RecordingMetrics` total.
private final class RecordingCounter: CounterHandler {
    let key: RecordingMetrics.Key
    let metrics: RecordingMetrics

    init(key: RecordingMetrics.Key, metrics: RecordingMetrics) {
        self.key = key
        self.metrics = metrics
    }

    func increment(by amount: Int64) {
        metrics.add(amount, to: key)
    }

    func reset() {
        metrics.reset(key)
    }
}

/// The recorder and timer `RecordingMetrics` hands out; what it is given is dropped.
private final class IgnoredHandler: RecorderHandler, TimerHandler {
    func record(_ value: Int64) {}
    func record(_ value: Double) {}
    func recordNanoseconds(_ duration: Int64) {}
}
