extension RFC3339 {
    /// `2026-08-20T10:00:00Z` in UTC, with 3, 6 or 9 fraction digits when the time has a fraction (as proto3 JSON
    /// writes a `Timestamp`): `…:00.250Z`, `…:00.000250Z`, `…:00.000000250Z`.
    package static func formatUTC(unixNanos: UInt64) -> String {
        let seconds = Int64(unixNanos / 1_000_000_000)
        let fraction = unixNanos % 1_000_000_000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civil(fromDays: days)
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        text += "\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay % 3_600 / 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 {
            if fraction % 1_000_000 == 0 {
                text += "." + pad(Int64(fraction / 1_000_000), 3)
            } else if fraction % 1_000 == 0 {
                text += "." + pad(Int64(fraction / 1_000), 6)
            } else {
                text += "." + pad(Int64(fraction), 9)
            }
        }
        return text + "Z"
    }

    /// Zero-padded decimal of a non-negative value.
    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian (eras of 400 years from March 1st).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
