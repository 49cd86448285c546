import SpoorTestSupport
import Testing

@testable import SpoorStorage

struct KeyTableTests {
    /// Random sets, updates and removals agree with a `Dictionary`. The keys come from a pool of 300 whose home slots
    /// are a handful near the end of the table, so probe runs are long and wrap around, and about half of the removals
    /// hit a held key: the backward shift must keep every other key findable. The key 0 is in the pool.
    @Test func agreesWithADictionaryUnderChurn() {
        var rng = SplitMix(seed: 42)
        var table = KeyTable(limit: 200)
        var model: [UInt64: UInt32] = [:]
        // Homes 1019–1023 and 0–2 of a 1024-slot table (and their images in the smaller tables it grows through).
        let homes: [UInt64] = [1019, 1020, 1021, 1022, 1023, 0, 1, 2]
        let pool: [UInt64] = [0] + (1..<300).map { i in UInt64(i) << 32 | homes[i % homes.count] }
        func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }
        var removed = 0
        for step in 0..<40_000 {
            let key = pool[Int(rng.next() % UInt64(pool.count))]
            switch rng.next() % 3 {
            case 0 where model.count < 200 || model[stored(key)] != nil:
                let value = UInt32(truncatingIfNeeded: rng.next())
                table.set(key, value)
                model[stored(key)] = value
            case 1:
                let expected = model.removeValue(forKey: stored(key))
                if expected != nil { removed += 1 }
                #expect(table.remove(key) == expected, "step \(step)")
            default:
                #expect(table.value(key) == model[stored(key)], "step \(step)")
            }
            #expect(table.count == model.count)
        }
        #expect(removed > 3_000)
        for (key, value) in model { #expect(table.value(key) == value) }
        table.removeAll()
        #expect(table.isEmpty && model.keys.allSatisfy { table.value($0) == nil })
    }

    /// A removal inside a run that wraps past the end of the table moves back exactly the entries whose home allows it.
    @Test func removalInAWrappedRunKeepsTheOthersFindable() {
        var table = KeyTable(limit: 8)  // 16 slots
        // Homes 14, 14, 15, 15, 0: they fill 14, 15, 0, 1, 2.
        let keys: [UInt64] = [1 << 32 | 14, 2 << 32 | 14, 3 << 32 | 15, 4 << 32 | 15, 5 << 32 | 0]
        for (index, key) in keys.enumerated() { table.set(key, UInt32(index)) }
        for removed in keys.indices {
            var copy = table
            #expect(copy.remove(keys[removed]) == UInt32(removed))
            for (index, key) in keys.enumerated() where index != removed { #expect(copy.value(key) == UInt32(index)) }
            #expect(copy.value(keys[removed]) == nil && copy.count == keys.count - 1)
        }
    }

    @Test func isFullAtItsLimitAndHoldsAtMostHalfItsSlots() {
        var table = KeyTable(limit: 10)
        for key: UInt64 in 1...10 {
            #expect(!table.isFull)
            table.set(key &* 0x9E37_79B9_7F4A_7C15, UInt32(key))
        }
        #expect(table.isFull && table.count == 10)
        table.set(1 &* 0x9E37_79B9_7F4A_7C15, 99)  // an update of a held key is not an insert
        #expect(table.count == 10 && table.value(1 &* 0x9E37_79B9_7F4A_7C15) == 99)
        #expect(table.memoryBytes >= 20 * 12)
    }

    /// It starts small and grows as it fills, keeping every entry through each doubling.
    @Test func growsFromSmallKeepingEveryEntry() {
        var table = KeyTable(limit: 100_000)
        #expect(table.memoryBytes <= 16 * 12)
        for key: UInt64 in 1...50_000 { table.set(key &* 0x9E37_79B9_7F4A_7C15, UInt32(truncatingIfNeeded: key)) }
        #expect(table.count == 50_000 && table.memoryBytes >= 100_000 * 12)
        #expect((1...50_000 as ClosedRange<UInt64>).allSatisfy { table.value($0 &* 0x9E37_79B9_7F4A_7C15) == UInt32(truncatingIfNeeded: $0) })
        #expect(table.value(50_001 &* 0x9E37_79B9_7F4A_7C15) == nil)
    }
}
