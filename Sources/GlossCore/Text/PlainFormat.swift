import Foundation

/// Times, hex and decimals written by plain arithmetic instead of Foundation's
/// formatters (`ISO8601DateFormatter`, `String(format:)`).
///
/// Those formatters load ICU's locale and time-zone data on first use: measured, about
/// 5 MB of the data file mapped into the process, so the client's peak memory at the
/// end of a sync and the server's on its first push grew by that much, for text that
/// never depends on a locale.
public enum PlainFormat {
    /// ISO 8601 in UTC, `2016-12-29T10:15:00Z`, or `2016-12-29T10:15:00.000Z` with
    /// `fractionalSeconds` (what `ISO8601DateFormatter` writes with those options).
    public static func iso8601(milliseconds: Int64, fractionalSeconds: Bool = false) -> String {
        let (seconds, millisecond) = floorDivision(milliseconds, 1_000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        var text = padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
        text += "T" + padded(secondOfDay / 3_600, 2) + ":" + padded(secondOfDay / 60 % 60, 2) + ":" + padded(secondOfDay % 60, 2)
        if fractionalSeconds { text += "." + padded(millisecond, 3) }
        return text + "Z"
    }

    /// The current time as ``iso8601(milliseconds:fractionalSeconds:)`` writes it.
    public static func now(fractionalSeconds: Bool = false) -> String {
        iso8601(milliseconds: Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down)), fractionalSeconds: fractionalSeconds)
    }

    /// Lowercase hex of `value`, zero-padded to its full width (`%016llx` for a `UInt64`).
    public static func hex<Value: FixedWidthInteger & UnsignedInteger>(_ value: Value) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: Value.bitWidth / 4 - digits.count) + digits
    }

    /// Lowercase hex of bytes, two digits each.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { hex($0) }.joined()
    }

    /// `value` with exactly `digits` digits after the point, rounded half away from zero
    /// (`%.2f` for `digits` 2, up to its rounding of exact ties).
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        let scale = (0..<digits).reduce(1.0) { product, _ in product * 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e15 else { return "\(value)" }  // beyond what Int64 steps hold exactly
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        return sign + String(whole) + "." + padded(units % Int64(scale), digits)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`).
    private static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = floorDivision(shifted, 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
