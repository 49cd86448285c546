#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Renders an OTLP array or kvlist value as the JSON text Jaeger stores in a STRING tag.
///
/// It follows what Go's `encoding/json` makes of pdata's raw values, so search by tag value
/// behaves as in Jaeger: kvlist keys sorted bytewise with the last duplicate winning, bytes as
/// base64, an empty value as `null`, `<`, `>`, `&`, U+2028 and U+2029 escaped as `\uXXXX`, and
/// numbers formatted like Go (`3`, `0.5`, `1e-7`, `1e+21`). Go cannot render NaN or infinities;
/// here they become the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
struct AnyValueJSONWriter {
    let limits: OTLPLimits
    private(set) var bytes: [UInt8] = []

    init(limits: OTLPLimits) { self.limits = limits }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends `value`; `depth` counts the arrays/kvlists around it (0 at the attribute itself).
    mutating func write(_ value: OTLPAnyValue, depth: Int) throws(OTLPError) {
        switch value.value {
        case nil:
            append("null")
        case .stringValue(let text)?:
            writeString(text)
        case .boolValue(let flag)?:
            append(flag ? "true" : "false")
        case .intValue(let number)?:
            append(String(number))
        case .doubleValue(let number)?:
            writeDouble(number)
        case .bytesValue(let data)?:
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: data.base64EncodedString().utf8)
            bytes.append(UInt8(ascii: "\""))
        case .arrayValue(let array)?:
            try checkContainer(count: array.values.count, depth: depth, field: "arrayValue.values")
            bytes.append(UInt8(ascii: "["))
            for (index, element) in array.values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                do throws(OTLPError) {
                    try write(element, depth: depth + 1)
                } catch {
                    throw error.at("arrayValue.values[\(index)]")
                }
            }
            bytes.append(UInt8(ascii: "]"))
        case .kvlistValue(let list)?:
            try checkContainer(count: list.values.count, depth: depth, field: "kvlistValue.values")
            var lastIndexByKey: [[UInt8]: Int] = [:]
            for (index, entry) in list.values.enumerated() {
                lastIndexByKey[Array(entry.key.utf8)] = index
            }
            let ordered = lastIndexByKey.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            bytes.append(UInt8(ascii: "{"))
            for (position, (_, index)) in ordered.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                let entry = list.values[index]
                writeString(entry.key)
                bytes.append(UInt8(ascii: ":"))
                do throws(OTLPError) {
                    try write(entry.value, depth: depth + 1)
                } catch {
                    throw error.at("kvlistValue.values[\(index)].value")
                }
            }
            bytes.append(UInt8(ascii: "}"))
        }
        guard bytes.count <= limits.maxAttributeValueBytes else {
            throw .valueTooLarge(path: "", bytes: bytes.count, limit: limits.maxAttributeValueBytes)
        }
    }

    private func checkContainer(count: Int, depth: Int, field: String) throws(OTLPError) {
        guard depth < limits.maxAnyValueDepth else {
            throw .nestingTooDeep(path: "", limit: limits.maxAnyValueDepth)
        }
        guard count <= limits.maxAttributesPerSpan else {
            throw .tooManyItems(path: field, count: count, limit: limits.maxAttributesPerSpan)
        }
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": append("\\\"")
            case "\\": append("\\\\")
            case "\n": append("\\n")
            case "\r": append("\\r")
            case "\t": append("\\t")
            case "\u{08}": append("\\b")
            case "\u{0C}": append("\\f")
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                writeUnicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    writeUnicodeEscape(scalar.value)
                } else {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func writeUnicodeEscape(_ value: UInt32) {
        append("\\u")
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }

    private mutating func writeDouble(_ number: Double) {
        guard number.isFinite else {
            writeString(number.isNaN ? "NaN" : (number > 0 ? "Infinity" : "-Infinity"))
            return
        }
        append(Self.goFormat(number))
    }

    /// Go's `encoding/json` float64 text: shortest digits, plain notation unless |x| < 1e-6 or ≥ 1e21.
    static func goFormat(_ number: Double) -> String {
        if number == 0 { return number.sign == .minus ? "-0" : "0" }
        let (digits, pointPosition) = shortestDigits(abs(number))
        let sign = number < 0 ? "-" : ""
        let magnitude = abs(number)
        if magnitude < 1e-6 || magnitude >= 1e21 {
            // d.ddde±XX, with Go's two-digit minimum only for positive exponents.
            let exponent = pointPosition - 1
            var mantissa = String(digits.prefix(1))
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let exponentText =
                exponent < 0 ? "-\(-exponent)" : (exponent < 10 ? "+0\(exponent)" : "+\(exponent)")
            return sign + mantissa + "e" + exponentText
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// Shortest round-trip digits of a positive finite `value` (no leading/trailing zeros) and the
    /// position of the decimal point: value = 0.DIGITS × 10^pointPosition.
    static func shortestDigits(_ value: Double) -> (digits: String, pointPosition: Int) {
        // Swift's description is the shortest round-trip form, e.g. "0.001", "123.5", "1e-07", "1.5e+21".
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var integerPart = mantissa
        var fraction: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fraction = mantissa[mantissa.index(after: dot)...]
        }
        var all = Array(integerPart + fraction)
        var pointPosition = integerPart.count + exponent
        while let first = all.first, first == "0" {
            all.removeFirst()
            pointPosition -= 1
        }
        while let last = all.last, last == "0" { all.removeLast() }
        if all.isEmpty { return ("0", 1) }
        return (String(all), pointPosition)
    }
}
