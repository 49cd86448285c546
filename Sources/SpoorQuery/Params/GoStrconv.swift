/// Go's `strconv.ParseBool` and `strconv.ParseInt` (base 10), with Go's error messages.
package enum GoStrconv {
    /// Accepts `1 t T TRUE true True` and `0 f F FALSE false False`.
    /// - Throws: `strconv.ParseBool: parsing "x": invalid syntax`.
    package static func parseBool(_ text: String) throws(QueryParameterError) -> Bool {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw QueryParameterError(message: "strconv.ParseBool: parsing \(GoQuote.quote(text)): invalid syntax")
        }
    }

    /// Parses an optionally signed decimal integer that must fit in `bitSize` bits (1…64).
    /// - Throws: `strconv.ParseInt: parsing "x": invalid syntax` or `…: value out of range`.
    package static func parseInt(_ text: String, bitSize: Int = 64) throws(QueryParameterError) -> Int64 {
        let bits = min(max(bitSize, 1), 64)
        var digits = Substring(text).utf8[...]
        var negative = false
        if let first = digits.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { throw syntaxError(text) }
        // Magnitude limit: 2^(bits-1) for negatives, 2^(bits-1) - 1 for positives.
        let limit: UInt64 = (1 << UInt64(bits - 1)) - (negative ? 0 : 1)
        var magnitude: UInt64 = 0
        var outOfRange = false
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw syntaxError(text) }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if o1 || o2 || sum > limit {
                outOfRange = true
                magnitude = limit
            } else {
                magnitude = sum
            }
        }
        if outOfRange {
            throw QueryParameterError(message: "strconv.ParseInt: parsing \(GoQuote.quote(text)): value out of range")
        }
        if negative {
            return magnitude == 1 << 63 ? Int64.min : -Int64(magnitude)
        }
        return Int64(magnitude)
    }

    private static func syntaxError(_ text: String) -> QueryParameterError {
        QueryParameterError(message: "strconv.ParseInt: parsing \(GoQuote.quote(text)): invalid syntax")
    }
}
