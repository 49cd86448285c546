/// A string compared, hashed and ordered by its UTF-8 bytes. Swift's `==` on `String` treats canonically equivalent
/// spellings ("é" and "e" + U+0301) as equal; a set or dictionary keyed by `String` would merge two names that the
/// store, the wire and Jaeger keep apart.
package struct ExactString: Hashable, Comparable, Sendable, ExpressibleByStringLiteral {
    package let value: String

    package init(_ value: String) { self.value = value }

    package init(stringLiteral value: String) { self.value = value }

    package static func == (a: ExactString, b: ExactString) -> Bool { a.value.hasSameUTF8(as: b.value) }

    /// Byte order, which for UTF-8 is code-point order: Go's and RocksDB's order of the same names.
    package static func < (a: ExactString, b: ExactString) -> Bool { a.value.compareUTF8(b.value) < 0 }

    /// The length first, so the fields of a key that hashes several strings keep their boundaries ("ab", "c" and
    /// "a", "bc" hash apart).
    package func hash(into hasher: inout Hasher) {
        var text = value
        text.withUTF8 { utf8 in
            hasher.combine(utf8.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(utf8))
        }
    }
}
