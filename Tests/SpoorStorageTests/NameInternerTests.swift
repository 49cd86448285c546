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
}
