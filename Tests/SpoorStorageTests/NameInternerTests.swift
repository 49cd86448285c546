import Testing

@testable import SpoorStorage

struct NameInternerTests {
    @Test func namesAreNumberedInFirstUseOrderByTheirExactBytes() {
        var interner = NameInterner()
        let names = ["", "a", "caf\u{E9}", "cafe\u{301}", "GET /api/orders/{id}", String(repeating: "x", count: 300)]
            + (0..<5_000).map { "name-\($0)" }
        for (n, name) in names.enumerated() { #expect(interner.id(name) == UInt32(n)) }
        // Again, in another order: the same numbers, nothing added.
        for (n, name) in names.enumerated().reversed() { #expect(interner.id(name) == UInt32(n)) }
        #expect(interner.all.count == names.count)
        // Canonically equal spellings stay apart, each with its own bytes.
        #expect(interner.id("caf\u{E9}") != interner.id("cafe\u{301}"))
        #expect(Array(interner.name(interner.id("cafe\u{301}")).utf8) == Array("cafe\u{301}".utf8))
        #expect(interner.byteCount == names.reduce(0) { $0 + $1.utf8.count })
    }

    @Test func existingFindsOnlyWhatWasAdded() {
        var interner = NameInterner()
        #expect(interner.existing("a") == nil)
        let names = (0..<2_000).map { "key.\($0)" } + ["", "x", "xy", "xyz", "wxyz", "vwxyz", "12345678", "123456789"]
        for name in names { _ = interner.id(name) }
        for (n, name) in names.enumerated() { #expect(interner.existing(name) == UInt32(n)) }
        for probe in ["key.2000", "xz", "1234567", "1234567890", "key.1 ", "y"] { #expect(interner.existing(probe) == nil) }
        #expect(interner.all.count == names.count)
    }

    @Test func tableHashTellsApartEveryByteOfShortAndLongKeys() {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: .min ... .max, using: &generator)
        var seen = Set<UInt64>()
        var count = 0
        for length in 0...40 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let hash = bytes.withUnsafeBytes { WordHash.table($0, seed: seed) }
            #expect(hash == Array(bytes).withUnsafeBytes { WordHash.table($0, seed: seed) })  // a function of the bytes
            seen.insert(hash)
            count += 1
            // Changing any one byte (or the length) changes the hash.
            for position in 0..<length {
                var changed = bytes
                changed[position] ^= 0x01
                seen.insert(changed.withUnsafeBytes { WordHash.table($0, seed: seed) })
                count += 1
            }
        }
        #expect(seen.count == count)
    }
}
