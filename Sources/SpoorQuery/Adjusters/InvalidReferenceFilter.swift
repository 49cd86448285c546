import SpoorModel

/// Drops references (links) whose trace id is zero, which no span can have, adding a warning per reference
/// removed, as Jaeger does.
package enum InvalidReferenceFilter {
    /// The warning Jaeger adds for each removed link.
    package static let warning = "Invalid span link removed"

    /// Returns the trace without zero-trace-id references.
    package static func adjust(_ spans: [Span]) -> [Span] {
        spans.map { span in
            guard span.references.contains(where: { $0.traceID.isZero }) else { return span }
            var span = span
            let removed = span.references.count(where: { $0.traceID.isZero })
            span.references.removeAll { $0.traceID.isZero }
            span.warnings.append(contentsOf: repeatElement(warning, count: removed))
            return span
        }
    }
}
