/// The longest strings an article or annotation may hold, counted in Unicode scalars.
///
/// Clients check the defaults when a change is made, so what they write is accepted by
/// any server on the defaults; a server may be configured stricter or looser
/// (`gloss-server serve --max-note-length` …).
public struct ContentLimits: Sendable, Hashable {
    /// An article's text.
    public var text = 10_000_000
    /// An annotation's note.
    public var note = 100_000
    /// The quoted span of a selector (`exact`).
    public var quote = 1_000_000
    /// Every other string field: title, source, language, author, created, selector
    /// prefix and suffix.
    public var field = 10_000
    /// Tags on one article or annotation.
    public var tags = 1_000

    public init() {}

    public static let `default` = ContentLimits()

    /// Throws `textTooLong` when `value` has more than `limit` scalars.
    static func check(_ value: String?, _ field: String, limit: Int) throws(ValidationError) {
        if let value, value.unicodeScalars.count > limit { throw .textTooLong(field: field, limit: limit) }
    }
}
