import SpoorModel

/// A string compared and hashed by its UTF-8 bytes. Swift's `==` on `String` treats canonically equivalent spellings
/// ("é" and "e" + U+0301) as equal; an interner keyed by `String` would store one spelling's bytes for the other.
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (a: ExactString, b: ExactString) -> Bool { a.value.hasSameUTF8(as: b.value) }

    /// The length first, so the fields of a key that hashes several strings keep their boundaries ("ab", "c" and
    /// "a", "bc" hash apart).
    func hash(into hasher: inout Hasher) {
        var text = value
        text.withUTF8 { utf8 in
            hasher.combine(utf8.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(utf8))
        }
    }
}
