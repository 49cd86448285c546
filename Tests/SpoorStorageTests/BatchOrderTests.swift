import Testing

@testable import SpoorStorage

/// Write batches go in (bucket, key bytes) order; the key-head shortcut and the run merger must keep exactly that order.
struct BatchOrderTests {
    private static func reference(_ a: PreparedWrite.Entry, _ b: PreparedWrite.Entry) -> Bool {
        a.bucket.start != b.bucket.start ? a.bucket.start < b.bucket.start : a.key.lexicographicallyPrecedes(b.key)
    }

    private static func randomEntries(_ count: Int, using random: inout SystemRandomNumberGenerator) -> [PreparedWrite.Entry] {
        (0..<count).map { _ in
            // Short keys, shared heads and zero bytes, so that ties on the first 8 bytes and prefixes are common.
            let length = Int.random(in: 0...12, using: &random)
            let key = (0..<length).map { _ in [0, 0, 1, 0x10, 0xFF].randomElement(using: &random)! as UInt8 }
            return PreparedWrite.Entry(
                bucket: BucketRef(start: UInt64.random(in: 0...2, using: &random), width: 10), key: key, value: [])
        }
    }

    @Test func sortingAndMergingRunsGiveBucketThenKeyOrder() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let entries = Self.randomEntries(300, using: &random)
            let expected = entries.sorted(by: Self.reference).map { [$0.bucket.start] + $0.key.map(UInt64.init) }
            let sorted = PreparedWrite.Entry.sortedInBatchOrder(entries)
            #expect(sorted.map { [$0.bucket.start] + $0.key.map(UInt64.init) } == expected)
            #expect(entries.sorted(by: PreparedWrite.Entry.inBatchOrder).map { [$0.bucket.start] + $0.key.map(UInt64.init) } == expected)
            // The same entries split into sorted runs and merged.
            var runs: [[PreparedWrite.Entry]] = [[], [], [], []]
            for entry in entries { runs[Int.random(in: 0..<4, using: &random)].append(entry) }
            var merger = SortedRunMerger(runs: runs.map(PreparedWrite.Entry.sortedInBatchOrder))
            var merged: [[UInt64]] = []
            while let (run, index) = merger.next() {
                let entry = merger.runs[run][index]
                merged.append([entry.bucket.start] + entry.key.map(UInt64.init))
            }
            #expect(merged == expected)
        }
    }
}
