import GlossCore
import GRDB

/// Deleting an article hides its annotations but never deletes them, and an annotation
/// made concurrently elsewhere makes the deletion an edit-against-delete conflict.
///
/// The mechanism: every new article version's clock includes the annotation versions on
/// it that its replica had seen. An annotation version that a deletion's clock does not
/// include, and whose own clock does not include the deletion, was made concurrently;
/// while one exists the article stays visible with the deletion shown as a conflict.
/// Resolving writes a new article version whose clock includes those annotations.
enum ArticleDeletion {
    /// The join of the clocks of the frontier versions of every annotation on `article`.
    static func annotationClock(article: String, _ db: Database) throws -> VectorClock {
        let clocks = try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT c.clock FROM entities a
                    JOIN annotations n ON n.article = a.rowid
                    JOIN frontier f ON f.entity = n.rowid
                    JOIN changes c ON c.position = f.position
                    WHERE a.kind = 'article' AND a.id = ?
                    """),
            arguments: [article])
        // Annotations that arrived before any version of the article: not linked to it yet.
        let waiting = try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT c.clock FROM annotations n
                    CROSS JOIN frontier f ON f.entity = n.rowid
                    CROSS JOIN changes c ON c.position = f.position
                    WHERE n.article IS NULL
                        AND json_extract(COALESCE(n.content, (SELECT content FROM changes WHERE position = n.shown)), '$.article') = ?
                    """),
            arguments: [article])
        return try (clocks + waiting).reduce(VectorClock()) { joined, text in
            guard let json = try? JSONParser.parse(text), let clock = VectorClock(json: json) else {
                throw StoreError.logCorrupted("an annotation's clock in the log is unreadable")
            }
            return joined.joined(with: clock)
        }
    }

    /// The article an annotation change belongs to: from its content, or for a deletion
    /// from the annotation's stored row.
    static func article(of annotation: String, version: Version, _ db: Database) throws -> String? {
        if let article = version.content?["article"]?.stringValue { return article }
        return try String.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT COALESCE(article, json_extract(content, '$.article')) FROM annotation_view
                    WHERE kind = 'annotation' AND id = ?
                    """),
            arguments: [annotation])
    }

    /// Re-derives a deleted (or contested) article after one of its annotations changed.
    static func refreshIfDeleted(article: String, _ db: Database) throws {
        let isLive = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT deleted = 0 AND conflicts IS NULL FROM entities WHERE kind = 'article' AND id = ?"),
            arguments: [article]) ?? true
        guard !isLive else { return }
        let frontier = try ChangeLog.frontier(kind: .article, entity: article, db)
        guard !frontier.versions.isEmpty else { return }
        try Materializer.materialize(kind: .article, entity: article, frontier: frontier, db)
    }

    /// For an article every frontier version of which deletes it: when some annotation on
    /// it was made concurrently with a deletion, the view that keeps the article visible
    /// (its last live state) with the deletions as a conflict; otherwise `nil`.
    static func contestedView(article: String, deleted: EntityView, _ db: Database) throws -> EntityView? {
        let frontier = try ChangeLog.frontier(kind: .article, entity: article, db)
        let deletions = frontier.versions
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT c.replica, c.seq, c.clock FROM entities a
                    JOIN annotations n ON n.article = a.rowid
                    JOIN frontier f ON f.entity = n.rowid
                    JOIN changes c ON c.position = f.position
                    WHERE a.kind = 'article' AND a.id = ?
                    """),
            arguments: [article])
        let contested = try rows.contains { row in
            guard let replica = ReplicaID(row["replica"] as String), let json = try? JSONParser.parse(row["clock"] as String),
                let clock = VectorClock(json: json)
            else { throw StoreError.logCorrupted("an annotation's frontier row is unreadable") }
            let dot = Dot(replica: replica, seq: UInt64(row["seq"] as Int64))
            return deletions.contains { deletion in !deletion.clock.contains(dot) && !clock.contains(deletion.dot) }
        }
        guard contested else { return nil }
        let history = try ChangeLog.history(kind: .article, entity: article, db)
        let lastLive = Frontier(history.filter { !$0.isDeletion })
        guard !lastLive.versions.isEmpty else { return nil }
        var view = Merge.view(of: lastLive, history: history)
        view.deletions = deleted.deletions
        view.frontier = deleted.frontier
        return view
    }
}
