import SpoorModel

/// The members of a JSON object of strings, in order, each key and value with the exact characters written.
///
/// Decoding into `[String: String]` keys a Swift dictionary by `String`, whose `==` treats canonically equivalent
/// spellings ("é" and "e" + U+0301) as one key, so two tag filters of a `tags` object could become one. Callers
/// validate the text with `JSONDecoder` first (for its error messages) and read the members from here.
package enum JSONStringPairs {
    /// The members of `text`, a JSON object whose values are all strings, or `[]` for `null`; nil for any other text.
    /// A repeated key is returned each time it appears (the caller keeps the last, as Go does).
    package static func parse(_ text: String) -> [(key: String, value: String)]? {
        var parser = Parser(bytes: Array(text.utf8))
        return parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func document() -> [(key: String, value: String)]? {
            skipSpace()
            var members: [(key: String, value: String)] = []
            if literal("null") {
                skipSpace()
                return index == bytes.count ? [] : nil
            }
            guard consume(UInt8(ascii: "{")) else { return nil }
            skipSpace()
            if !consume(UInt8(ascii: "}")) {
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard consume(UInt8(ascii: ":")) else { return nil }
                    skipSpace()
                    guard let value = string() else { return nil }
                    members.append((key, value))
                    skipSpace()
                    if consume(UInt8(ascii: ",")) { continue }
                    guard consume(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipSpace()
            return index == bytes.count ? members : nil
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
                index += 1
            }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func literal(_ word: String) -> Bool {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
                return false
            }
            index += expected.count
            return true
        }

        /// A JSON string: its bytes as written, escapes decoded (an unpaired surrogate becomes U+FFFD).
        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let next = try? JSONEscape.decode(bytes, backslash: index - 1, into: &out) else { return nil }
                    index = next
                case 0x00..<0x20:
                    return nil
                default:
                    out.append(byte)
                }
            }
            return nil
        }
    }
}
