/// RFC 4648 base64: standard-alphabet encoding with padding (UI `binary` values) and a lenient decoder
/// (trace ids in base64, standard or URL alphabet, padding optional).
package enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with `=` padding: `[0, 0, 0x30, 0x39]` → `"AAAwOQ=="`.
    package static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            appendSextets(group, count: 4, to: &out)
            i += 3
        }
        switch bytes.count - i {
        case 1:
            appendSextets(UInt32(bytes[i]) << 16, count: 2, to: &out)
            out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case 2:
            appendSextets(UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8, count: 3, to: &out)
            out.append(UInt8(ascii: "="))
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard (`+/`) or URL (`-_`) alphabet, with or without `=` padding.
    /// Returns nil on any other character, misplaced padding, an impossible length,
    /// or non-zero bits after the last full byte.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var input = Array(text.utf8)
        if input.count % 4 == 0 {
            // Padding only as a complete suffix of a 4-character group.
            if input.last == UInt8(ascii: "=") { input.removeLast() }
            if input.last == UInt8(ascii: "=") { input.removeLast() }
        }
        if input.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in input {
            guard let sextet = value(of: byte) else { return nil }
            accumulator = (accumulator << 6 | UInt32(sextet)) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (canonical encoding).
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    private static func appendSextets(_ group: UInt32, count: Int, to out: inout [UInt8]) {
        for n in 0..<count {
            let shift = UInt32(18 - 6 * n)
            out.append(alphabet[Int((group >> shift) & 0x3F)])
        }
    }

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
