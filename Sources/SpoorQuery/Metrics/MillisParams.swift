/// Parameters in Unix milliseconds and millisecond durations, as Jaeger's dependencies and metrics endpoints read
/// them (spec/query-api.md §3.8, §7.2), with Jaeger's error messages.
enum MillisParams {
    /// Largest accepted timestamp (2554-07-21, the last millisecond whose Unix nanoseconds fit `UInt64`); later ones
    /// are clamped to it.
    static let maxTimestampMillis = Int64(UInt64.max / 1_000_000)
    /// Largest magnitude of a millisecond duration that fits Go's `time.Duration` (int64 nanoseconds).
    static let maxDurationMillis: Int64 = Int64.max / 1_000_000

    /// The first non-empty value of `name` (Go's `Query().Get`, with an empty value meaning absent).
    static func value(_ name: String, _ items: [(name: String, value: String)]) -> String? {
        guard let item = items.first(where: { $0.name == name && !$0.value.isEmpty }) else { return nil }
        return item.value
    }

    /// A timestamp in ms since the epoch → ns; `defaultNanos` when absent. Times before 1970 become 0.
    /// - Throws: `unable to parse param '<name>': strconv.ParseInt: …`.
    static func timestampNanos(_ text: String?, name: String, defaultNanos: UInt64) throws(QueryParameterError) -> UInt64 {
        guard let text else { return defaultNanos }
        let millis: Int64
        do {
            millis = try GoStrconv.parseInt(text, bitSize: 64)
        } catch {
            throw error.prefixed("unable to parse param '\(name)': ")
        }
        return UInt64(min(max(millis, 0), maxTimestampMillis)) * 1_000_000
    }

    /// A duration in ms → signed ns; `defaultNanos` when absent.
    /// - Throws: `unable to parse param '<name>': strconv.ParseInt: …` or `…: duration out of range: '<text>'`.
    static func durationNanos(_ text: String?, name: String, defaultNanos: Int64) throws(QueryParameterError) -> Int64 {
        guard let text else { return defaultNanos }
        let millis: Int64
        do {
            millis = try GoStrconv.parseInt(text, bitSize: 64)
        } catch {
            throw error.prefixed("unable to parse param '\(name)': ")
        }
        guard millis >= -maxDurationMillis, millis <= maxDurationMillis else {
            throw QueryParameterError(message: "unable to parse param '\(name)': duration out of range: '\(text)'")
        }
        return millis * 1_000_000
    }

    /// `durationNanos` that must be positive.
    /// - Throws: as `durationNanos`, or `unable to parse param '<name>': must be greater than zero`.
    static func positiveDurationNanos(_ text: String?, name: String, defaultNanos: Int64) throws(QueryParameterError) -> UInt64 {
        let nanos = try durationNanos(text, name: name, defaultNanos: defaultNanos)
        guard nanos > 0 else {
            throw QueryParameterError(message: "unable to parse param '\(name)': must be greater than zero")
        }
        return UInt64(nanos)
    }
}
