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
        var sql = """
            SELECT a.id, a.content, e.created_wall, e.modified_wall, e.conflicts,
                   (SELECT COUNT(*) FROM annotations n WHERE n.article = a.id) AS annotation_count
            FROM articles a JOIN entities e ON e.kind = 'article' AND e.id = a.id
            """
        var arguments: StatementArguments = []
        if let tag {
            sql += " WHERE EXISTS (SELECT 1 FROM json_each(a.tags) WHERE json_each.value = ?)"
            arguments += [tag]
        }
        sql += " ORDER BY a.date, a.title, a.id"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.articleRecord)
    }

    /// One live article by id or unique prefix.
    public func article(_ idPrefix: String) throws -> ArticleRecord {
        try read { db in
            let (_, id) = try Self.resolveID(idPrefix, kind: .article, db)
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT a.id, a.content, e.created_wall, e.modified_wall, e.conflicts,
                           (SELECT COUNT(*) FROM annotations n WHERE n.article = a.id) AS annotation_count
                    FROM articles a JOIN entities e ON e.kind = 'article' AND e.id = a.id WHERE a.id = ?
                    """, arguments: [id])
            else { throw StoreError.articleDeleted(id) }
            return try Self.articleRecord(row)
        }
    }

    static func articleRecord(_ row: Row) throws -> ArticleRecord {
        let id: String = row["id"]
        return ArticleRecord(
            article: try decode(row["content"]) { content throws(ValidationError) in try Article(id: id, content: content) },
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
            conditions.append("n.article = ?")
            arguments += [id]
        }
        if let tag {
            conditions.append("EXISTS (SELECT 1 FROM json_each(n.tags) WHERE json_each.value = ?)")
            arguments += [tag]
        }
        if let label {
            conditions.append("n.label = ?")
            arguments += [label]
        }
        if orphansOnly { conditions.append("n.orphaned") }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(Self.annotationColumns)
                FROM annotations n
                JOIN articles a ON a.id = n.article
                JOIN entities e ON e.kind = 'annotation' AND e.id = n.id
                \(whereClause)
                ORDER BY a.date, a.title, n.article, n.start, n."end", n.id
                """, arguments: arguments)
        return try rows.map(Self.annotationRecord)
    }

    /// One live annotation by id or unique prefix.
    public func annotation(_ idPrefix: String) throws -> AnnotationRecord {
        try read { db in
            let (_, id) = try Self.resolveID(idPrefix, kind: .annotation, db)
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.annotationColumns) FROM annotations n
                    JOIN entities e ON e.kind = 'annotation' AND e.id = n.id WHERE n.id = ?
                    """, arguments: [id])
            else { throw StoreError.notFound(kind: "annotation", id: idPrefix) }
            return try Self.annotationRecord(row)
        }
    }

    /// The columns ``annotationRecord(_:)`` reads, of `annotations n` joined with `entities e`.
    static let annotationColumns = """
        n.id, n.content, n.start, n."end", n.exact, n.prefix, n.suffix, n.orphaned, e.modified_wall, e.conflicts
        """

    static func annotationRecord(_ row: Row) throws -> AnnotationRecord {
        let id: String = row["id"]
        var annotation = try decode(row["content"]) { content throws(ValidationError) in try Annotation(id: id, content: content) }
        let placed = AnnotationPlacement.placed(from: row)
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
