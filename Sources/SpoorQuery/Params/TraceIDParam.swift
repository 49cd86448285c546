import SpoorModel

/// Parses a trace id from a URL path segment or query value (spec/query-api.md §3.5).
package enum TraceIDParam {
    /// Longest base64 form tried: 16 bytes with padding.
    private static let maxBase64Length = 24

    /// Accepts 1–32 hex digits (case-insensitive, shorter means leading zeros), or, when that fails,
    /// base64 (standard or URL alphabet, padding optional, ≤ 24 characters) of 8 or 16 bytes.
    /// - Throws: `TraceID cannot be longer than 32 hex characters: …` or
    ///   `strconv.ParseUint: parsing "…": invalid syntax` (Go's messages).
    package static func parse(_ text: String) throws(QueryParameterError) -> TraceID {
        let length = text.utf8.count
        guard length <= 32 else {
            throw QueryParameterError(message: "TraceID cannot be longer than 32 hex characters: \(text)")
        }
        if let id = TraceID(hex: text) { return id }
        if length <= maxBase64Length, let bytes = Base64.decode(text), bytes.count == 8 || bytes.count == 16,
            let id = TraceID(bytes: bytes)
        {
            return id
        }
        // Go parses the high part (all but the last 16 digits) first and reports the part that failed.
        var failing = Substring(text)
        if length > 16 {
            let split = text.utf8.index(text.utf8.startIndex, offsetBy: length - 16)
            let high = text[..<split]
            failing = high.utf8.allSatisfy({ Hex.nibble($0) != nil }) ? text[split...] : high
        }
        throw QueryParameterError(
            message: "strconv.ParseUint: parsing \(GoQuote.quote(String(failing))): invalid syntax")
    }
}
