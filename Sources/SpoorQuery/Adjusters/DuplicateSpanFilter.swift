import SpoorModel

/// Drops spans identical in every field to an earlier span of the trace (a span stored twice, e.g. sent twice
/// by a retrying client); the first copy stays where it was.
///
/// Spans sharing an id but differing in any field are all kept. Runs after `CollectionSorter`, so tags in a
/// different order do not make two copies differ.
package enum DuplicateSpanFilter {
    /// Returns the trace without exact duplicates.
    package static func adjust(_ spans: [Span]) -> [Span] {
        var seen = Set<Span>()
        seen.reserveCapacity(spans.count)
        return spans.filter { seen.insert($0).inserted }
    }
}
