/// Go's `time.ParseDuration`, as Jaeger uses for `minDuration`/`maxDuration` (spec/query-api.md §3.4).
///
/// Grammar: optional sign, then one or more `<decimal><unit>` terms (`1h30m`, `1.5s`, `.5ms`, `500us`);
/// units `ns`, `us`, `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m`, `h`. A bare `0` needs no unit.
/// Unlike Go, spaces anywhere are ignored (the UI's validator lets `100 ms` through).
package enum GoDuration {
    /// Nanoseconds, with negative durations clamped to 0.
    /// - Throws: Go's message, e.g. `time: invalid duration "abc"`.
    package static func parse(_ text: String) throws(QueryParameterError) -> UInt64 {
        let nanos = try parseSigned(text)
        return nanos < 0 ? 0 : UInt64(nanos)
    }

    /// Signed nanoseconds, exactly as Go's `time.Duration` (range ±2^63 ns, about ±292 years).
    /// - Throws: `time: invalid duration "…"`, `time: missing unit in duration "…"` or
    ///   `time: unknown unit "…" in duration "…"`.
    package static func parseSigned(_ text: String) throws(QueryParameterError) -> Int64 {
        let invalid = QueryParameterError(message: "time: invalid duration \(GoQuote.quote(text))")
        let s = text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        var i = 0
        var negative = false
        if let first = s.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            i = 1
        }
        if s.count - i == 1 && s[i] == UInt8(ascii: "0") { return 0 }
        guard i < s.count else { throw invalid }

        let bound: UInt64 = 1 << 63  // |Int64.min|
        var total: UInt64 = 0
        while i < s.count {
            guard s[i] == UInt8(ascii: ".") || isDigit(s[i]) else { throw invalid }

            // Whole part; more than 2^63 is an overflow.
            var whole: UInt64 = 0
            let wholeStart = i
            while i < s.count, isDigit(s[i]) {
                guard whole <= bound / 10 else { throw invalid }
                whole = whole * 10 + UInt64(s[i] - UInt8(ascii: "0"))
                guard whole <= bound else { throw invalid }
                i += 1
            }
            let hasWhole = i > wholeStart

            // Fraction: digits beyond what fits in 63 bits are ignored.
            var fraction: UInt64 = 0
            var scale: Double = 1
            var hasFraction = false
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                let fractionStart = i
                var saturated = false
                while i < s.count, isDigit(s[i]) {
                    if !saturated {
                        let next = fraction.multipliedReportingOverflow(by: 10)
                        let sum = next.partialValue.addingReportingOverflow(UInt64(s[i] - UInt8(ascii: "0")))
                        if next.overflow || sum.overflow || sum.partialValue > bound {
                            saturated = true
                        } else {
                            fraction = sum.partialValue
                            scale *= 10
                        }
                    }
                    i += 1
                }
                hasFraction = i > fractionStart
            }
            guard hasWhole || hasFraction else { throw invalid }

            let unitStart = i
            while i < s.count, s[i] != UInt8(ascii: "."), !isDigit(s[i]) { i += 1 }
            let unitBytes = Array(s[unitStart..<i])
            guard !unitBytes.isEmpty else {
                throw QueryParameterError(message: "time: missing unit in duration \(GoQuote.quote(text))")
            }
            guard let unit = unitNanos(unitBytes) else {
                let name = String(decoding: unitBytes, as: UTF8.self)
                throw QueryParameterError(
                    message: "time: unknown unit \(GoQuote.quote(name)) in duration \(GoQuote.quote(text))")
            }

            guard whole <= bound / unit else { throw invalid }
            var term = whole * unit
            if fraction > 0 {
                let extra = Double(fraction) * (Double(unit) / scale)  // < unit, since fraction < scale
                guard extra.isFinite, extra >= 0, extra < Double(bound) else { throw invalid }
                let (sum, overflow) = term.addingReportingOverflow(UInt64(extra))
                guard !overflow, sum <= bound else { throw invalid }
                term = sum
            }
            let (sum, overflow) = total.addingReportingOverflow(term)
            guard !overflow, sum <= bound else { throw invalid }
            total = sum
        }

        if negative {
            return total == bound ? Int64.min : -Int64(total)
        }
        guard total < bound else { throw invalid }
        return Int64(total)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func unitNanos(_ unit: [UInt8]) -> UInt64? {
        switch unit {
        case Array("ns".utf8): return 1
        case Array("us".utf8), Array("\u{B5}s".utf8), Array("\u{3BC}s".utf8): return 1_000
        case Array("ms".utf8): return 1_000_000
        case Array("s".utf8): return 1_000_000_000
        case Array("m".utf8): return 60_000_000_000
        case Array("h".utf8): return 3_600_000_000_000
        default: return nil
        }
    }
}
