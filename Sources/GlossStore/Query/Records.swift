public import GlossCore
import Foundation
import GRDB

/// An article as a replica shows it, with what is derived from its history.
public struct ArticleRecord: Sendable, Hashable {
    public var article: Article
    /// Live annotations on it.
    public var annotationCount: Int
    /// First and latest version times (hybrid timestamp wall clock, ms since 1970).
    public var created: Int64
    public var modified: Int64
    /// Open conflicts, if any.
    public var conflicts: EntityConflicts?

    /// The article's fields as JSON, for `--json` and exports; `text` only when asked.
    public func json(includeText: Bool) -> JSONValue {
        var object = article.content
        if !includeText { object["text"] = nil }
        object["type"] = "article"
        object["id"] = .string(article.id)
        object["annotations"] = .int(Int64(annotationCount))
        object["created"] = .string(Timestamps.iso(created))
        object["modified"] = .string(Timestamps.iso(modified))
        if let conflicts { object["conflicts"] = conflicts.json }
        return .object(object)
    }
}

/// An annotation as a replica shows it.
public struct AnnotationRecord: Sendable, Hashable {
    /// The annotation, with its `target` where it sits on its article's current text
    /// (recomputed after every correction of the text); an orphan keeps its last selector.
    public var annotation: Annotation
    /// Whether its words are gone from the article's current text: it is kept, with its
    /// last selector, until someone places it again (`reattach`).
    public var isOrphaned: Bool
    public var modified: Int64
    public var conflicts: EntityConflicts?

    public init(annotation: Annotation, isOrphaned: Bool = false, modified: Int64, conflicts: EntityConflicts? = nil) {
        self.annotation = annotation
        self.isOrphaned = isOrphaned
        self.modified = modified
        self.conflicts = conflicts
    }

    /// The annotation's fields as JSON (its current `target`), with `orphaned: true` for an orphan.
    public var json: JSONValue {
        var object = annotation.content
        object["type"] = "annotation"
        object["id"] = .string(annotation.id)
        object["modified"] = .string(Timestamps.iso(modified))
        if isOrphaned { object["orphaned"] = true }
        if let conflicts { object["conflicts"] = conflicts.json }
        return .object(object)
    }
}

/// An entity's open conflicts: fields with several values, and deletions that raced edits.
public struct EntityConflicts: Sendable, Hashable {
    public var fields: [FieldConflict]
    public var deletedBy: [Dot]

    public init(fields: [FieldConflict], deletedBy: [Dot]) {
        self.fields = fields
        self.deletedBy = deletedBy
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        object["fields"] = .array(
            fields.map { conflict in
                .object([
                    "field": .string(conflict.field),
                    "candidates": .array(
                        conflict.candidates.map { candidate in
                            var entry: [String: JSONValue] = [
                                "version": .string(candidate.origin.description),
                                "replica": .string(candidate.origin.replica.description),
                                "time": .string(Timestamps.iso(candidate.timestamp.wallMilliseconds)),
                            ]
                            if let value = candidate.value { entry["value"] = value }
                            return .object(entry)
                        }),
                ])
            })
        object["deletedBy"] = .array(deletedBy.map { .string($0.description) })
        return .object(object)
    }

    /// Reads the stored form written by the materializer: `nil` (no conflicts) for a
    /// missing one; a damaged one is reported, never read as fewer conflicts.
    static func read(stored: String?) throws(StoreError) -> EntityConflicts? {
        guard let stored else { return nil }
        let damaged = StoreError.logCorrupted("an entity's stored conflicts are unreadable; rebuild them with doctor --repair")
        guard let json = try? JSONParser.parse(stored), let deletedTexts = (json["deletedBy"] ?? .array([])).stringArrayValue,
            let entries = (json["fields"] ?? .array([])).arrayValue
        else { throw damaged }
        var deletedBy: [Dot] = []
        for text in deletedTexts {
            guard let dot = Dot(text) else { throw damaged }
            deletedBy.append(dot)
        }
        var fields: [FieldConflict] = []
        for entry in entries {
            guard let field = entry["field"]?.stringValue, let candidates = entry["candidates"]?.arrayValue else { throw damaged }
            var read: [Candidate] = []
            for candidate in candidates {
                guard let from = candidate["from"]?.stringValue, let dot = Dot(from),
                    let at = candidate["at"]?.stringValue, let time = HybridTimestamp(at)
                else { throw damaged }
                read.append(Candidate(value: candidate["value"], origin: dot, timestamp: time))
            }
            fields.append(FieldConflict(field: field, candidates: read))
        }
        return EntityConflicts(fields: fields, deletedBy: deletedBy)
    }
}

/// Time formatting shared by every output.
public enum Timestamps {
    /// ISO 8601 in UTC with milliseconds, e.g. `2016-12-29T10:15:00.000Z`.
    public static func iso(_ milliseconds: Int64) -> String {
        PlainFormat.iso8601(milliseconds: milliseconds, fractionalSeconds: true)
    }
}

extension GlossDatabase {
    /// Live articles, by date then title; with `tag`, only those carrying it.
    public func articles(tag: String? = nil) throws -> [ArticleRecord] {
        try read { db in try Self.fetchArticles(db, tag: tag) }
    }

    static func fetchArticles(_ db: Database, tag: String?) throws -> [ArticleRecord] {
        var sql = "SELECT \(articleColumns) FROM article_view a JOIN entities e ON e.rowid = a.entity"
        var arguments: StatementArguments = []
        if let tag {
            sql += " WHERE EXISTS (SELECT 1 FROM json_each(a.content, '$.tags') WHERE json_each.value = ?)"
            arguments += [tag]
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.articleRecord).sorted(by: Self.listsBefore)
    }

    /// One live article by id or unique prefix.
    public func article(_ idPrefix: String) throws -> ArticleRecord {
        try read { db in
            let (_, id) = try Self.resolveID(idPrefix, kind: .article, db)
            guard let row = try Row.fetchOne(
                db,
                sql: "SELECT \(Self.articleColumns) FROM article_view a JOIN entities e ON e.rowid = a.entity WHERE a.kind = 'article' AND a.id = ?",
                arguments: [id])
            else { throw StoreError.articleDeleted(id) }
            return try Self.articleRecord(row)
        }
    }

    /// The columns ``articleRecord(_:)`` reads, of `article_view a` joined with `entities e`.
    static let articleColumns = """
        a.id, a.content, e.created_wall, e.modified_wall, e.conflicts,
        (SELECT COUNT(*) FROM annotations n WHERE n.article = a.entity) AS annotation_count
        """

    /// Articles are listed by date (none first), then title, then id.
    static func listsBefore(_ first: ArticleRecord, _ second: ArticleRecord) -> Bool {
        order(first.article) < order(second.article)
    }

    /// An article's place in lists, as SQLite orders the values (a missing date first).
    static func order(_ article: Article) -> ListOrder {
        ListOrder(hasDate: article.date != nil, date: Array((article.date ?? "").utf8), title: Array(article.title.utf8), id: article.id)
    }

    /// Date, title and id compared as SQLite compares text: byte by byte.
    struct ListOrder: Comparable {
        var hasDate: Bool
        var date: [UInt8]
        var title: [UInt8]
        var id: String

        static func < (lhs: ListOrder, rhs: ListOrder) -> Bool {
            if lhs.hasDate != rhs.hasDate { return !lhs.hasDate }
            if lhs.date != rhs.date { return lhs.date.lexicographicallyPrecedes(rhs.date) }
            if lhs.title != rhs.title { return lhs.title.lexicographicallyPrecedes(rhs.title) }
            return Array(lhs.id.utf8).lexicographicallyPrecedes(Array(rhs.id.utf8))
        }
    }

    /// The article a row of `article_view` (`id`, `content`) shows.
    static func articleRecord(content row: Row) throws -> Article {
        let id: String = row["id"]
        return try decode(row["content"]) { content throws(ValidationError) in try Article(id: id, content: content) }
    }

    static func articleRecord(_ row: Row) throws -> ArticleRecord {
        ArticleRecord(
            article: try articleRecord(content: row),
            annotationCount: row["annotation_count"], created: row["created_wall"], modified: row["modified_wall"],
            conflicts: try EntityConflicts.read(stored: row["conflicts"]))
    }

    /// Live annotations of live articles, in article then text order.
    /// - Parameters:
    ///   - articleID: only this article's (id or unique prefix).
    ///   - tag: only those carrying this tag.
    ///   - label: only those with this label.
    ///   - orphansOnly: only orphans, whose words are gone from their article's current text.
    public func annotations(
        articleID: String? = nil, tag: String? = nil, label: String? = nil, orphansOnly: Bool = false
    ) throws -> [AnnotationRecord] {
        try read { db in try Self.fetchAnnotations(db, articleID: articleID, tag: tag, label: label, orphansOnly: orphansOnly) }
    }

    static func fetchAnnotations(
        _ db: Database, articleID: String?, tag: String?, label: String?, orphansOnly: Bool
    ) throws -> [AnnotationRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let articleID {
            let (_, id) = try Self.resolveID(articleID, kind: .article, db)
            conditions.append("n.article_entity = (SELECT rowid FROM entities WHERE kind = 'article' AND id = ?)")
            arguments += [id]
        }
        if let tag {
            conditions.append("EXISTS (SELECT 1 FROM json_each(n.content, '$.tags') WHERE json_each.value = ?)")
            arguments += [tag]
        }
        if let label {
            conditions.append("json_extract(n.content, '$.label') = ?")
            arguments += [label]
        }
        if orphansOnly { conditions.append("n.orphaned") }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(Self.annotationColumns)
                FROM annotation_view n
                JOIN articles a ON a.rowid = n.article_entity
                JOIN entities e ON e.rowid = n.entity
                \(whereClause)
                """, arguments: arguments)
        // In article order (as articles are listed), then text order.
        let articleEntities = Set(rows.map { $0["article_entity"] as Int64 })
        var orders: [Int64: ListOrder] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT entity, id, content FROM article_view WHERE entity IN (SELECT value FROM json_each(?))",
            arguments: [CanonicalJSON.string(.array(articleEntities.map { .int($0) }))])
        {
            orders[row["entity"]] = order(try articleRecord(content: row))
        }
        var reader = AnnotationPlacement.Reader()
        let records = try rows.map { row in
            (order: orders[row["article_entity"] as Int64]!, record: try Self.annotationRecord(row, reader: &reader, db))
        }
        return records.sorted { first, second in
            if first.order != second.order { return first.order < second.order }
            let (a, b) = (first.record.annotation, second.record.annotation)
            if a.target.start != b.target.start { return a.target.start < b.target.start }
            if a.target.end != b.target.end { return a.target.end < b.target.end }
            return Array(a.id.utf8).lexicographicallyPrecedes(Array(b.id.utf8))
        }.map(\.record)
    }

    /// One live annotation by id or unique prefix.
    public func annotation(_ idPrefix: String) throws -> AnnotationRecord {
        try read { db in
            let (_, id) = try Self.resolveID(idPrefix, kind: .annotation, db)
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.annotationColumns) FROM annotation_view n
                    JOIN entities e ON e.rowid = n.entity WHERE n.kind = 'annotation' AND n.id = ?
                    """, arguments: [id])
            else { throw StoreError.notFound(kind: "annotation", id: idPrefix) }
            var reader = AnnotationPlacement.Reader()
            return try Self.annotationRecord(row, reader: &reader, db)
        }
    }

    /// The columns ``annotationRecord(_:reader:_:)`` reads, of `annotation_view n` joined with `entities e`.
    static let annotationColumns = """
        n.id, n.content, n.start, n."end", n.orphaned, n.exact, n.prefix, n.suffix, n.article_entity,
        e.modified_wall, e.conflicts
        """

    static func annotationRecord(_ row: Row, reader: inout AnnotationPlacement.Reader, _ db: Database) throws -> AnnotationRecord {
        let id: String = row["id"]
        var annotation = try decode(row["content"]) { content throws(ValidationError) in try Annotation(id: id, content: content) }
        let placed = try reader.placed(from: row, db)
        annotation.target = placed.target
        return AnnotationRecord(
            annotation: annotation, isOrphaned: placed.orphaned, modified: row["modified_wall"],
            conflicts: try EntityConflicts.read(stored: row["conflicts"]))
    }

    static func decode<T>(_ stored: String, _ make: (EntityContent) throws(ValidationError) -> T) throws -> T {
        guard let content = (try? JSONParser.parse(stored))?.objectValue else {
            throw StoreError.logCorrupted("a materialized row holds unreadable content")
        }
        do {
            return try make(content)
        } catch {
            throw StoreError.logCorrupted("a materialized row is invalid: \(error)")
        }
    }
}
