/// A note, tag set or label attached to a span of an article.
public struct Annotation: Sendable, Hashable {
    /// Random, minted offline: 26 lowercase Crockford base32 characters.
    public var id: String
    public var article: String
    public var target: TextSelector
    public var note: String?
    public var tags: [String]
    /// A category such as PER, LOC, ORG or CLAIM.
    public var label: String?
    public var color: String?
    public var author: String?
    /// When it was first made (ISO 8601, UTC).
    public var created: String?
    /// Fields written by a newer client, kept and passed on unchanged.
    public var otherFields: EntityContent

    public init(
        id: String = Annotation.newID(), article: String, target: TextSelector, note: String? = nil,
        tags: [String] = [], label: String? = nil, color: String? = nil, author: String? = nil,
        created: String? = nil, otherFields: EntityContent = [:]
    ) {
        self.id = id
        self.article = article
        self.target = target
        self.note = note
        self.tags = Array(Set(tags)).sorted()
        self.label = label
        self.color = color
        self.author = author
        self.created = created
        self.otherFields = otherFields
    }

    /// A new random annotation id.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return newID(using: &generator)
    }

    /// A new annotation id from `generator`.
    public static func newID(using generator: inout some RandomNumberGenerator) -> String {
        ReplicaID.random(using: &generator).description.lowercased()
    }

    /// Whether `id` has the shape of an annotation id.
    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count == 26 && id == id.lowercased() && ReplicaID(id) != nil
    }

    static let knownFields: Set<String> = ["article", "target", "note", "tags", "label", "color", "author", "created"]

    /// The annotation as entity content.
    public var content: EntityContent {
        var content = otherFields
        content["article"] = .string(article)
        content["target"] = target.json
        content["tags"] = .array(tags.map { .string($0) })
        if let note { content["note"] = .string(note) }
        if let label { content["label"] = .string(label) }
        if let color { content["color"] = .string(color) }
        if let author { content["author"] = .string(author) }
        if let created { content["created"] = .string(created) }
        return content
    }

    /// Reads and validates an annotation from entity content.
    public init(id: String, content: EntityContent, limits: ContentLimits = .default) throws(ValidationError) {
        guard Annotation.isValidID(id) else { throw .invalidID(kind: .annotation, id: id) }
        let fields = FieldReader(content)
        self.id = id
        article = try fields.requiredString("article")
        target = try TextSelector(json: content["target"])
        note = try fields.optionalString("note")
        tags = try fields.tags()
        label = try fields.optionalString("label")
        color = try fields.optionalString("color")
        author = try fields.optionalString("author")
        created = try fields.optionalString("created")
        otherFields = content.filter { !Annotation.knownFields.contains($0.key) && $0.key != ReservedField.conflicts }
        try validate(limits: limits)
    }

    /// Checks every field that can be checked without the article's text.
    public func validate(limits: ContentLimits = .default) throws(ValidationError) {
        guard Annotation.isValidID(id) else { throw .invalidID(kind: .annotation, id: id) }
        guard Article.isValidID(article) else { throw .invalidID(kind: .article, id: article) }
        try ContentLimits.check(note, "note", limit: limits.note)
        try ContentLimits.check(target.exact, "target.exact", limit: limits.quote)
        try ContentLimits.check(target.prefix, "target.prefix", limit: limits.field)
        try ContentLimits.check(target.suffix, "target.suffix", limit: limits.field)
        try ContentLimits.check(author, "author", limit: limits.field)
        try ContentLimits.check(created, "created", limit: limits.field)
        guard tags.count <= limits.tags else { throw .tooManyTags(limit: limits.tags) }
        if let note {
            guard UnicodeNormalization.isNFC(note) else { throw .notNFC(field: "note") }
        }
        guard UnicodeNormalization.isNFC(target.exact) else { throw .notNFC(field: "target.exact") }
        for tag in tags where !Syntax.isValidName(tag) { throw .invalidTag(tag) }
        if let label, !Syntax.isValidName(label) { throw .invalidLabel(label) }
        if let color, !Syntax.isValidColor(color) { throw .invalidColor(color) }
    }
}
