/// JSON string escapes (RFC 8259 §7), decoded one way for every JSON reader of the project.
package enum JSONEscape {
    /// Why an escape could not be decoded.
    package enum Failure: Error, Equatable {
        /// The text ends right after the backslash.
        case unterminated
        /// `\u` not followed by four hex digits; `offset` is where the digits should start.
        case invalidUnicode(offset: Int)
        /// Another character follows the backslash.
        case invalid
    }

    /// Decodes the escape whose backslash is at `backslash`, appending its UTF-8 to `out`, and returns the index after
    /// it. A `\u` high surrogate followed by a `\u` low surrogate makes one scalar; an unpaired surrogate becomes U+FFFD.
    package static func decode(_ bytes: [UInt8], backslash: Int, into out: inout [UInt8]) throws(Failure) -> Int {
        guard backslash + 1 < bytes.count else { throw .unterminated }
        let code = bytes[backslash + 1]
        var index = backslash + 2
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(code)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(bytes, at: index)
            index += 4
            if (0xD800...0xDBFF).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                bytes[index + 1] == UInt8(ascii: "u")
            {
                let low = try hex4(bytes, at: index + 2)
                if (0xDC00...0xDFFF).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
        default:
            throw .invalid
        }
        return index
    }

    private static func hex4(_ bytes: [UInt8], at index: Int) throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw .invalidUnicode(offset: index) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let nibble = Hex.nibble(bytes[index + offset]) else { throw .invalidUnicode(offset: index) }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }
}
