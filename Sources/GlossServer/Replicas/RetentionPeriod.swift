/// A retention period as `serve --retire-after` takes it: a whole number with a unit
/// (`90d`, `12h`, `30m`, `45s`), or `never`.
public enum RetentionPeriod {
    /// The period `text` says; `nil` for `never`.
    /// - Throws: ``RetentionPeriodError`` saying what is accepted.
    public static func parse(_ text: String) throws(RetentionPeriodError) -> Duration? {
        if text == "never" { return nil }
        guard let unit = text.last, let number = Int64(text.dropLast()), number > 0 else { throw RetentionPeriodError(text: text) }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        default: throw RetentionPeriodError(text: text)
        }
        let (total, overflow) = number.multipliedReportingOverflow(by: seconds)
        guard !overflow else { throw RetentionPeriodError(text: text) }
        return .seconds(total)
    }
}

public struct RetentionPeriodError: Error, Sendable, CustomStringConvertible {
    public let text: String

    public var description: String {
        "'\(text)' is not a retention period: give a whole number with s, m, h or d (e.g. 90d, 12h), or 'never'"
    }
}
