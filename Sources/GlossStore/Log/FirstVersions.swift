import GlossCore
import GRDB

/// The first versions of entities a replica has never seen: most of a first sync.
///
/// Such a change needs no merge: its entity's frontier is the change alone and its view
/// is its content (``PreparedChange`` has read and checked it, and made sure the merge
/// would show it as it is: a first version can carry `_conflicts`, say). So a batch of
/// them is written table by table (the log, then entities, frontier, rows, search)
/// rather than change by change: each statement runs a thousand times in a row against
/// one B-tree whose pages stay in the cache, where interleaving six tables per change
/// evicted and re-read them (measured: 14.8 s instead of 20.9 s for the raw statements
/// of 101,000 changes in 1,000-change transactions).
enum FirstVersions {
    /// Identifies an entity across kinds.
    struct Key: Hashable {
        let kind: EntityKind
        let entity: String
    }

    /// The entities of `changes` that this replica already has (in `entities`, which holds
    /// every entity whose change is in the log): one query per kind, not one per change.
    static func known(among changes: [PreparedChange], _ db: Database) throws -> Set<Key> {
        var known: Set<Key> = []
        for kind in [EntityKind.article, .annotation] {
            let ids = Set(changes.lazy.filter { $0.change.kind == kind }.map(\.change.entity))
            guard !ids.isEmpty else { continue }
            let list = CanonicalJSON.string(.array(ids.map { .string($0) }))
            let found = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM entities WHERE kind = ? AND id IN (SELECT value FROM json_each(?))"),
                arguments: [kind.rawValue, list])
            for id in found { known.insert(Key(kind: kind, entity: id)) }
        }
        return known
    }

    /// Splits `changes` into the first versions of new entities (puts of entities not in
    /// `known` that show exactly their content, the first change of each entity in the
    /// batch) and the rest, each in batch order.
    static func split(_ changes: [PreparedChange], known: Set<Key>) -> (first: [PreparedChange], rest: [PreparedChange]) {
        var first: [PreparedChange] = []
        var rest: [PreparedChange] = []
        var seen: Set<Key> = []
        for prepared in changes {
            let key = Key(kind: prepared.change.kind, entity: prepared.change.entity)
            let isFirstInBatch = seen.insert(key).inserted
            if isFirstInBatch, prepared.showsItsContent, !known.contains(key) {
                first.append(prepared)
            } else {
                rest.append(prepared)
            }
        }
        return (first, rest)
    }

    /// Writes first versions of new entities, table by table.
    /// - Returns: the changes whose dot the log already held under another entity: nothing
    ///   of them was written; ``Materializer/apply(_:_:frontier:)`` tells what they are.
    static func insert(_ changes: [PreparedChange], _ db: Database) throws -> [PreparedChange] {
        var logged: [PreparedChange] = []
        var positions: [Int64] = []
        var alreadyHeld: [PreparedChange] = []
        logged.reserveCapacity(changes.count)
        for prepared in changes {
            if try ChangeLog.append(prepared, db) {
                logged.append(prepared)
                positions.append(db.lastInsertedRowID)
            } else {
                alreadyHeld.append(prepared)
            }
        }
        var entityRows: [Int64] = []
        entityRows.reserveCapacity(logged.count)
        let entity = try db.cachedStatement(
            sql: "INSERT INTO entities (kind, id, deleted, conflicts, created_wall, modified_wall) VALUES (?, ?, 0, NULL, ?, ?)")
        for prepared in logged {
            let change = prepared.change
            let wall = change.timestamp.wallMilliseconds
            try entity.execute(arguments: [change.kind.rawValue, change.entity, wall, wall])
            entityRows.append(db.lastInsertedRowID)
            if change.kind == .article { try AnnotationPlacement.adopt(article: change.entity, entity: db.lastInsertedRowID, db) }
        }
        let frontier = try db.cachedStatement(sql: "INSERT INTO frontier (entity, position) VALUES (?, ?)")
        for (entityRow, position) in zip(entityRows, positions) {
            try frontier.execute(arguments: [entityRow, position])
        }
        var articles: Set<String> = []
        // Each row shows its change's content, as it stands in the log: no copy.
        for (index, prepared) in logged.enumerated() {
            guard let written = prepared.written else { continue }  // `split` passes puts only
            let row = Materializer.DerivedRow(entity: entityRows[index], shown: positions[index])
            switch written.model {
            case .article(let article):
                try Materializer.insertRow(of: article, row, content: nil, search: nil, db)
            case .annotation(let annotation):
                try Materializer.insertRow(of: annotation, row, content: nil, search: nil, db)
                articles.insert(annotation.article)
            }
        }
        for (prepared, entityRow) in zip(logged, entityRows) {
            try Materializer.insertSearchRow(prepared.written?.search, rowID: entityRow, db)
        }
        // A new annotation on a deleted article can make the deletion a conflict.
        for article in try notLive(articles, db) {
            try ArticleDeletion.refreshIfDeleted(article: article, db)
        }
        return alreadyHeld
    }

    /// Those of `articles` that are deleted or conflicted here.
    private static func notLive(_ articles: Set<String>, _ db: Database) throws -> [String] {
        guard !articles.isEmpty else { return [] }
        return try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT id FROM entities
                    WHERE kind = 'article' AND id IN (SELECT value FROM json_each(?)) AND (deleted OR conflicts IS NOT NULL)
                    """),
            arguments: [CanonicalJSON.string(.array(articles.map { .string($0) }))])
    }
}
