import SpoorModel

/// Puts the collections of each span in a fixed order, so equal spans compare equal and the UI is stable.
///
/// Span tags and process tags are sorted by key; logs by timestamp; log fields by key, except that a
/// string `event` field (the OTLP event name) comes first, as in Jaeger's model. Every sort is stable and
/// compares keys byte-wise, as Go does.
package enum CollectionSorter {
    /// Returns the trace with sorted collections.
    package static func adjust(_ spans: [Span]) -> [Span] {
        spans.map(sorted)
    }

    static func sorted(_ span: Span) -> Span {
        var span = span
        span.tags = sortedByKey(span.tags)
        span.process.tags = sortedByKey(span.process.tags)
        span.logs = span.logs.stablySorted { $0.timestampUnixNanos < $1.timestampUnixNanos }
        for index in span.logs.indices {
            span.logs[index].fields = sortedFields(span.logs[index].fields)
        }
        return span
    }

    /// Attributes ordered by key; equal keys keep their order.
    static func sortedByKey(_ attributes: [Attribute]) -> [Attribute] {
        attributes.stablySorted { $0.key.precedesInUTF8($1.key) }
    }

    /// The first string `event` field, then the rest sorted by key.
    private static func sortedFields(_ fields: [Attribute]) -> [Attribute] {
        guard
            let eventIndex = fields.firstIndex(where: {
                if case .string = $0.value { return $0.key == "event" }
                return false
            })
        else { return sortedByKey(fields) }
        var rest = fields
        let event = rest.remove(at: eventIndex)
        return [event] + sortedByKey(rest)
    }
}
