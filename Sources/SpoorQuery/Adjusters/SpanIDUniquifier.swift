import SpoorModel

/// Gives server spans a fresh id when a client span has the same one (Zipkin clients share one id across
/// both sides of an RPC; Jaeger UI needs unique ids).
///
/// As Jaeger does: the server span's parent becomes the shared id (so it hangs under the client span), its
/// new id is the smallest id above the last one assigned that no span in the trace uses, and spans whose
/// parent was the shared id move under the server span. When no id is free, the span keeps its id and gets a
/// warning.
package enum SpanIDUniquifier {
    /// Warning when every span id is taken.
    package static let tooManySpansWarning = "cannot assign unique span ID, too many spans in the trace"

    /// Returns the trace with unique server span ids.
    package static func adjust(_ spans: [Span]) -> [Span] {
        var clientIDs = Set<SpanID>()
        var usedIDs = Set<SpanID>()
        for span in spans {
            usedIDs.insert(span.spanID)
            if span.kind == .client { clientIDs.insert(span.spanID) }
        }
        guard !clientIDs.isEmpty else { return spans }

        var result = spans
        var oldToNew: [SpanID: SpanID] = [:]
        var lastAssigned = SpanID.zero
        for index in result.indices where result[index].kind == .server && clientIDs.contains(result[index].spanID) {
            guard let newID = nextFreeID(after: lastAssigned, used: usedIDs) else {
                result[index].warnings.append(tooManySpansWarning)
                continue
            }
            lastAssigned = newID
            usedIDs.insert(newID)
            let sharedID = result[index].spanID
            oldToNew[sharedID] = newID
            result[index].replaceParent(with: sharedID)
            result[index].spanID = newID
        }
        guard !oldToNew.isEmpty else { return result }
        for index in result.indices {
            guard let parent = result[index].parentSpanID, let newParent = oldToNew[parent],
                result[index].spanID != newParent
            else { continue }
            result[index].replaceParent(with: newParent)
        }
        return result
    }

    /// The smallest id above `last` not in `used`; nil when the id space wraps. Ends within `used.count + 1`
    /// steps, since only that many ids are taken.
    private static func nextFreeID(after last: SpanID, used: Set<SpanID>) -> SpanID? {
        var candidate = last.value
        while true {
            let (next, overflow) = candidate.addingReportingOverflow(1)
            if overflow || next == 0 { return nil }
            if !used.contains(SpanID(next)) { return SpanID(next) }
            candidate = next
        }
    }
}
