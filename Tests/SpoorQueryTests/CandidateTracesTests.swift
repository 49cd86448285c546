import SpoorModel
import SpoorTestSupport
import Testing

@testable import SpoorQuery

struct CandidateTracesTests {
    private static func id(_ n: UInt64) -> TraceID { TraceID(high: n % 3, low: n) }

    /// The latest start wins for each id; newest first, ties broken by the higher id; checked against a Dictionary
    /// over seeded random visits.
    @Test func keepsTheLatestStartAndOrdersNewestFirstLikeADictionary() {
        var rng = SplitMix(seed: 7)
        var candidates = CandidateTraces()
        var reference: [TraceID: UInt64] = [:]
        for _ in 0..<5_000 {
            let id = Self.id(rng.next() % 700)
            let start = rng.next() % 50  // many equal starts: the tie order matters
            candidates.add(id, start: start)
            reference[id] = max(reference[id] ?? 0, start)
        }
        #expect(candidates.count == reference.count)
        #expect(Dictionary(uniqueKeysWithValues: candidates.entries.map { ($0, $1) }) == reference)
        let expected = reference.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key > $1.key }.map(\.key)
        #expect(candidates.newestFirst() == expected)
        for n in UInt64(0)..<800 { #expect(candidates.contains(Self.id(n)) == (reference[Self.id(n)] != nil)) }
    }

    @Test func emptySetHasNothing() {
        let candidates = CandidateTraces()
        #expect(candidates.isEmpty && candidates.newestFirst().isEmpty && !candidates.contains(Self.id(1)))
    }
}
