/// Two spellings of one name that Swift's `String ==` equates but whose UTF-8 bytes differ, and a name between them in
/// byte order: what the tests of byte-exact names use. Compare them by bytes (`bytes(_:)`): `#expect(a == b)` on
/// strings would itself treat the two spellings as equal.
package enum Spellings {
    /// "é" as one code point (NFC): bytes 63 61 66 C3 A9.
    package static let composed = "caf\u{E9}"
    /// "e" + combining acute accent (NFD): bytes 63 61 66 65 CC 81.
    package static let decomposed = "cafe\u{301}"
    /// Sorts between the two by bytes (66 after 65, before C3), but before both by `String <` (which compares the NFC
    /// form "caf\u{E9}"), so an order by `String` and one by bytes always differ.
    package static let between = "caff"

    /// The UTF-8 bytes of each name.
    package static func bytes(_ names: [String]) -> [[UInt8]] { names.map { Array($0.utf8) } }
}
