import GlossCore
import GRDB

/// Where annotations sit on their article's current text.
///
/// Placement is derived state: a pure function of an annotation's own selector (as its
/// change wrote it, in the content it shows) and the article's current text, computed by
/// ``Anchoring``. It is recomputed whenever either changes and never written as a change,
/// so every replica places an annotation the same way whatever order the changes arrived
/// in, and replicas never conflict over it.
///
/// A row keeps the placed span's `start`, `end` and `orphaned`; the quote and its context
/// are slices of the article's text there, recomputed on read (``Placed/read``). Only an
/// annotation whose article has no row (not arrived, or deleted) keeps them in `exact`,
/// `prefix` and `suffix`. An orphan shows its own selector, as its content holds it.
enum AnnotationPlacement {
    /// Where an annotation sits, as its row stands for it.
    struct Placed: Equatable {
        var target: TextSelector
        var orphaned: Bool
    }

    /// Where a row being written goes: its placement, its article's entity row (`nil` while
    /// the article is unknown here) and whether that article has a row (a text to be on).
    struct Placement {
        var placed: Placed
        var article: Int64?
        var isOnText: Bool

        /// The quote and context the row must keep itself: none when the text has them.
        var kept: TextSelector? { isOnText || placed.orphaned ? nil : placed.target }
    }

    /// An article's text as its row shows it, by the article's entity row.
    static let textQuery = "SELECT json_extract(content, '$.text') FROM article_view WHERE entity = ?"

    /// Places one annotation whose row is being written. The common case, a span that
    /// still holds its quote, is settled by one SQL query that reads only the span and its
    /// context; only an annotation made on another text reads the whole text and runs the
    /// full anchoring.
    /// - Returns: its placement; its own selector when its article has no row here (not
    ///   arrived yet, or deleted): it is placed when the article's row is written.
    static func place(_ target: TextSelector, article: String, _ db: Database) throws -> Placement {
        // One `substr` over the span and its context: SQLite counts characters from the start
        // of the text, so each call costs about the offset; one window instead of three
        // pieces is a third of that (measured: pulls of 100,000 annotations spent 1.6 s here).
        let from = max(target.start - TextSelector.contextLength, 0)
        guard let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT e.rowid, substr(json_extract(COALESCE(a.content, c.content), '$.text'), ? + 1, ?) AS window
                    FROM entities e LEFT JOIN articles a ON a.rowid = e.rowid LEFT JOIN changes c ON c.position = a.shown
                    WHERE e.kind = 'article' AND e.id = ?
                    """),
            arguments: [from, target.end + TextSelector.contextLength - from, article])
        else { return Placement(placed: Placed(target: target, orphaned: false), article: nil, isOnText: false) }
        let entity: Int64 = row[0]
        guard let windowText: String = row[1] else {
            return Placement(placed: Placed(target: target, orphaned: false), article: entity, isOnText: false)
        }
        let window = Array(windowText.unicodeScalars)
        let (startInWindow, endInWindow) = (target.start - from, target.end - from)
        if window.count >= endInWindow, window[startInWindow..<endInWindow].elementsEqual(target.exact.unicodeScalars) {
            var placed = target
            placed.prefix = String(String.UnicodeScalarView(window[..<startInWindow]))
            placed.suffix = String(String.UnicodeScalarView(window[endInWindow...]))
            return Placement(placed: Placed(target: placed, orphaned: false), article: entity, isOnText: true)
        }
        let text = try String.fetchOne(db.cachedStatement(sql: textQuery), arguments: [entity]) ?? ""
        return Placement(placed: placement(of: target, with: Anchoring(text: ScalarText(text))), article: entity, isOnText: true)
    }

    /// Places every annotation of the article `entity` again on `text`, after its text
    /// changed or its row came back; rewrites only the rows whose placement moved (or that
    /// kept a quote of their own, which the text now holds).
    static func replaceAll(article entity: Int64, text: String, _ db: Database) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT n.rowid AS entity, e.id, COALESCE(n.content, c.content) AS content, n.start, n."end", n.orphaned,
                        n.exact IS NOT NULL AS kept
                    FROM annotations n CROSS JOIN entities e ON e.rowid = n.rowid LEFT JOIN changes c ON c.position = n.shown
                    WHERE n.article = ?
                    """),
            arguments: [entity])
        guard !rows.isEmpty else { return }
        let anchoring = Anchoring(text: ScalarText(text))
        let update = try db.cachedStatement(
            sql: """
                UPDATE annotations SET start = ?, "end" = ?, orphaned = ?, exact = NULL, prefix = NULL, suffix = NULL
                WHERE rowid = ?
                """)
        for row in rows {
            let placed = placement(of: try ownTarget(row), with: anchoring)
            let unmoved = !(row["kept"] as Bool) && placed.target.start == row["start"] && placed.target.end == row["end"]
                && placed.orphaned == row["orphaned"]
            guard !unmoved else { continue }
            try update.execute(arguments: [placed.target.start, placed.target.end, placed.orphaned, row["entity"]])
        }
    }

    /// Before the row of the article `entity` goes (it was deleted), its placed
    /// annotations keep the quote and context they have on its last `text`, which can no
    /// longer be read back.
    static func keepQuotes(article entity: Int64, text: String, _ db: Database) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: #"SELECT rowid, start, "end" FROM annotations WHERE article = ? AND NOT orphaned"#),
            arguments: [entity])
        guard !rows.isEmpty else { return }
        let scalars = ScalarText(text)
        let update = try db.cachedStatement(sql: "UPDATE annotations SET exact = ?, prefix = ?, suffix = ? WHERE rowid = ?")
        for row in rows {
            let selector = slices(of: scalars, start: row["start"], end: row["end"])
            try update.execute(arguments: [selector.exact, selector.prefix, selector.suffix, row["rowid"]])
        }
    }

    /// Gives annotations that arrived before their article its entity row, once it has one.
    static func adopt(article id: String, entity: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE annotations SET article = ? WHERE article IS NULL
                    AND json_extract(COALESCE(content, (SELECT content FROM changes WHERE position = shown)), '$.article') = ?
                """
        ).execute(arguments: [entity, id])
    }

    /// Where the annotation `id` sits now, as its row stands for it; `nil` without a row.
    static func stored(_ id: String, _ db: Database) throws -> Placed? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(Reader.columns) FROM annotation_view WHERE kind = 'annotation' AND id = ?"), arguments: [id])
        else { return nil }
        var reader = Reader()
        return try reader.placed(from: row, db)
    }

    /// Reads placements back from rows, reading each article's text once.
    struct Reader {
        /// The columns of `annotation_view` that ``placed(from:_:)`` reads.
        static let columns = #"id, content, start, "end", orphaned, exact, prefix, suffix, article_entity"#
        private var texts: [Int64: ScalarText?] = [:]

        /// The placement a row of `annotation_view` stands for.
        mutating func placed(from row: Row, _ db: Database) throws -> Placed {
            if row["orphaned"] { return Placed(target: try ownTarget(row), orphaned: true) }
            let (start, end): (Int, Int) = (row["start"], row["end"])
            if let exact: String = row["exact"] {
                let kept = TextSelector(exact: exact, prefix: row["prefix"], suffix: row["suffix"], start: start, end: end)
                return Placed(target: kept, orphaned: false)
            }
            guard let article: Int64 = row["article_entity"], let text = try text(of: article, db) else {
                return Placed(target: try ownTarget(row), orphaned: false)
            }
            return Placed(target: slices(of: text, start: start, end: end), orphaned: false)
        }

        private mutating func text(of article: Int64, _ db: Database) throws -> ScalarText? {
            if let known = texts[article] { return known }
            let text = try String.fetchOne(db.cachedStatement(sql: textQuery), arguments: [article]).map(ScalarText.init)
            texts[article] = text
            return text
        }
    }

    /// The selector of the span `start..<end` of `text`, as placing writes it.
    static func slices(of text: ScalarText, start: Int, end: Int) -> TextSelector {
        TextSelector(
            exact: text.slice(start, end), prefix: text.slice(start - TextSelector.contextLength, start),
            suffix: text.slice(end, end + TextSelector.contextLength), start: start, end: end)
    }

    /// The annotation's selector as its shown content holds it (row columns `id`, `content`).
    private static func ownTarget(_ row: Row) throws -> TextSelector {
        let id: String = row["id"]
        return try GlossDatabase.decode(row["content"]) { content throws(ValidationError) in
            try Annotation(id: id, content: content)
        }.target
    }

    private static func placement(of target: TextSelector, with anchoring: Anchoring) -> Placed {
        switch anchoring.place(target) {
        case .placed(let selector, _): return Placed(target: selector, orphaned: false)
        case .orphaned: return Placed(target: target, orphaned: true)
        }
    }
}
