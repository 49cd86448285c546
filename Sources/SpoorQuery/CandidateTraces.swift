import SpoorModel
import SpoorStorage

/// Trace ids found by a search, each with the latest start seen for it: a `TraceIndexTable` and a parallel array of
/// starts. A `[TraceID: UInt64]` hashed every visit with SipHash and rehashed as it grew, which was most of the time of
/// the searches that intersect several index scans.
struct CandidateTraces {
    private var table = TraceIndexTable()
    private var starts: [UInt64] = []

    var count: Int { starts.count }
    var isEmpty: Bool { starts.isEmpty }

    func contains(_ id: TraceID) -> Bool { table.index(of: id) != nil }

    /// Adds `id`, or raises its start to `start` when it is later.
    mutating func add(_ id: TraceID, start: UInt64) {
        let (index, inserted) = table.insert(id)
        if inserted {
            starts.append(start)
        } else if start > starts[index] {
            starts[index] = start
        }
    }

    /// Every id with its start, in the order first added.
    var entries: some Sequence<(TraceID, UInt64)> { zip(table.ids, starts) }

    /// The ids, latest start first, then higher id first.
    func newestFirst() -> [TraceID] {
        let ids = table.ids
        return ids.indices.sorted { starts[$0] != starts[$1] ? starts[$0] > starts[$1] : ids[$0] > ids[$1] }.map { ids[$0] }
    }
}
