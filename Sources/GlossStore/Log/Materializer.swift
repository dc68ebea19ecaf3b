import GlossCore
import GRDB

/// Applies changes to the log and keeps every derived table in step, inside the
/// caller's transaction. The only code that writes derived state, so the live tables
/// and `gloss doctor`'s rebuild cannot drift apart.
enum Materializer {
    /// What applying one change did.
    enum Outcome: Equatable {
        /// Its dot was already in the log.
        case duplicate
        /// Stored, but a known version already dominates it.
        case dominated
        /// It changed the entity; `newConflict` when the entity became conflicted.
        case applied(newConflict: Bool)
    }

    /// A change's content as read and checked by ``validate``, kept so that materializing
    /// an entity whose view is exactly that content reads and encodes nothing again.
    struct Written: Sendable {
        enum Model: Sendable {
            case article(Article)
            case annotation(Annotation)
        }

        let content: EntityContent
        /// The change's canonical content text (what `CanonicalJSON.string` of `content` gives).
        let text: String
        let model: Model
        /// An annotation's search row, folded when the change is prepared: notes are short
        /// and many. An article's text runs to kilobytes, so its folded copy is made only
        /// when written, rather than held for a whole page of articles in flight.
        private let annotationSearch: SearchText?

        init(content: EntityContent, text: String, model: Model) {
            self.content = content
            self.text = text
            self.model = model
            if case .annotation = model { annotationSearch = SearchText(model) } else { annotationSearch = nil }
        }

        /// The entity's row in the search index, folded.
        var search: SearchText? {
            if case .article = model { return SearchText(model) }
            return annotationSearch
        }
    }

    /// An entity's row in the full-text index: its text folded (case, diacritics, the
    /// Turkish i) so that queries folded the same way find it.
    struct SearchText: Sendable {
        let title: String
        let body: String

        /// `nil` for an annotation without a note: it has no search row.
        init?(_ model: Written.Model) {
            switch model {
            case .article(let article):
                (title, body) = (TextFolding.fold(article.title), TextFolding.fold(article.text))
            case .annotation(let annotation):
                guard let note = annotation.note, !note.isEmpty else { return nil }
                (title, body) = ("", TextFolding.fold(note))
            }
        }
    }

    /// Checks a change and the content it carries, without reading the database: the
    /// change's shape, and that its content is a valid article or annotation.
    /// - Returns: the content and the model read from it; `nil` for a deletion.
    static func validate(_ change: Change, version: Version) throws -> Written? {
        try checkShape(change)
        guard let content = version.content, let text = change.content else { return nil }
        do throws(ValidationError) {
            switch change.kind {
            case .article:
                return Written(content: content, text: text, model: .article(try Article(id: change.entity, content: content)))
            case .annotation:
                return Written(content: content, text: text, model: .annotation(try Annotation(id: change.entity, content: content)))
            }
        } catch {
            throw StoreError.invalidChange(.invalidContent(dot: change.dot, error))
        }
    }

    private static func checkShape(_ change: Change) throws {
        do {
            try change.validateShape()
        } catch {
            throw StoreError.invalidChange(error)
        }
    }

    /// Checks a change as ``validate(_:version:)`` does and, when `texts` is given, an
    /// annotation's quote against its article's text. Local writes check quotes; changes
    /// from elsewhere are checked for shape only, so one replica's stale offsets (its
    /// article text was corrected, say) can never stop everyone else's sync.
    static func validate(_ change: Change, version: Version, texts: ArticleTexts?, _ db: Database) throws -> Written? {
        var articleText: ScalarText? = nil
        if change.kind == .annotation, let texts, let article = version.content?["article"]?.stringValue {
            try checkShape(change)  // before reading the article its content names
            articleText = try texts.text(of: article, db)
        }
        let written = try validate(change, version: version)
        if let articleText, case .annotation(let annotation)? = written?.model {
            do {
                try annotation.target.validate(against: articleText)
            } catch {
                throw StoreError.invalidChange(.invalidContent(dot: change.dot, error))
            }
        }
        return written
    }

    /// Appends `change` to the log and updates the frontier and the derived tables.
    /// - Parameters:
    ///   - frontier: the entity's frontier when the caller has just loaded it.
    ///   - texts: for local writes, article texts already read in this transaction, to check
    ///     quotes against; `nil` for changes from elsewhere (see ``validate``).
    static func apply(_ change: Change, _ db: Database, frontier: Frontier? = nil, texts: ArticleTexts? = nil) throws -> Outcome {
        let version = try ChangeLog.version(of: change)
        let written = try validate(change, version: version, texts: texts, db)
        let outcome = try apply(PreparedChange(change, version: version, written: written), db, frontier: frontier)
        if change.kind == .article, outcome != .duplicate { texts?.forget(change.entity) }
        return outcome
    }

    /// Appends a change checked beforehand (see ``PreparedChange``) to the log and updates
    /// the frontier and the derived tables.
    static func apply(_ prepared: PreparedChange, _ db: Database, frontier: Frontier? = nil) throws -> Outcome {
        let change = prepared.change
        guard try ChangeLog.append(prepared, db) else {
            // A dot names one change forever: the same dot with other contents is a lying
            // or corrupt source. (`author` is the server's record, added on the way back.)
            if let stored = try ChangeLog.stored(change.dot, db), !stored.isSameChange(as: change) {
                throw StoreError.invalidChange(
                    .malformed(dot: change.dot, reason: "it differs from the change this replica already holds under that dot"))
            }
            return .duplicate
        }
        return try integrate(change, version: prepared.version, db, frontier: frontier, written: prepared.written)
    }

    /// Updates the frontier and derived tables for a change already in the log.
    /// - Parameter written: the change's content as ``validate`` read it, if at hand.
    static func integrate(
        _ change: Change, version: Version, _ db: Database, frontier known: Frontier? = nil, written: Written? = nil
    ) throws -> Outcome {
        // An entity's derived row and its frontier are written together, so one lookup
        // says whether the entity is new here; a new one (most changes of a first sync or
        // an import) needs no frontier read and nothing of it deleted.
        let conflicted = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT conflicts IS NOT NULL FROM entities WHERE kind = ? AND id = ?"),
            arguments: [change.kind.rawValue, change.entity])
        let isNew = conflicted == nil
        var frontier = try known ?? (isNew ? Frontier() : ChangeLog.frontier(kind: change.kind, entity: change.entity, db))
        if case .dominated = frontier.insert(version) {
            // A late ancestor can still change which common ancestor a conflicted merge
            // uses, or give a deleted article the live state a contested deletion shows;
            // re-deriving keeps the view independent of arrival order.
            let deletedArticle = change.kind == .article && frontier.versions.allSatisfy(\.isDeletion)
            if frontier.versions.count > 1 || deletedArticle {
                try materialize(kind: change.kind, entity: change.entity, frontier: frontier, db)
            }
            // The entity was created no later than any of its versions, whenever they arrive.
            try db.cachedStatement(sql: "UPDATE entities SET created_wall = MIN(created_wall, ?) WHERE kind = ? AND id = ?")
                .execute(arguments: [version.timestamp.wallMilliseconds, change.kind.rawValue, change.entity])
            return .dominated
        }
        let article = change.kind == .annotation ? try ArticleDeletion.article(of: change.entity, version: version, db) : nil
        try saveFrontier(frontier, kind: change.kind, entity: change.entity, isNew: isNew, db)
        let view = try materialize(kind: change.kind, entity: change.entity, frontier: frontier, isNew: isNew, written: written, db)
        if let article { try ArticleDeletion.refreshIfDeleted(article: article, db) }
        return .applied(newConflict: conflicted != true && view.isConflicted)
    }

    /// Replaces the entity's frontier rows (`isNew`: it has none yet, nor an `entities`
    /// row, which is made here so that the frontier rows have a key; ``materialize`` fills
    /// it in).
    static func saveFrontier(_ frontier: Frontier, kind: EntityKind, entity: String, isNew: Bool = false, _ db: Database) throws {
        let rowID: Int64
        if isNew {
            let times = frontier.versions.map(\.timestamp.wallMilliseconds)
            try db.cachedStatement(
                sql: "INSERT INTO entities (kind, id, deleted, conflicts, created_wall, modified_wall) VALUES (?, ?, 0, NULL, ?, ?)"
            ).execute(arguments: [kind.rawValue, entity, times.min() ?? 0, times.max() ?? 0])
            rowID = db.lastInsertedRowID
            if kind == .article { try AnnotationPlacement.adopt(article: entity, entity: rowID, db) }
        } else {
            rowID = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT rowid FROM entities WHERE kind = ? AND id = ?"), arguments: [kind.rawValue, entity])!
            try db.cachedStatement(sql: "DELETE FROM frontier WHERE entity = ?").execute(arguments: [rowID])
        }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO frontier (entity, position) SELECT ?, position FROM changes WHERE replica = ? AND seq = ?")
        for dot in frontier.dots {
            try insert.execute(arguments: [rowID, dot.replica.description, Int64(dot.seq)])
        }
    }

    /// What an entity shows, from its frontier (and history when it has several versions).
    static func view(kind: EntityKind, entity: String, frontier: Frontier, _ db: Database) throws -> EntityView {
        let view = frontier.versions.count > 1
            ? Merge.view(of: frontier, history: try ChangeLog.history(kind: kind, entity: entity, db))
            : Merge.view(of: frontier, history: [])
        if kind == .article, view.isDeleted, let contested = try ArticleDeletion.contestedView(article: entity, deleted: view, db) {
            return contested
        }
        return view
    }

    /// Rewrites the derived rows of one entity from its frontier (`isNew`: the entity has
    /// no derived rows yet, so there is no search row to remove; `written`: the content of
    /// the change just applied, reused when the view shows exactly it).
    @discardableResult
    static func materialize(
        kind: EntityKind, entity: String, frontier: Frontier, isNew: Bool = false, written: Written? = nil, _ db: Database
    ) throws -> EntityView {
        let view = try self.view(kind: kind, entity: entity, frontier: frontier, db)
        let times = frontier.versions.map(\.timestamp.wallMilliseconds)
        let rowID = try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    INSERT INTO entities (kind, id, deleted, conflicts, created_wall, modified_wall)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        deleted = excluded.deleted, conflicts = excluded.conflicts,
                        created_wall = MIN(created_wall, excluded.created_wall),
                        modified_wall = excluded.modified_wall
                    RETURNING rowid
                    """),
            arguments: [
                kind.rawValue, entity, view.isDeleted, ConflictRecord.json(for: view),
                times.min() ?? 0, times.max() ?? 0,
            ])!
        if !isNew { try deleteSearchRow(kind: kind, entity: rowID, db) }
        // Most views are one version's content unchanged (every first version is): the row
        // then points at that change in the log instead of holding a copy.
        let shown = written.flatMap { written in view.content == written.content ? written : nil }
        var position: Int64? = nil
        if frontier.versions.count == 1, let version = frontier.versions.first, let content = version.content, view.content == content {
            position = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT position FROM changes WHERE replica = ? AND seq = ?"),
                arguments: [version.dot.replica.description, Int64(version.dot.seq)])
        }
        let row = DerivedRow(entity: rowID, shown: position)
        switch kind {
        case .article: try materializeArticle(entity, row, view: view, shown: shown, db)
        case .annotation: try materializeAnnotation(entity, row, view: view, shown: shown, db)
        }
        return view
    }

    /// Where a derived row is and what it shows: the change at `shown` in the log, or
    /// (when `nil`) the copy of its content the row holds.
    struct DerivedRow {
        var entity: Int64
        var shown: Int64?

        /// The copy of the content a row holds: none when it shows a change of the log.
        func copy(_ text: @autoclosure () -> String) -> String? { shown == nil ? text() : nil }
    }

    private static func materializeArticle(_ id: String, _ row: DerivedRow, view: EntityView, shown: Written?, _ db: Database) throws {
        guard let content = view.content else {
            if let text = try String.fetchOne(db.cachedStatement(sql: AnnotationPlacement.textQuery), arguments: [row.entity]) {
                try AnnotationPlacement.keepQuotes(article: row.entity, text: text, db)
                try db.cachedStatement(sql: "DELETE FROM articles WHERE rowid = ?").execute(arguments: [row.entity])
            }
            return
        }
        if let shown, case .article(let article) = shown.model {
            return try insertRow(of: article, row, content: row.copy(shown.text), search: shown.search, db)
        }
        let article: Article
        do {
            article = try Article(id: id, content: content)
        } catch {
            throw StoreError.logCorrupted("article \(id) merges to invalid content: \(error)")
        }
        try insertRow(
            of: article, row, content: row.copy(CanonicalJSON.string(.object(content))), search: SearchText(.article(article)), db)
    }

    private static func materializeAnnotation(_ id: String, _ row: DerivedRow, view: EntityView, shown: Written?, _ db: Database) throws {
        guard let content = view.content else {
            try db.cachedStatement(sql: "DELETE FROM annotations WHERE rowid = ?").execute(arguments: [row.entity])
            return
        }
        if let shown, case .annotation(let annotation) = shown.model {
            return try insertRow(of: annotation, row, content: row.copy(shown.text), search: shown.search, db)
        }
        let annotation: Annotation
        do {
            annotation = try Annotation(id: id, content: content)
        } catch {
            throw StoreError.logCorrupted("annotation \(id) merges to invalid content: \(error)")
        }
        try insertRow(
            of: annotation, row, content: row.copy(CanonicalJSON.string(.object(content))),
            search: SearchText(.annotation(annotation)), db)
    }

    /// Writes an article's row and its search row (`content`: the copy of the content it
    /// shows, `nil` when `row.shown` points at it; `search`: `nil` to leave the search row
    /// to the caller).
    static func insertRow(of article: Article, _ row: DerivedRow, content: String?, search: SearchText?, _ db: Database) throws {
        let previousText = try String.fetchOne(db.cachedStatement(sql: AnnotationPlacement.textQuery), arguments: [row.entity])
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO articles (rowid, shown, content) VALUES (?, ?, ?)")
            .execute(arguments: [row.entity, row.shown, content])
        try insertSearchRow(search, rowID: row.entity, db)
        // A corrected text (or an article back from deletion) places its annotations again.
        if previousText != article.text { try AnnotationPlacement.replaceAll(article: row.entity, text: article.text, db) }
    }

    /// Writes an annotation's row and, when `search` is given (it has a note), its search row.
    /// Its span is where it sits on the article's current text (``AnnotationPlacement``).
    static func insertRow(of annotation: Annotation, _ row: DerivedRow, content: String?, search: SearchText?, _ db: Database) throws {
        let placement = try AnnotationPlacement.place(annotation.target, article: annotation.article, db)
        let kept = placement.kept
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO annotations (rowid, article, start, "end", orphaned, shown, content, exact, prefix, suffix)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            row.entity, placement.article, placement.placed.target.start, placement.placed.target.end,
            placement.placed.orphaned, row.shown, content, kept?.exact, kept?.prefix, kept?.suffix,
        ])
        try insertSearchRow(search, rowID: row.entity, db)
    }

    /// Writes an entity's row in the full-text index (none when `search` is `nil`).
    static func insertSearchRow(_ search: SearchText?, rowID: Int64, _ db: Database) throws {
        guard let search else { return }
        try db.cachedStatement(sql: "INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)")
            .execute(arguments: [rowID, search.title, search.body])
    }

    /// Removes an entity's row from the full-text index, before its derived row changes.
    /// The index is contentless: FTS5 removes a row given exactly the values it indexed,
    /// which are folded again from the content the derived row still shows.
    static func deleteSearchRow(kind: EntityKind, entity rowID: Int64, _ db: Database) throws {
        let view = kind == .article ? "article_view" : "annotation_view"
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, content FROM \(view) WHERE entity = ?"), arguments: [rowID])
        else { return }
        let id: String = row["id"]
        let model: Written.Model = try GlossDatabase.decode(row["content"]) { content throws(ValidationError) in
            kind == .article ? .article(try Article(id: id, content: content)) : .annotation(try Annotation(id: id, content: content))
        }
        guard let search = SearchText(model) else { return }
        try db.cachedStatement(sql: "INSERT INTO search (search, rowid, title, body) VALUES ('delete', ?, ?, ?)")
            .execute(arguments: [rowID, search.title, search.body])
    }
}

/// The stored form of an entity's conflicts:
/// `{"deletedBy": [dot…], "fields": [{"field", "candidates": [{"from", "at", "value"}]}]}`.
enum ConflictRecord {
    static func json(for view: EntityView) -> String? {
        guard view.isConflicted else { return nil }
        var object: [String: JSONValue] = [:]
        if view.hasDeleteConflict { object["deletedBy"] = .array(view.deletions.map { .string($0.description) }) }
        object["fields"] = .array(
            view.conflicts.map { conflict in
                .object([
                    "field": .string(conflict.field),
                    "candidates": .array(
                        conflict.candidates.map { candidate in
                            var entry: [String: JSONValue] = [
                                "from": .string(candidate.origin.description), "at": .string(candidate.timestamp.description),
                            ]
                            if let value = candidate.value { entry["value"] = value }
                            return .object(entry)
                        }),
                ])
            })
        return CanonicalJSON.string(.object(object))
    }
}

extension Change {
    /// Whether two changes under one dot say the same thing, whoever is named as author.
    func isSameChange(as other: Change) -> Bool {
        dot == other.dot && kind == other.kind && entity == other.entity && operation == other.operation && clock == other.clock
            && timestamp == other.timestamp && replaces == other.replaces && content == other.content
    }
}
