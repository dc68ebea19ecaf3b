import GlossCore
import GRDB

/// Where annotations sit on their article's current text.
///
/// Placement is derived state: a pure function of an annotation's own selector (as its
/// change wrote it, in `annotations.content`) and the article's current text, computed by
/// ``Anchoring``. It is recomputed whenever either changes and never written as a change,
/// so every replica places an annotation the same way whatever order the changes arrived
/// in, and replicas never conflict over it. The placed span is kept in the row's `start`,
/// `end`, `exact`, `prefix` and `suffix`; an orphan keeps its last selector there, with
/// `orphaned = 1`.
enum AnnotationPlacement {
    /// Where an annotation sits, as its row stores it.
    struct Placed: Equatable {
        var target: TextSelector
        var orphaned: Bool
    }

    /// Places one annotation whose row is being written. The common case, a span that
    /// still holds its quote, is settled by one SQL query that reads only the span and its
    /// context; only an annotation made on another text reads the whole text and runs the
    /// full anchoring.
    /// - Returns: its placement; its own selector when its article has no row here (not
    ///   arrived yet, or deleted): it is placed when the article's row is written.
    static func place(_ target: TextSelector, article: String, _ db: Database) throws -> Placed {
        // One `substr` over the span and its context: SQLite counts characters from the start
        // of the text, so each call costs about the offset; one window instead of three
        // pieces is a third of that (measured: pulls of 100,000 annotations spent 1.6 s here).
        let from = max(target.start - TextSelector.contextLength, 0)
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT substr(text, ? + 1, ?) FROM articles WHERE id = ?"),
            arguments: [from, target.end + TextSelector.contextLength - from, article])
        else { return Placed(target: target, orphaned: false) }
        let window = Array((row[0] as String).unicodeScalars)
        let (startInWindow, endInWindow) = (target.start - from, target.end - from)
        if window.count >= endInWindow, window[startInWindow..<endInWindow].elementsEqual(target.exact.unicodeScalars) {
            var placed = target
            placed.prefix = String(String.UnicodeScalarView(window[..<startInWindow]))
            placed.suffix = String(String.UnicodeScalarView(window[endInWindow...]))
            return Placed(target: placed, orphaned: false)
        }
        guard let text = try String.fetchOne(
            db.cachedStatement(sql: "SELECT text FROM articles WHERE id = ?"), arguments: [article])
        else { return Placed(target: target, orphaned: false) }
        return placement(of: target, with: Anchoring(text: ScalarText(text)))
    }

    /// Places every annotation of `article` again on `text`, after its text changed or
    /// its row came back; rewrites only the rows whose placement moved.
    static func replaceAll(article: String, text: String, _ db: Database) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT id, content, start, "end", exact, prefix, suffix, orphaned
                    FROM annotations WHERE article = ?
                    """),
            arguments: [article])
        guard !rows.isEmpty else { return }
        let anchoring = Anchoring(text: ScalarText(text))
        let update = try db.cachedStatement(
            sql: """
                UPDATE annotations SET start = ?, "end" = ?, exact = ?, prefix = ?, suffix = ?, orphaned = ?
                WHERE id = ?
                """)
        for row in rows {
            let id: String = row["id"]
            let annotation = try GlossDatabase.decode(row["content"]) { content throws(ValidationError) in
                try Annotation(id: id, content: content)
            }
            let placed = placement(of: annotation.target, with: anchoring)
            guard placed != Self.placed(from: row) else { continue }
            try update.execute(arguments: [
                placed.target.start, placed.target.end, placed.target.exact, placed.target.prefix, placed.target.suffix,
                placed.orphaned, id,
            ])
        }
    }

    /// Where the annotation `id` sits now, as its row stores it; `nil` without a row.
    static func stored(_ id: String, _ db: Database) throws -> Placed? {
        try Row.fetchOne(
            db.cachedStatement(sql: #"SELECT start, "end", exact, prefix, suffix, orphaned FROM annotations WHERE id = ?"#),
            arguments: [id]
        ).map(placed(from:))
    }

    /// The placement a row of `annotations` holds.
    static func placed(from row: Row) -> Placed {
        Placed(
            target: TextSelector(exact: row["exact"], prefix: row["prefix"], suffix: row["suffix"], start: row["start"], end: row["end"]),
            orphaned: row["orphaned"])
    }

    /// Places every annotation of every article: the migration to schema 5, where rows
    /// exist without placement.
    static func placeAll(_ db: Database) throws {
        let articles = try Row.fetchAll(
            db, sql: "SELECT id, text FROM articles WHERE id IN (SELECT DISTINCT article FROM annotations)")
        for row in articles {
            try replaceAll(article: row["id"], text: row["text"], db)
        }
    }

    private static func placement(of target: TextSelector, with anchoring: Anchoring) -> Placed {
        switch anchoring.place(target) {
        case .placed(let selector, _): return Placed(target: selector, orphaned: false)
        case .orphaned: return Placed(target: target, orphaned: true)
        }
    }
}
