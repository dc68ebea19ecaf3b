public import GlossCore
public import GlossFileModes
import GRDB

/// What `gloss doctor` found.
public struct DoctorReport: Sendable, Hashable {
    public var changes = 0
    public var entities = 0
    /// Every file of the store that other users could read or write, then every
    /// difference between the derived tables and a rebuild from the log, and any damage
    /// to the log itself. Empty when healthy.
    public var problems: [String] = []
    /// Whether the derived tables were rebuilt in place.
    public var repaired = false
    /// The store's files that were open to other users when it was opened (each one of
    /// ``problems`` too): tightened to 0600 by then, unless another user owns them.
    public var loosePermissions: [LoosePermissions] = []

    public var isHealthy: Bool { problems.isEmpty }

    public var json: JSONValue {
        .object([
            "changes": .int(Int64(changes)), "entities": .int(Int64(entities)), "healthy": .bool(isHealthy),
            "problems": .array(problems.map { .string($0) }), "repaired": .bool(repaired),
            "loose_permissions": .array(
                loosePermissions.map { found in
                    .object([
                        "path": .string(found.path), "mode": .string(LoosePermissions.octal(found.mode)),
                        "tightened": .bool(found.isTightened),
                    ])
                }),
        ])
    }
}

extension GlossDatabase {
    /// The derived tables, each with the columns and order that make two copies comparable.
    static let derivedTables: [(name: String, query: String)] = [
        // Rows are keyed by entity rowids and change positions, which may differ between two
        // copies: each is compared by the entity's kind and id and the change's dot.
        (
            "frontier",
            """
            SELECT e.kind, e.id, c.replica, c.seq FROM frontier f
            LEFT JOIN entities e ON e.rowid = f.entity LEFT JOIN changes c ON c.position = f.position
            ORDER BY e.kind, e.id, c.replica, c.seq
            """
        ),
        ("entities", "SELECT kind, id, deleted, conflicts, created_wall, modified_wall FROM entities ORDER BY kind, id"),
        (
            "articles",
            """
            SELECT e.kind, e.id, c.replica AS shown_replica, c.seq AS shown_seq, a.content FROM articles a
            LEFT JOIN entities e ON e.rowid = a.rowid LEFT JOIN changes c ON c.position = a.shown
            ORDER BY e.id
            """
        ),
        (
            "annotations",
            """
            SELECT e.kind, e.id, ae.kind AS article_kind, ae.id AS article, n.start, n."end", n.orphaned,
                c.replica AS shown_replica, c.seq AS shown_seq, n.content, n.exact, n.prefix, n.suffix
            FROM annotations n
            LEFT JOIN entities e ON e.rowid = n.rowid LEFT JOIN entities ae ON ae.rowid = n.article
            LEFT JOIN changes c ON c.position = n.shown
            ORDER BY e.id
            """
        ),
        // The index is contentless: what it holds is its terms, by entity and column.
        (
            "search",
            """
            SELECT e.kind, e.id, t.col, t.terms FROM (
                SELECT doc, col, group_concat(term || '@' || offset, ' ') AS terms
                FROM (SELECT doc, col, term, offset FROM search_terms ORDER BY doc, col, offset, term)
                GROUP BY doc, col
            ) t LEFT JOIN entities e ON e.rowid = t.doc
            ORDER BY e.kind, e.id, t.col
            """
        ),
    ]

    /// Rebuilds every derived table from the log in memory and compares it with the
    /// stored one; checks the log's own integrity too.
    /// - Parameter repair: when problems are found in the derived tables, rebuild them in place.
    public func doctor(repair: Bool = false) throws -> DoctorReport {
        let rebuilt = try DatabaseQueue()
        try Self.migrator.migrate(rebuilt)
        var report = try read { db in
            var report = DoctorReport()
            for row in try Row.fetchAll(db, sql: "PRAGMA integrity_check") where (row[0] as String?) != "ok" {
                report.problems.append("SQLite integrity check: \(row[0] as String? ?? "?")")
            }
            let replica = try Row.fetchOne(db, sql: "SELECT * FROM replica")!
            try rebuilt.write { memory in
                try memory.execute(
                    sql: "INSERT INTO replica (singleton, id, name, created_at) VALUES (1, ?, ?, ?)",
                    arguments: [replica["id"], replica["name"], replica["created_at"]])
            }
            // Seqs of each replica must run 1, 2, 3 … without gaps. Once the server or this
            // replica compacted (superseded versions never arrived, or were dropped), only the
            // run of this replica's unacknowledged changes is held to it.
            if try Self.mayHaveGaps(db) {
                let pushed = try Self.remote(db)?.pushedSeq ?? 0
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM changes
                        WHERE replica = (SELECT id FROM replica) AND seq > ?
                        """, arguments: [Int64(pushed)])
                if let row, (row["n"] as Int64) > 0,
                    (row["first"] as Int64) != Int64(pushed) + 1 || (row["last"] as Int64) - (row["first"] as Int64) + 1 != (row["n"] as Int64)
                {
                    report.problems.append("this replica's changes not yet acknowledged by the server have gaps in their seqs")
                }
            } else {
                for row in try Row.fetchAll(
                    db, sql: "SELECT replica, COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM changes GROUP BY replica")
                where (row["n"] as Int64) != (row["last"] as Int64) || (row["first"] as Int64) != 1 {
                    report.problems.append("changes of replica \(row["replica"] as String) have gaps in their seqs")
                }
            }
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(ChangeLog.columns) FROM changes ORDER BY position")
            try rebuilt.write { memory in
                while let row = try cursor.next() {
                    let change = try ChangeLog.change(from: row)
                    do {
                        _ = try Materializer.apply(change, memory)
                    } catch {
                        report.problems.append("change \(change.dot) cannot be replayed: \(error)")
                    }
                    report.changes += 1
                }
            }
            report.entities = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entities") ?? 0
            try rebuilt.read { memory in
                for table in Self.derivedTables {
                    let stored = try Row.fetchAll(db, sql: table.query)
                    let fresh = try Row.fetchAll(memory, sql: table.query)
                    report.problems += Self.differences(table: table.name, stored: stored, rebuilt: fresh)
                }
            }
            report.problems += try Self.misplacedSpans(db)
            for trigger in ["changes_are_append_only_update", "changes_are_append_only_delete"]
            where try !db.triggerExists(trigger) {
                report.problems.append("the trigger \(trigger) that keeps the log append-only is missing")
            }
            return report
        }
        if repair, !report.isHealthy {
            try rebuildDerivedState()
            report.repaired = true
        }
        // Found (and tightened) when the store was opened; the token it holds is the reason.
        let holdsToken = try remote().map { !$0.token.isEmpty } ?? false
        report.loosePermissions = loosePermissions
        report.problems = loosePermissions.map { found in
            found.isTightened && holdsToken
                ? "\(found); whoever read it may hold the remote's token: have it revoked and set a new one"
                : found.description
        } + report.problems
        return report
    }

    /// Placed annotations whose span does not fit their article's text, or that keep a
    /// quote of their own though the text is there to slice it from (a placement is either
    /// on its words or an orphan; anything else would point readers at other words, or
    /// past the end of the text).
    static func misplacedSpans(_ db: Database) throws -> [String] {
        try Row.fetchAll(
            db,
            sql: """
                WITH a AS MATERIALIZED (SELECT entity, id, length(json_extract(content, '$.text')) AS length FROM article_view)
                SELECT n.id, a.id AS article, n.start, n."end", a.length FROM annotation_view n
                JOIN a ON a.entity = n.article_entity
                WHERE NOT n.orphaned AND (n.start < 0 OR n."end" <= n.start OR n."end" > a.length OR n.exact IS NOT NULL)
                ORDER BY n.id LIMIT 10
                """
        ).map { row in
            "annotation \(row["id"] as String): its span \(row["start"] as Int)..<\(row["end"] as Int) does not hold its quote "
                + "in article \(row["article"] as String) (text of \(row["length"] as Int) characters)"
        }
    }

    static func differences(table: String, stored: [Row], rebuilt: [Row]) -> [String] {
        var problems: [String] = []
        if stored.count != rebuilt.count {
            problems.append("\(table): \(stored.count) rows stored, \(rebuilt.count) rebuilt from the log")
        }
        for (index, pair) in zip(stored, rebuilt).enumerated() where pair.0 != pair.1 {
            problems.append("\(table): row \(index + 1) differs: stored \(pair.0.description), rebuilt \(pair.1.description)")
            if problems.count >= 10 { break }
        }
        return problems
    }

    /// Throws away every derived table and replays the log into them, in one transaction.
    public func rebuildDerivedState() throws {
        try write { db in
            for table in ["frontier", "entities", "articles", "annotations"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            // A contentless index is emptied with FTS5's own command.
            try db.execute(sql: "INSERT INTO search (search) VALUES ('delete-all')")
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(ChangeLog.columns) FROM changes ORDER BY position")
            var changes: [Change] = []
            while let row = try cursor.next() { changes.append(try ChangeLog.change(from: row)) }
            for change in changes {
                _ = try Materializer.integrate(change, version: try ChangeLog.version(of: change), db)
            }
        }
    }
}
