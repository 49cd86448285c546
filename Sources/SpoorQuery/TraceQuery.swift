import SpoorModel

/// A validated trace search: an AND of every predicate, evaluated on single spans (spec/query-api.md §6.1).
package struct TraceQuery: Sendable, Equatable {
    /// Exact service name; nil searches every service of the tenant.
    package var serviceName: String?
    /// Exact operation (span name); nil matches any.
    package var operationName: String?
    /// Tag filters, each matched by string form against span tags, process tags and log fields.
    package var tags: [TagFilter]
    /// Inclusive lower bound on span start time.
    package var startTimeMinUnixNanos: UInt64
    /// Inclusive upper bound on span start time.
    package var startTimeMaxUnixNanos: UInt64
    /// Inclusive lower bound on span duration.
    package var durationMinNanos: UInt64?
    /// Inclusive upper bound on span duration.
    package var durationMaxNanos: UInt64?
    /// Most traces returned (newest first).
    package var limit: Int
    /// Inclusive lower bound on whole-trace duration (last span end − first span start); beyond Jaeger.
    package var traceDurationMinNanos: UInt64? = nil
    /// Inclusive upper bound on whole-trace duration.
    package var traceDurationMaxNanos: UInt64? = nil

    /// Keys of the UI's Tags box that set the whole-trace duration bounds instead of matching span tags.
    package static let traceMinDurationTag = "spoor.trace.minDuration"
    /// See `traceMinDurationTag`.
    package static let traceMaxDurationTag = "spoor.trace.maxDuration"

    /// Default number of traces when the request gives none or a non-positive one.
    package static let defaultLimit = 100

    /// Creates a query.
    package init(
        serviceName: String? = nil, operationName: String? = nil, tags: [TagFilter] = [],
        startTimeMinUnixNanos: UInt64, startTimeMaxUnixNanos: UInt64,
        durationMinNanos: UInt64? = nil, durationMaxNanos: UInt64? = nil, limit: Int = TraceQuery.defaultLimit
    ) {
        self.serviceName = serviceName
        self.operationName = operationName
        self.tags = tags
        self.startTimeMinUnixNanos = startTimeMinUnixNanos
        self.startTimeMaxUnixNanos = startTimeMaxUnixNanos
        self.durationMinNanos = durationMinNanos
        self.durationMaxNanos = durationMaxNanos
        self.limit = limit
    }
}

/// One `key=value` tag predicate.
package struct TagFilter: Sendable, Hashable {
    package var key: String
    package var value: String

    /// Creates a tag filter.
    package init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
