import SpoorModel

/// Moves the OpenTelemetry SDK tags (`telemetry.sdk.*`, `telemetry.distro.*`) from span tags to the process,
/// where the UI shows them with the other process tags.
///
/// Spans with equal processes stand for one OTLP resource, so they share the moved tags, as in Jaeger, which
/// moves them to the resource. A tag already on the process with the same value is just removed from the span;
/// with a different value it stays on the span with a warning. Process tags are sorted again afterwards.
package enum LibraryTagMover {
    /// The keys moved (Jaeger's list).
    package static let keys: Set<String> = [
        "telemetry.sdk.language", "telemetry.sdk.name", "telemetry.sdk.version",
        "telemetry.distro.name", "telemetry.distro.version",
    ]

    /// The warning for a span tag whose value differs from the process's.
    package static func conflictWarning(key: String) -> String {
        "conflicting values between Span and Resource for attribute \(key)"
    }

    /// Returns the trace with library tags on the processes.
    package static func adjust(_ spans: [Span]) -> [Span] {
        guard spans.contains(where: { $0.tags.contains { keys.contains($0.key) } }) else { return spans }
        var result = spans
        var groups: [Process: [Int]] = [:]
        var groupOrder: [Process] = []
        for index in spans.indices {
            let process = spans[index].process
            if groups[process] == nil { groupOrder.append(process) }
            groups[process, default: []].append(index)
        }
        for process in groupOrder {
            guard let members = groups[process] else { continue }
            var processTags = process.tags
            var moved = false
            for index in members {
                var kept: [Attribute] = []
                for tag in result[index].tags {
                    guard keys.contains(tag.key) else {
                        kept.append(tag)
                        continue
                    }
                    if let existing = processTags.first(where: { $0.key == tag.key }) {
                        if existing.value != tag.value {
                            result[index].warnings.append(conflictWarning(key: tag.key))
                            kept.append(tag)
                        }
                    } else {
                        processTags.append(tag)
                        moved = true
                    }
                }
                result[index].tags = kept
            }
            guard moved else { continue }
            let sortedTags = CollectionSorter.sortedByKey(processTags)
            for index in members { result[index].process.tags = sortedTags }
        }
        return result
    }
}
