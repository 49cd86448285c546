/// Go's `time.Duration.String()`, which Jaeger uses in its adjuster warnings.
///
/// `0s`, `750ns`, `1.5µs` (U+00B5), `2.000001ms`, `1.5s`, `1m0s`, `1h2m3.5s`, with a leading `-` when
/// negative; fractions drop trailing zeros.
package enum GoDurationFormat {
    /// Formats signed nanoseconds.
    package static func string(_ nanos: Int64) -> String {
        let sign = nanos < 0 ? "-" : ""
        let magnitude = nanos.magnitude
        if magnitude == 0 { return "0s" }
        if magnitude < 1_000 { return "\(sign)\(magnitude)ns" }
        if magnitude < 1_000_000 { return sign + decimal(magnitude, fractionDigits: 3) + "µs" }
        if magnitude < 1_000_000_000 { return sign + decimal(magnitude, fractionDigits: 6) + "ms" }

        var text = decimal(magnitude % 60_000_000_000, fractionDigits: 9) + "s"
        let minutes = magnitude / 60_000_000_000
        if minutes > 0 {
            text = "\(minutes % 60)m" + text
            let hours = minutes / 60
            if hours > 0 { text = "\(hours)h" + text }
        }
        return sign + text
    }

    /// `value / 10^fractionDigits` with the fraction's trailing zeros (and a bare point) dropped.
    private static func decimal(_ value: UInt64, fractionDigits: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let whole = value / scale
        var fraction = value % scale
        guard fraction != 0 else { return String(whole) }
        var digits = fractionDigits
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
