/// RFC 3339 timestamps as the api_v3 HTTP endpoints take them (spec/query-api.md §4):
/// `2026-08-20T10:00:00Z`, `2026-08-20T10:00:00.123456789+02:00`.
///
/// Grammar: `YYYY-MM-DD` `T` `hh:mm:ss` [`.` 1+ digits] (`Z` | `±hh:mm`); `t` and `z` are accepted too
/// (RFC 3339 §5.6). Fraction digits beyond the ninth are ignored, so precision is one nanosecond.
/// Leap seconds (`:60`) are rejected, as Go's parser does.
package enum RFC3339 {
    /// Nanoseconds since the Unix epoch, clamped to `0…UInt64.max` (times before 1970 become 0).
    /// - Throws: `parsing time "<text>": <reason>`.
    package static func parseUnixNanos(_ text: String) throws(QueryParameterError) -> UInt64 {
        let (seconds, nanos) = try parse(text)
        guard seconds >= 0 else { return 0 }
        let (scaled, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (sum, carry) = scaled.addingReportingOverflow(UInt64(nanos))
        return carry ? .max : sum
    }

    /// Seconds since the epoch (may be negative) and the nanosecond fraction (0..<10⁹).
    /// - Throws: `parsing time "<text>": <reason>`.
    package static func parse(_ text: String) throws(QueryParameterError) -> (seconds: Int64, nanos: Int32) {
        func fail(_ reason: String) -> QueryParameterError {
            QueryParameterError(message: "parsing time \(GoQuote.quote(text)): \(reason)")
        }
        let s = Array(text.utf8)
        var i = 0

        /// Reads exactly `count` decimal digits.
        func digits(_ count: Int, _ what: String) throws(QueryParameterError) -> Int64 {
            guard i + count <= s.count else { throw fail("expected \(count)-digit \(what)") }
            var value: Int64 = 0
            for _ in 0..<count {
                let byte = s[i]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                    throw fail("expected \(count)-digit \(what)")
                }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                i += 1
            }
            return value
        }
        func expect(_ allowed: [UInt8], _ what: String) throws(QueryParameterError) {
            guard i < s.count, allowed.contains(s[i]) else { throw fail("expected \(what)") }
            i += 1
        }

        let year = try digits(4, "year")
        try expect([UInt8(ascii: "-")], "'-' after year")
        let month = try digits(2, "month")
        try expect([UInt8(ascii: "-")], "'-' after month")
        let day = try digits(2, "day")
        try expect([UInt8(ascii: "T"), UInt8(ascii: "t")], "'T' after date")
        let hour = try digits(2, "hour")
        try expect([UInt8(ascii: ":")], "':' after hour")
        let minute = try digits(2, "minute")
        try expect([UInt8(ascii: ":")], "':' after minute")
        let second = try digits(2, "second")

        var nanos: Int32 = 0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") {
                if count < 9 { nanos = nanos * 10 + Int32(s[i] - UInt8(ascii: "0")) }
                count += 1
                i += 1
            }
            guard count > 0 else { throw fail("missing fraction digits after '.'") }
            for _ in count..<max(count, 9) { nanos *= 10 }
        }

        var offsetSeconds: Int64 = 0
        guard i < s.count else { throw fail("missing time zone (Z or ±hh:mm)") }
        switch s[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = s[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let offsetHours = try digits(2, "time zone hour")
            try expect([UInt8(ascii: ":")], "':' in time zone")
            let offsetMinutes = try digits(2, "time zone minute")
            guard offsetHours < 24, offsetMinutes < 60 else { throw fail("time zone offset out of range") }
            offsetSeconds = sign * (offsetHours * 3_600 + offsetMinutes * 60)
        default:
            throw fail("expected time zone (Z or ±hh:mm)")
        }
        guard i == s.count else { throw fail("extra text after time zone") }

        guard (1...12).contains(month) else { throw fail("month out of range") }
        guard day >= 1, day <= daysIn(month: month, year: year) else { throw fail("day out of range") }
        guard hour < 24 else { throw fail("hour out of range") }
        guard minute < 60 else { throw fail("minute out of range") }
        guard second < 60 else { throw fail("second out of range") }

        // Every term is bounded by the 4-digit year, so this cannot overflow Int64.
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds
        return (seconds, nanos)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (eras of 400 years start on March 1st).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
