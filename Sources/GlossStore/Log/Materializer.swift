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

    /// Replaces the entity's frontier rows (`isNew`: it has none yet).
    static func saveFrontier(_ frontier: Frontier, kind: EntityKind, entity: String, isNew: Bool = false, _ db: Database) throws {
        if !isNew {
            try db.cachedStatement(sql: "DELETE FROM frontier WHERE kind = ? AND entity = ?")
                .execute(arguments: [kind.rawValue, entity])
        }
        let insert = try db.cachedStatement(sql: "INSERT INTO frontier (kind, entity, replica, seq) VALUES (?, ?, ?, ?)")
        for dot in frontier.dots {
            try insert.execute(arguments: [kind.rawValue, entity, dot.replica.description, Int64(dot.seq)])
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
                    ON CONFLICT (kind, id) DO UPDATE SET
                        deleted = excluded.deleted, conflicts = excluded.conflicts,
                        created_wall = MIN(created_wall, excluded.created_wall),
                        modified_wall = excluded.modified_wall
                    RETURNING rowid
                    """),
            arguments: [
                kind.rawValue, entity, view.isDeleted, ConflictRecord.json(for: view),
                times.min() ?? 0, times.max() ?? 0,
            ])!
        if !isNew { try db.cachedStatement(sql: "DELETE FROM search WHERE rowid = ?").execute(arguments: [rowID]) }
        // Most views are one version's content unchanged (every first version is).
        let shown = written.flatMap { written in view.content == written.content ? written : nil }
        switch kind {
        case .article: try materializeArticle(entity, view: view, shown: shown, searchRow: rowID, db)
        case .annotation: try materializeAnnotation(entity, view: view, shown: shown, searchRow: rowID, db)
        }
        return view
    }

    private static func materializeArticle(_ id: String, view: EntityView, shown: Written?, searchRow: Int64, _ db: Database) throws {
        guard let content = view.content else {
            try db.cachedStatement(sql: "DELETE FROM articles WHERE id = ?").execute(arguments: [id])
            return
        }
        if let shown, case .article(let article) = shown.model {
            return try insertRow(of: article, content: shown.text, search: shown.search, searchRow: searchRow, db)
        }
        let article: Article
        do {
            article = try Article(id: id, content: content)
        } catch {
            throw StoreError.logCorrupted("article \(id) merges to invalid content: \(error)")
        }
        try insertRow(
            of: article, content: CanonicalJSON.string(.object(content)), search: SearchText(.article(article)),
            searchRow: searchRow, db)
    }

    private static func materializeAnnotation(_ id: String, view: EntityView, shown: Written?, searchRow: Int64, _ db: Database) throws {
        guard let content = view.content else {
            try db.cachedStatement(sql: "DELETE FROM annotations WHERE id = ?").execute(arguments: [id])
            return
        }
        if let shown, case .annotation(let annotation) = shown.model {
            return try insertRow(of: annotation, content: shown.text, search: shown.search, searchRow: searchRow, db)
        }
        let annotation: Annotation
        do {
            annotation = try Annotation(id: id, content: content)
        } catch {
            throw StoreError.logCorrupted("annotation \(id) merges to invalid content: \(error)")
        }
        try insertRow(
            of: annotation, content: CanonicalJSON.string(.object(content)), search: SearchText(.annotation(annotation)),
            searchRow: searchRow, db)
    }

    /// Writes an article's row and its search row (`content`: the canonical text of the
    /// content it shows; `search`: `nil` to leave the search row to the caller).
    static func insertRow(of article: Article, content: String, search: SearchText?, searchRow: Int64, _ db: Database) throws {
        let previousText = try String.fetchOne(
            db.cachedStatement(sql: "SELECT text FROM articles WHERE id = ?"), arguments: [article.id])
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO articles (id, title, date, text, source, language, tags, content)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            article.id, article.title, article.date, article.text, article.source, article.language,
            CanonicalJSON.string(.array(article.tags.map { .string($0) })), content,
        ])
        try insertSearchRow(search, rowID: searchRow, db)
        // A corrected text (or an article back from deletion) places its annotations again.
        if previousText != article.text { try AnnotationPlacement.replaceAll(article: article.id, text: article.text, db) }
    }

    /// Writes an annotation's row and, when `search` is given (it has a note), its search row.
    /// Its span is where it sits on the article's current text (``AnnotationPlacement``).
    static func insertRow(of annotation: Annotation, content: String, search: SearchText?, searchRow: Int64, _ db: Database) throws {
        let placed = try AnnotationPlacement.place(annotation.target, article: annotation.article, db)
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO annotations
                    (id, article, start, "end", exact, prefix, suffix, orphaned, note, tags, label, color, author, created, content)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            annotation.id, annotation.article, placed.target.start, placed.target.end, placed.target.exact,
            placed.target.prefix, placed.target.suffix, placed.orphaned, annotation.note, CanonicalJSON.string(.array(annotation.tags.map { .string($0) })), annotation.label,
            annotation.color, annotation.author, annotation.created, content,
        ])
        try insertSearchRow(search, rowID: searchRow, db)
    }

    /// Writes an entity's row in the full-text index (none when `search` is `nil`).
    static func insertSearchRow(_ search: SearchText?, rowID: Int64, _ db: Database) throws {
        guard let search else { return }
        try db.cachedStatement(sql: "INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)")
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
