extension GoStrconv {
    /// Go's `strconv.ParseFloat(text, 64)` for decimal text: optional sign, digits with an optional `.`, an optional
    /// exponent, or `inf`/`infinity`/`nan` (any case). Hexadecimal floats and `_` separators are not accepted.
    /// - Throws: `strconv.ParseFloat: parsing "x": invalid syntax` or `…: value out of range`.
    package static func parseFloat(_ text: String) throws(QueryParameterError) -> Double {
        let syntax = QueryParameterError(message: "strconv.ParseFloat: parsing \(GoQuote.quote(text)): invalid syntax")
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        guard isDecimalLiteral(body.utf8), let value = Double(text) else { throw syntax }
        guard value.isFinite else {
            throw QueryParameterError(message: "strconv.ParseFloat: parsing \(GoQuote.quote(text)): value out of range")
        }
        return value
    }

    /// `digits [. digits] [(e|E) [sign] digits]` with at least one mantissa digit (`.5` and `5.` allowed).
    private static func isDecimalLiteral(_ bytes: Substring.UTF8View) -> Bool {
        var index = bytes.startIndex
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var mantissaDigits = 0
        while index < bytes.endIndex, isDigit(bytes[index]) {
            mantissaDigits += 1
            index = bytes.index(after: index)
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index = bytes.index(after: index)
            while index < bytes.endIndex, isDigit(bytes[index]) {
                mantissaDigits += 1
                index = bytes.index(after: index)
            }
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index = bytes.index(after: index)
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index = bytes.index(after: index)
            }
            var exponentDigits = 0
            while index < bytes.endIndex, isDigit(bytes[index]) {
                exponentDigits += 1
                index = bytes.index(after: index)
            }
            guard exponentDigits > 0 else { return false }
        }
        return index == bytes.endIndex
    }
}
