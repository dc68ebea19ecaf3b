/// Where an annotation points: a W3C Web Annotation TextQuoteSelector (the exact text
/// with some context either side) paired with a TextPositionSelector (scalar offsets
/// into the NFC text, end exclusive).
///
/// The quote lets a reader re-anchor the annotation if the text is corrected; the
/// position makes lookups and exports exact.
public struct TextSelector: Sendable, Hashable {
    public var exact: String
    public var prefix: String
    public var suffix: String
    public var start: Int
    public var end: Int

    /// How many scalars of context the quote keeps on either side.
    public static let contextLength = 32

    public init(exact: String, prefix: String, suffix: String, start: Int, end: Int) {
        self.exact = exact
        self.prefix = prefix
        self.suffix = suffix
        self.start = start
        self.end = end
    }

    /// The selector for the span `start..<end` of `text`.
    public init(text: ScalarText, start: Int, end: Int) throws(ValidationError) {
        guard start >= 0, end > start, end <= text.count else {
            throw .invalidRange(start: start, end: end, length: text.count)
        }
        self.init(
            exact: text.slice(start, end),
            prefix: text.slice(start - TextSelector.contextLength, start),
            suffix: text.slice(end, end + TextSelector.contextLength),
            start: start, end: end)
    }

    /// Checks that the selector points at its quote in `text`.
    public func validate(against text: ScalarText) throws(ValidationError) {
        guard start >= 0, end > start, end <= text.count else {
            throw .invalidRange(start: start, end: end, length: text.count)
        }
        let found = text.slice(start, end)
        guard found.unicodeScalars.elementsEqual(exact.unicodeScalars) else {
            throw .quoteMismatch(expected: exact, found: found)
        }
    }

    var json: JSONValue {
        .object([
            "exact": .string(exact), "prefix": .string(prefix), "suffix": .string(suffix),
            "start": .int(Int64(start)), "end": .int(Int64(end)),
        ])
    }

    init(json: JSONValue?) throws(ValidationError) {
        guard let json else { throw .missingField("target") }
        guard let object = json.objectValue else { throw .wrongType(field: "target", expected: "an object") }
        let fields = FieldReader(object)
        exact = try fields.requiredString("exact")
        prefix = try fields.optionalString("prefix") ?? ""
        suffix = try fields.optionalString("suffix") ?? ""
        start = try fields.requiredInt("start")
        end = try fields.requiredInt("end")
        guard start >= 0, end > start else { throw .invalidRange(start: start, end: end, length: end) }
        guard exact.unicodeScalars.count == end - start else { throw .quoteMismatch(expected: exact, found: "") }
    }
}
