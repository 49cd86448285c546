import SpoorTestSupport
import Testing

@testable import SpoorStorage

/// `RollupHistogram` against a `Dictionary` doing the same operations.
struct RollupHistogramTests {
    /// The histogram's contents as a dictionary, checking on the way that iteration is in ascending index order.
    private static func contents(_ histogram: RollupHistogram) -> [UInt16: UInt64] {
        let pairs = Array(histogram)
        #expect(zip(pairs, pairs.dropFirst()).allSatisfy { $0.0 < $1.0 }, "not ascending: \(pairs.map(\.0))")
        #expect(pairs.count == histogram.count)
        return Dictionary(uniqueKeysWithValues: pairs)
    }

    @Test func randomAddsMergesAndRemovalsMatchADictionary() {
        var generator = SplitMix(seed: 0x5EED_0F_4157)
        for round in 0..<200 {
            var histogram = RollupHistogram()
            var model: [UInt16: UInt64] = [:]
            // Narrow index ranges hit existing buckets often; wide ones insert in the middle and at both ends.
            let spread = UInt16([4, 40, 512][round % 3])
            for _ in 0..<Int.random(in: 0..<120, using: &generator) {
                let index = UInt16.random(in: 0..<spread, using: &generator)
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<6:
                    let n = UInt64.random(in: 0..<5, using: &generator)
                    histogram.add(n, at: index)
                    model[index, default: 0] &+= n
                case 6..<8:
                    var other = RollupHistogram()
                    var otherModel: [UInt16: UInt64] = [:]
                    for _ in 0..<Int.random(in: 0..<8, using: &generator) {
                        let i = UInt16.random(in: 0..<spread, using: &generator)
                        other.add(1, at: i)
                        otherModel[i, default: 0] += 1
                    }
                    #expect(Self.contents(other) == otherModel)
                    histogram.merge(other)
                    model.merge(otherModel, uniquingKeysWith: &+)
                case 8:
                    histogram[index] = nil
                    model[index] = nil
                default:
                    let n = UInt64.random(in: 1..<9, using: &generator)
                    histogram[index] = n
                    model[index] = n
                }
                #expect(histogram[index] == model[index])
            }
            #expect(Self.contents(histogram) == model)
            #expect(histogram == RollupHistogram(model))
        }
    }

    @Test func equalityIgnoresTheOrderOfAdds() {
        var a = RollupHistogram()
        var b = RollupHistogram()
        for index: UInt16 in [9, 3, 7, 3, 511, 0] { a.add(2, at: index) }
        for index: UInt16 in [0, 511, 3, 7, 9, 3] { b.add(2, at: index) }
        #expect(a == b)
        #expect(a == [0: 2, 3: 4, 7: 2, 9: 2, 511: 2])
        b.add(1, at: 8)
        #expect(a != b)
    }

    @Test func rollupsRoundTripAndMergeWithTheirHistograms() throws {
        var a = SpanRollup()
        for micros: UInt64 in [5, 5, 900, 12, 70_000, 3] { a.add(durationNanos: micros * 1000, isError: micros == 12) }
        var b = SpanRollup()
        for micros: UInt64 in [900, 1, 64] { b.add(durationNanos: micros * 1000, isError: false) }
        let decoded = try #require(a.encoded().withUnsafeBytes { SpanRollup($0) })
        #expect(decoded == a)
        var merged = a
        merged.merge(b)
        #expect(merged.count == 9 && merged.errors == 1)
        #expect(merged.minNanos == 1000 && merged.maxNanos == 70_000_000)
        var expected: [UInt16: UInt64] = [:]
        for micros: UInt64 in [5, 5, 900, 12, 70_000, 3, 900, 1, 64] { expected[SpanRollup.bucket(forNanos: micros * 1000), default: 0] += 1 }
        #expect(Self.contents(merged.buckets) == expected)
        #expect(merged.buckets.isEmpty == false)
        // The stored form lists buckets in ascending order, so equal rollups encode equally however they were built.
        var reversed = SpanRollup()
        for micros: UInt64 in [1, 64, 900, 3, 70_000, 12, 900, 5, 5] { reversed.add(durationNanos: micros * 1000, isError: micros == 12) }
        #expect(reversed.encoded() == merged.encoded())
    }

    /// 3 spans: 1 ms (bucket 0) and 2 ms twice (bucket 8), added out of order. Hand-encoded: version 1, count 3,
    /// errors 0, min 1000 and max 2000 as varints, 2 buckets, then (0, 1) and (8, 2) in ascending order: the bytes the
    /// dictionary-backed histogram wrote.
    static let canonical: [UInt8] = [1, 3, 0, 0xE8, 0x07, 0xD0, 0x0F, 2, 0, 1, 8, 2]

    @Test func theStoredFormIsTheHandEncodedOne() throws {
        var rollup = SpanRollup()
        for nanos: UInt64 in [2000, 1000, 2000] { rollup.add(durationNanos: nanos, isError: false) }
        #expect(rollup.encoded() == Self.canonical)
        let decoded = try #require(Self.canonical.withUnsafeBytes { SpanRollup($0) })
        #expect(decoded == rollup)
    }

    @Test func operandsWithRepeatedOrDescendingIndexesSumUp() throws {
        // The same content listed 8, 0, 8: no writer produces it, but a reader must not depend on the order.
        let unordered: [UInt8] = [1, 3, 0, 0xE8, 0x07, 0xD0, 0x0F, 3, 8, 1, 0, 1, 8, 1]
        let decoded = try #require(unordered.withUnsafeBytes { SpanRollup($0) })
        #expect(decoded.encoded() == Self.canonical)
        #expect(Array(decoded.buckets).map(\.0) == [0, 8])
        // The merge operator: both operands summed, an unreadable one skipped.
        let merged = Self.canonical.withUnsafeBytes { a in
            unordered.withUnsafeBytes { b in [UInt8(9), 9, 9].withUnsafeBytes { junk in SpanRollup.merge([a, junk, b]) } }
        }
        let total = try #require(merged.withUnsafeBytes { SpanRollup($0) })
        #expect(total.count == 6 && total.errors == 0 && total.minNanos == 1000 && total.maxNanos == 2000)
        #expect(total.buckets == [0: 2, 8: 4])
    }
}
