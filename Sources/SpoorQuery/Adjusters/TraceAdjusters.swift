import SpoorModel

/// The query-side trace adjusters (spec/query-api.md §6.5), in Jaeger's order.
///
/// They rewrite a copy of one trace before it is shown; stored data never changes. Skipped for
/// `raw=true` / `rawTraces=true`, always applied before summarising.
///
/// 1. `SpanIDUniquifier`: Zipkin-style shared client/server span ids.
/// 2. `CollectionSorter`: tags, process tags, log fields and logs in a fixed order.
/// 3. `DuplicateSpanFilter`: exact duplicates (relies on step 2 for a canonical order).
/// 4. `ClockSkewAdjuster`: child spans from another host shifted into their parent, within a bound.
/// 5. `IPTagNormalizer`: numeric `ip` / `peer.ipv4` tags as dotted IPv4 text.
/// 6. `LibraryTagMover`: `telemetry.sdk.*` / `telemetry.distro.*` span tags moved to the process.
/// 7. `InvalidReferenceFilter`: references with a zero trace id dropped.
package struct TraceAdjusters: Sendable {
    /// The largest clock-skew shift applied, in nanoseconds; 0 disables the shift (Jaeger's default) but still
    /// reports the skew it found as a span warning.
    package var maxClockSkewAdjustmentNanos: UInt64

    /// Creates the adjusters; `maxClockSkewAdjustmentNanos` is `--query.max-clock-skew-adjustment`.
    package init(maxClockSkewAdjustmentNanos: UInt64 = 0) {
        self.maxClockSkewAdjustmentNanos = maxClockSkewAdjustmentNanos
    }

    /// Applies every adjuster, in order, to the spans of one trace; the order of the spans is kept.
    package func adjust(_ spans: [Span]) -> [Span] {
        var result = SpanIDUniquifier.adjust(spans)
        result = CollectionSorter.adjust(result)
        result = DuplicateSpanFilter.adjust(result)
        result = ClockSkewAdjuster(maxDeltaNanos: maxClockSkewAdjustmentNanos).adjust(result)
        result = IPTagNormalizer.adjust(result)
        result = LibraryTagMover.adjust(result)
        result = InvalidReferenceFilter.adjust(result)
        return result
    }
}

extension Span {
    /// Points the parent reference (the one `parentSpanID` reads) at `newParent`, or adds a CHILD_OF reference
    /// in front when there is none.
    mutating func replaceParent(with newParent: SpanID) {
        let index =
            references.firstIndex { $0.refType == .childOf && $0.traceID == traceID }
            ?? references.firstIndex { $0.refType == .followsFrom && $0.traceID == traceID }
        if let index {
            references[index].spanID = newParent
        } else {
            references.insert(SpanReference(refType: .childOf, traceID: traceID, spanID: newParent), at: 0)
        }
    }
}

extension Array {
    /// A stable sort: elements that compare equal keep their relative order.
    func stablySorted(by areInIncreasingOrder: (Element, Element) -> Bool) -> [Element] {
        enumerated().sorted { lhs, rhs in
            if areInIncreasingOrder(lhs.element, rhs.element) { return true }
            if areInIncreasingOrder(rhs.element, lhs.element) { return false }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
