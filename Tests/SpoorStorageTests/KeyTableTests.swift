import Testing

@testable import SpoorStorage

struct KeyTableTests {
    /// Random sets, updates and removals agree with a `Dictionary`, including keys that share their home slot (the
    /// backward shift of a removal must keep every other key findable) and the key 0.
    @Test func agreesWithADictionaryUnderChurn() {
        var rng = SplitMix(seed: 42)
        var table = KeyTable(limit: 200)
        var model: [UInt64: UInt32] = [:]
        // Few distinct low bits: long probe runs that wrap around the end of the table.
        func randomKey() -> UInt64 {
            let pick = rng.next()
            return pick % 7 == 0 ? 0 : (pick & 0xFFFF_0000_0000_0000) | (pick % 5) | 0x1F0
        }
        for step in 0..<20_000 {
            let key = randomKey()
            switch rng.next() % 3 {
            case 0 where model.count < 200 || model[key == 0 ? 1 : key] != nil:
                let value = UInt32(truncatingIfNeeded: rng.next())
                table.set(key, value)
                model[key == 0 ? 1 : key] = value
            case 1:
                #expect(table.remove(key) == model.removeValue(forKey: key == 0 ? 1 : key), "step \(step)")
            default:
                #expect(table.value(key) == model[key == 0 ? 1 : key], "step \(step)")
            }
            #expect(table.count == model.count)
        }
        for (key, value) in model { #expect(table.value(key) == value) }
        table.removeAll()
        #expect(table.isEmpty && model.keys.allSatisfy { table.value($0) == nil })
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
