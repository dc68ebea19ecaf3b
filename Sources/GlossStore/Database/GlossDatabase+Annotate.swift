public import GlossCore
import Foundation
import GRDB

/// How a new annotation finds its span.
public enum Anchor: Sendable, Hashable {
    /// The `occurrence`-th (1-based) place the text occurs; `nil` when it must occur once.
    case quote(String, occurrence: Int?)
    /// Scalar offsets into the NFC text, end exclusive.
    case range(start: Int, end: Int)
}

/// The fields a new annotation gets besides its span.
public struct AnnotationFields: Sendable, Hashable {
    public var note: String?
    public var tags: [String]
    public var label: String?
    public var color: String?

    public init(note: String? = nil, tags: [String] = [], label: String? = nil, color: String? = nil) {
        self.note = note
        self.tags = tags
        self.label = label
        self.color = color
    }
}

/// An edit of an annotation's fields; `nil` leaves a field as it is.
public struct AnnotationEdit: Sendable, Hashable {
    public var note: String?
    public var addTags: [String]
    public var removeTags: [String]
    public var label: String?
    public var color: String?

    public init(
        note: String? = nil, addTags: [String] = [], removeTags: [String] = [], label: String? = nil,
        color: String? = nil
    ) {
        self.note = note
        self.addTags = addTags
        self.removeTags = removeTags
        self.label = label
        self.color = color
    }

    var isEmpty: Bool { note == nil && addTags.isEmpty && removeTags.isEmpty && label == nil && color == nil }
}

/// What an edit did to a conflicted entity.
public struct EditOutcome: Sendable, Hashable {
    public var annotation: Annotation
    /// Conflicted fields this edit settled.
    public var settled: [String]
    /// Conflicted fields that keep all their sibling values.
    public var stillConflicted: [String]
}

extension GlossDatabase {
    /// Annotates a span of an article.
    /// - Parameters:
    ///   - articleID: the article's id or a unique prefix of it.
    ///   - anchor: where the span is.
    ///   - fields: note, tags, label and color.
    /// - Throws: ``StoreError`` when the article is unknown or deleted, the quote does not
    ///   occur or occurs several times without an occurrence, or a field is invalid.
    public func annotate(articleID: String, anchor: Anchor, fields: AnnotationFields) throws -> Annotation {
        let created = PlainFormat.iso8601(milliseconds: clock())
        var generator = RandomSource(source: random)
        let newID = Annotation.newID(using: &generator)
        return try writeLocal { transaction in
            let (_, id) = try Self.resolveID(articleID, kind: .article, transaction.db)
            guard let text = try String.fetchOne(
                transaction.db, sql: "SELECT json_extract(content, '$.text') FROM article_view WHERE kind = 'article' AND id = ?",
                arguments: [id])
            else { throw StoreError.articleDeleted(id) }
            let scalars = ScalarText(text)
            let selector = try Self.selector(for: anchor, in: scalars)
            let annotation = Annotation(
                id: newID, article: id, target: selector, note: fields.note.map(UnicodeNormalization.nfc),
                tags: fields.tags.map(UnicodeNormalization.nfc), label: fields.label, color: fields.color,
                author: transaction.replica.name, created: created)
            do throws(ValidationError) {
                try annotation.validate()
            } catch {
                throw StoreError.invalid(error)
            }
            try transaction.write(kind: .annotation, entity: annotation.id, content: annotation.content)
            return annotation
        }
    }

    /// Places an annotation by hand on its article's current text: a new version with a
    /// new target (typically for an orphan, whose words a correction removed). Every other
    /// field stays as it is.
    /// - Parameters:
    ///   - idPrefix: the annotation's id or a unique prefix.
    ///   - anchor: where the span is now.
    /// - Returns: the annotation as written.
    public func reattach(_ idPrefix: String, anchor: Anchor) throws -> Annotation {
        try writeLocal { transaction in
            let (_, id) = try Self.resolveID(idPrefix, kind: .annotation, transaction.db)
            guard let view = try transaction.view(kind: .annotation, entity: id), let content = view.content,
                let article = content["article"]?.stringValue
            else { throw StoreError.notFound(kind: "annotation", id: idPrefix) }
            guard let text = try transaction.texts.text(of: article, transaction.db) else { throw StoreError.articleDeleted(article) }
            let selector = try Self.selector(for: anchor, in: text)
            var annotation: Annotation
            do throws(ValidationError) {
                annotation = try Annotation(id: id, content: content)
            } catch {
                throw StoreError.logCorrupted("annotation \(id) shows invalid content: \(error)")
            }
            annotation.target = selector
            let newContent = view.editedContent(["target": annotation.content["target"]])
            try transaction.write(kind: .annotation, entity: id, content: newContent)
            return annotation
        }
    }

    static func selector(for anchor: Anchor, in text: ScalarText) throws -> TextSelector {
        switch anchor {
        case .range(let start, let end):
            do throws(ValidationError) {
                return try TextSelector(text: text, start: start, end: end)
            } catch {
                throw StoreError.invalid(error)
            }
        case .quote(let quote, let occurrence):
            let needle = UnicodeNormalization.nfc(quote)
            let offsets = text.occurrences(of: needle)
            guard !offsets.isEmpty else { throw StoreError.quoteNotFound(quote) }
            let index: Int
            if let occurrence {
                guard occurrence >= 1, occurrence <= offsets.count else {
                    throw StoreError.occurrenceOutOfRange(occurrence, count: offsets.count)
                }
                index = occurrence - 1
            } else {
                guard offsets.count == 1 else {
                    let places = offsets.enumerated().map { number, offset in
                        let position = text.lineAndColumn(of: offset)
                        return "\(number + 1): offset \(offset), line \(position.line) column \(position.column)"
                    }
                    throw StoreError.quoteAmbiguous(quote, occurrences: places)
                }
                index = 0
            }
            let start = offsets[index]
            return try! TextSelector(text: text, start: start, end: start + needle.unicodeScalars.count)
        }
    }

    /// Edits an annotation's fields. On a conflicted annotation only the fields the edit
    /// sets are settled; every other conflicted field keeps all its sibling values.
    public func editAnnotation(_ idPrefix: String, _ edit: AnnotationEdit) throws -> EditOutcome {
        guard !edit.isEmpty else { throw StoreError.nothingToEdit }
        return try writeLocal { transaction in
            let (_, id) = try Self.resolveID(idPrefix, kind: .annotation, transaction.db)
            guard let view = try transaction.view(kind: .annotation, entity: id), var content = view.content else {
                throw StoreError.notFound(kind: "annotation", id: idPrefix)
            }
            var changes: [String: JSONValue?] = [:]
            if let note = edit.note { changes["note"] = note.isEmpty ? .some(nil) : .string(UnicodeNormalization.nfc(note)) }
            if let label = edit.label { changes["label"] = label.isEmpty ? .some(nil) : .string(label) }
            if let color = edit.color { changes["color"] = color.isEmpty ? .some(nil) : .string(color) }
            if let tags = Self.editedTags(content, adding: edit.addTags, removing: edit.removeTags) { changes["tags"] = tags }
            content = view.editedContent(changes)
            let annotation: Annotation
            do throws(ValidationError) {
                annotation = try Annotation(id: id, content: content)
            } catch {
                throw StoreError.invalid(error)
            }
            try transaction.write(kind: .annotation, entity: id, content: content)
            let conflicted = view.conflicts.map(\.field)
            return EditOutcome(
                annotation: annotation,
                settled: conflicted.filter { changes[$0] != nil } + (view.hasDeleteConflict ? ["deletion"] : []),
                stillConflicted: conflicted.filter { changes[$0] == nil })
        }
    }

    /// Deletes an annotation (a tombstone in the log; its history stays).
    /// - Returns: the annotation's full id.
    @discardableResult
    public func deleteAnnotation(_ idPrefix: String) throws -> String {
        try writeLocal { transaction in
            let (_, id) = try Self.resolveID(idPrefix, kind: .annotation, transaction.db)
            guard let view = try transaction.view(kind: .annotation, entity: id), !view.isDeleted else {
                throw StoreError.notFound(kind: "annotation", id: idPrefix)
            }
            try transaction.write(kind: .annotation, entity: id, content: nil)
            return id
        }
    }

    /// Deletes an article. Its annotations are hidden, never deleted: an annotation made
    /// concurrently elsewhere survives, and the article then shows an edit-against-delete
    /// conflict.
    /// - Returns: the article's full id.
    @discardableResult
    public func deleteArticle(_ idPrefix: String) throws -> String {
        try writeLocal { transaction in
            let (_, id) = try Self.resolveID(idPrefix, kind: .article, transaction.db)
            guard let view = try transaction.view(kind: .article, entity: id), !view.isDeleted else {
                throw StoreError.notFound(kind: "article", id: idPrefix)
            }
            try transaction.write(kind: .article, entity: id, content: nil)
            return id
        }
    }

    /// The title and date a seed-format correction carries, for the fields that were still
    /// the old text's lead sentence and date line (a title edited by hand stays).
    static func headFields(following corrected: String, in content: EntityContent) -> [String: JSONValue] {
        guard let oldText = content["text"]?.stringValue,
            let old = try? SeedFormat.parse(oldText, source: nil), let new = try? SeedFormat.parse(corrected, source: nil)
        else { return [:] }
        var fields: [String: JSONValue] = [:]
        if content["title"]?.stringValue == old.title, new.title != old.title { fields["title"] = .string(new.title) }
        if content["date"]?.stringValue == old.date, new.date != old.date { fields["date"] = new.date.map { .string($0) } }
        return fields
    }

    /// The `tags` of `content` with some added and some removed (NFC, sorted), or `nil`
    /// when the edit touches no tag.
    static func editedTags(_ content: EntityContent, adding: [String], removing: [String]) -> JSONValue? {
        guard !adding.isEmpty || !removing.isEmpty else { return nil }
        var tags = Set(content["tags"]?.stringArrayValue ?? [])
        tags.formUnion(adding.map(UnicodeNormalization.nfc))
        tags.subtract(removing.map(UnicodeNormalization.nfc))
        return .array(tags.sorted().map { .string($0) })
    }

    /// Edits an article's title, tags or text.
    ///
    /// A new `text` is a correction: a change like any other, merged three-way with
    /// concurrent corrections elsewhere. Every annotation on the article is then placed
    /// again on the new text (derived, never a change): it follows its words, or becomes an
    /// orphan when they are gone. When the text is in the seed format and the title (or
    /// date) was its lead sentence (or date line), they follow the correction too, unless
    /// `title` is given.
    /// - Parameters:
    ///   - idPrefix: the article's id or a unique prefix.
    ///   - title: a new title.
    ///   - addTags: tags to add.
    ///   - removeTags: tags to remove.
    ///   - text: the corrected text (NFC-normalized here, like an import).
    public func editArticle(
        _ idPrefix: String, title: String?, addTags: [String], removeTags: [String], text: String? = nil
    ) throws -> Article {
        guard title != nil || !addTags.isEmpty || !removeTags.isEmpty || text != nil else { throw StoreError.nothingToEdit }
        return try writeLocal { transaction in
            let (_, id) = try Self.resolveID(idPrefix, kind: .article, transaction.db)
            guard let view = try transaction.view(kind: .article, entity: id), let content = view.content else {
                throw StoreError.notFound(kind: "article", id: idPrefix)
            }
            var changes: [String: JSONValue?] = [:]
            if let text {
                let corrected = UnicodeNormalization.nfc(text)
                changes["text"] = .string(corrected)
                for (field, value) in Self.headFields(following: corrected, in: content) { changes[field] = value }
            }
            if let title { changes["title"] = .string(UnicodeNormalization.nfc(title)) }
            if let tags = Self.editedTags(content, adding: addTags, removing: removeTags) { changes["tags"] = tags }
            let newContent = view.editedContent(changes)
            let article: Article
            do throws(ValidationError) {
                article = try Article(id: id, content: newContent)
            } catch {
                throw StoreError.invalid(error)
            }
            try transaction.write(kind: .article, entity: id, content: newContent)
            return article
        }
    }
}
