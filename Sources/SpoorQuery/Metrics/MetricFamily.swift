/// One Monitor-tab metric: the payload of `/api/metrics/*` (spec/query-api.md §7.2). Its `type` is always GAUGE.
package struct MetricFamily: Equatable, Sendable {
    /// `service_latencies`, `service_operation_call_rate`, ….
    package var name: String
    /// A description worded as Jaeger's.
    package var help: String
    /// One series per service (or service and operation), sorted by labels.
    package var metrics: [MetricSeries]

    /// Creates a family.
    package init(name: String, help: String, metrics: [MetricSeries]) {
        self.name = name
        self.help = help
        self.metrics = metrics
    }
}

/// One series of a family: its labels (`service_name` first, then `operation` when grouped) and points.
package struct MetricSeries: Equatable, Sendable {
    /// Label (name, value) pairs in output order.
    package var labels: [MetricLabel]
    /// Points in time order.
    package var points: [MetricPoint]

    /// Creates a series.
    package init(labels: [MetricLabel], points: [MetricPoint]) {
        self.labels = labels
        self.points = points
    }
}

/// A label of a series.
package struct MetricLabel: Equatable, Sendable {
    package var name: String
    package var value: String

    /// Creates a label.
    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A gauge value at one time.
package struct MetricPoint: Equatable, Sendable {
    /// Unix nanoseconds.
    package var timestampNanos: UInt64
    package var value: Double

    /// Creates a point.
    package init(timestampNanos: UInt64, value: Double) {
        self.timestampNanos = timestampNanos
        self.value = value
    }
}

/// The JSON bodies of the metrics endpoints: proto3 JSON of Jaeger's `MetricFamily`, without the v1 envelope.
package enum MetricsJSON {
    /// `{"name":…,"type":"GAUGE","help":…,"metrics":[{"labels":[{"name":…,"value":…}],
    /// "metricPoints":[{"gaugeValue":{"doubleValue":…},"timestamp":"<RFC 3339>"}]}]}`; `metrics` is `[]` when empty.
    package static func family(_ family: MetricFamily, pretty: Bool = false) -> [UInt8] {
        let pointCount = family.metrics.reduce(0) { $0 + $1.points.count }
        var writer = JSONWriter(pretty: pretty, capacity: 256 + 80 * pointCount)
        writer.beginObject()
        writer.key("name")
        writer.string(family.name)
        writer.key("type")
        writer.plainString("GAUGE")
        writer.key("help")
        writer.string(family.help)
        writer.key("metrics")
        writer.beginArray()
        for series in family.metrics {
            writer.beginObject()
            writer.key("labels")
            writer.beginArray()
            for label in series.labels {
                writer.beginObject()
                writer.key("name")
                writer.string(label.name)
                writer.key("value")
                writer.string(label.value)
                writer.endObject()
            }
            writer.endArray()
            writer.key("metricPoints")
            writer.beginArray()
            for point in series.points {
                writer.beginObject()
                writer.key("gaugeValue")
                writer.beginObject()
                writer.key("doubleValue")
                writer.double(point.value)
                writer.endObject()
                writer.key("timestamp")
                writer.plainString(RFC3339.formatUTC(unixNanos: point.timestampNanos))
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
