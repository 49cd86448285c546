/// JSON text rendered the way Go's `encoding/json` renders it, so sampling responses are byte-identical to Jaeger's.
///
/// Doubles use the shortest digits that round-trip, positional between 1e-6 and 1e21 (`0.001`, `1`, `42.5`) and
/// exponential outside (`1e-7`, `1e+21`). Strings escape `"`, `\`, control characters and, like Go, `<`, `>`, `&`,
/// U+2028 and U+2029.
enum GoJSON {
    /// Appends a double; callers only pass finite values (non-finite ones are written as `0`).
    static func appendDouble(_ value: Double, to out: inout String) {
        guard value.isFinite else {
            out += "0"
            return
        }
        let (negative, digits, pointPosition) = decimalDigits(of: value)
        if negative { out += "-" }
        guard let first = digits.first, first != "0" else {
            out += "0"
            return
        }
        let magnitude = abs(value)
        if magnitude < 1e-6 || magnitude >= 1e21 {
            // d.ddde±XX, with Go's JSON cleanup of a one-digit negative exponent (e-07 → e-7).
            out.append(first)
            if digits.count > 1 {
                out += "."
                out += digits.dropFirst()
            }
            let exponent = pointPosition - 1
            out += exponent < 0 ? "e-" : "e+"
            let exponentDigits = String(abs(exponent))
            if exponent >= 0 && exponentDigits.count < 2 { out += "0" }
            out += exponentDigits
            return
        }
        if pointPosition <= 0 {
            out += "0."
            out += String(repeating: "0", count: -pointPosition)
            out += digits
        } else if pointPosition >= digits.count {
            out += digits
            out += String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            out += digits[..<split]
            out += "."
            out += digits[split...]
        }
    }

    /// Splits Swift's shortest round-trip rendering into sign, significant digits (no leading or trailing zeros,
    /// `"0"` for zero) and the position of the decimal point relative to the first digit (value = 0.DIGITS × 10^pos).
    static func decimalDigits(of value: Double) -> (negative: Bool, digits: String, pointPosition: Int) {
        var text = Substring(value.description)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...].replacing("+", with: "")) ?? 0
            text = text[..<e]
        }
        var integerPart = text
        var fractionPart: Substring = ""
        if let dot = text.firstIndex(of: ".") {
            integerPart = text[..<dot]
            fractionPart = text[text.index(after: dot)...]
        }
        var digits = String(integerPart) + String(fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.hasPrefix("0") {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") { digits.removeLast() }
        if digits.isEmpty { return (negative, "0", 1) }
        return (negative, digits, pointPosition)
    }

    /// Appends a quoted, escaped string.
    static func appendString(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                appendUnicodeEscape(scalar.value, to: &out)
            case _ where scalar.value < 0x20:
                appendUnicodeEscape(scalar.value, to: &out)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static func appendUnicodeEscape(_ value: UInt32, to out: inout String) {
        let hex = String(value, radix: 16)
        out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
