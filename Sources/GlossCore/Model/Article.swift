import Foundation
import Crypto

/// A text in the corpus.
///
/// Its id is derived from its content (the first 16 bytes, hex, of SHA-256 of the NFC
/// text as first imported), so the same file imported on two replicas is one article.
public struct Article: Sendable, Hashable {
    public var id: String
    public var title: String
    /// `YYYY-MM`, from the ` date YYYY-MM ` line of the seed format.
    public var date: String?
    /// The whole text, NFC, kept exactly as imported.
    public var text: String
    public var source: String?
    public var language: String?
    public var tags: [String]
    /// Fields written by a newer client, kept and passed on unchanged.
    public var otherFields: EntityContent

    public init(
        id: String? = nil, title: String, date: String? = nil, text: String, source: String? = nil,
        language: String? = nil, tags: [String] = [], otherFields: EntityContent = [:]
    ) {
        self.id = id ?? Article.id(forText: text)
        self.title = title
        self.date = date
        self.text = text
        self.source = source
        self.language = language
        self.tags = Array(Set(tags)).sorted()
        self.otherFields = otherFields
    }

    /// The content-derived id of a text: hex of the first 16 bytes of SHA-256 of its NFC form.
    public static func id(forText text: String) -> String {
        let digest = SHA256.hash(data: Data(UnicodeNormalization.nfc(text).utf8))
        return PlainFormat.hex(digest.prefix(16))
    }

    /// Whether `id` has the shape of an article id (32 lowercase hex digits).
    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static let knownFields: Set<String> = ["title", "date", "text", "source", "language", "tags"]

    /// The article as entity content.
    public var content: EntityContent {
        var content = otherFields
        content["title"] = .string(title)
        content["text"] = .string(text)
        content["tags"] = .array(tags.map { .string($0) })
        if let date { content["date"] = .string(date) }
        if let source { content["source"] = .string(source) }
        if let language { content["language"] = .string(language) }
        return content
    }

    /// Reads and validates an article from entity content.
    public init(id: String, content: EntityContent, limits: ContentLimits = .default) throws(ValidationError) {
        guard Article.isValidID(id) else { throw .invalidID(kind: .article, id: id) }
        let fields = FieldReader(content)
        self.id = id
        text = try fields.requiredString("text")
        title = try fields.optionalString("title") ?? ""
        date = try fields.optionalString("date")
        source = try fields.optionalString("source")
        language = try fields.optionalString("language")
        tags = try fields.tags()
        otherFields = content.filter { !Article.knownFields.contains($0.key) && $0.key != ReservedField.conflicts }
        try validate(limits: limits)
    }

    /// Checks every field; throws the first problem found.
    public func validate(limits: ContentLimits = .default) throws(ValidationError) {
        guard Article.isValidID(id) else { throw .invalidID(kind: .article, id: id) }
        guard !text.isEmpty else { throw .emptyText }
        try ContentLimits.check(text, "text", limit: limits.text)
        try ContentLimits.check(title, "title", limit: limits.field)
        try ContentLimits.check(source, "source", limit: limits.field)
        try ContentLimits.check(language, "language", limit: limits.field)
        guard tags.count <= limits.tags else { throw .tooManyTags(limit: limits.tags) }
        guard UnicodeNormalization.isNFC(text) else { throw .notNFC(field: "text") }
        guard UnicodeNormalization.isNFC(title) else { throw .notNFC(field: "title") }
        if let date, !Syntax.isValidDate(date) { throw .invalidDate(date) }
        for tag in tags where !Syntax.isValidName(tag) { throw .invalidTag(tag) }
    }
}

/// Reads typed fields out of entity content, with errors naming the field.
struct FieldReader {
    let content: EntityContent

    init(_ content: EntityContent) { self.content = content }

    func requiredString(_ field: String) throws(ValidationError) -> String {
        guard let value = content[field] else { throw .missingField(field) }
        guard let string = value.stringValue else { throw .wrongType(field: field, expected: "a string") }
        return string
    }

    func optionalString(_ field: String) throws(ValidationError) -> String? {
        guard let value = content[field], value != .null else { return nil }
        guard let string = value.stringValue else { throw .wrongType(field: field, expected: "a string") }
        return string
    }

    func requiredInt(_ field: String, in object: EntityContent? = nil) throws(ValidationError) -> Int {
        guard let value = (object ?? content)[field] else { throw .missingField(field) }
        guard let number = value.intValue, let int = Int(exactly: number) else {
            throw .wrongType(field: field, expected: "an integer")
        }
        return int
    }

    func tags() throws(ValidationError) -> [String] {
        guard let value = content["tags"], value != .null else { return [] }
        guard let tags = value.stringArrayValue else { throw .wrongType(field: "tags", expected: "an array of strings") }
        return Array(Set(tags)).sorted()
    }
}
