import Foundation
import GRDB
import GlossCore
import GlossFileModes
import Testing
@testable import GlossStore

/// Migrations that reshape tables must carry every row of an existing replica across.
///
/// An old replica is made by migrating an empty file up to the old schema and writing its
/// rows as Gloss wrote them then (``OldRows``), from a replica made with today's code.
struct MigrationTests {
    /// Migration 4 turns `articles` and `annotations` into rowid tables, migration 5 places
    /// every annotation and migration 6 makes the derived state lean: a replica made at
    /// schema 3 ends up with what a rebuild from the log gives.
    @Test func aSchema3ReplicaKeepsEveryArticleAndAnnotation() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let oldPath = folder.appendingPathComponent("old.gloss").path

        let (source, article) = try Fixtures.storeWithSeed()
        var annotations: [String] = []
        for (index, quote) in ["Irak", "Musul", "DEAŞ"].enumerated() {
            let made = try source.annotate(
                articleID: article, anchor: .quote(quote, occurrence: 1), fields: .init(note: "not \(index)", tags: ["t\(index)"]))
            annotations.append(made.id)
        }
        _ = try source.editAnnotation(annotations[0], AnnotationEdit(note: "edited"))
        try source.deleteAnnotation(annotations[2])

        try OldRows.write(from: source, to: oldPath, schema: "0003_epoch")
        let migrated = try GlossDatabase.open(at: oldPath)
        try Self.expectSameState(migrated, source)
        #expect(try migrated.annotations().map(\.annotation.id).sorted() == annotations.prefix(2).sorted())
        let report = try migrated.doctor()
        // Made 0644, as Gloss made stores before it kept them private: opening it made it
        // 0600, which doctor reports; the data itself has no problem.
        #expect(report.loosePermissions.map(\.path) == [oldPath])
        #expect(report.problems.count == report.loosePermissions.count, "\(report.problems)")
        #expect(try GlossDatabase.open(at: oldPath).doctor().isHealthy)
    }

    /// Migration 6 on a schema-5 replica with conflicts, deletions (a contested one too),
    /// orphans and notes: everything it shows stays the same, byte for byte in exports,
    /// and its rows point at the log except where they show a merge.
    @Test func aSchema5ReplicaShowsTheSameAfterTheLeanLayout() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let oldPath = folder.appendingPathComponent("old.gloss").path
        let source = try Self.eventfulReplica()

        try OldRows.write(from: source, to: oldPath, schema: "0005_placement")
        let migrated = try GlossDatabase.open(at: oldPath)
        try Self.expectSameState(migrated, source)
        let report = try migrated.doctor()
        #expect(report.problems.count == report.loosePermissions.count, "\(report.problems)")
        let copies = try migrated.reader.read { db in
            try Int.fetchOne(
                db, sql: "SELECT (SELECT COUNT(*) FROM articles WHERE content IS NOT NULL) + (SELECT COUNT(*) FROM annotations WHERE content IS NOT NULL)")
        }
        let merged = try migrated.reader.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM (SELECT entity FROM frontier GROUP BY entity HAVING COUNT(*) > 1))
                        + (SELECT COUNT(*) FROM articles a JOIN frontier f ON f.entity = a.rowid
                           JOIN changes c ON c.position = f.position WHERE c.op = 'delete')
                    """)
        }
        #expect(copies == merged, "only merged views (and a contested deletion's last live state) keep a copy")
        // Writing on after the migration keeps the derived state as a rebuild makes it.
        let hits = try migrated.search("irak")
        #expect(!hits.isEmpty)
        _ = try migrated.editAnnotation(try migrated.annotations().first!.annotation.id, AnnotationEdit(note: "after"))
        #expect(try GlossDatabase.open(at: oldPath).doctor().isHealthy)
    }

    /// Articles, annotations (with a field conflict, an orphan, a deletion), an article
    /// deleted with annotations on it, and one whose deletion raced a new annotation.
    static func eventfulReplica() throws -> GlossDatabase {
        let clock = TestClock()
        let (a, article) = try Fixtures.storeWithSeed(name: "a", clock: clock)
        let b = try GlossDatabase.inMemory(name: "b", clock: clock.read)
        let text = try Fixtures.seedText
        var others: [String] = []
        for suffix in [" İkinci metin.", " Üçüncü metin."] {
            let other = try SeedFormat.parse(text + suffix, source: "other\(others.count).txt")
            _ = try a.importItems([.article(other, authoritative: false)])
            others.append(other.id)
        }
        let conflicted = try a.annotate(articleID: article, anchor: .quote("Irak", occurrence: 1), fields: .init(note: "irak notu"))
        _ = try a.annotate(articleID: article, anchor: .quote("Musul", occurrence: 1), fields: .init(note: "Musul", tags: ["m"], label: "yer"))
        let gone = try a.annotate(articleID: article, anchor: .quote("DEAŞ", occurrence: 1), fields: .init(note: "silinecek"))
        _ = try a.annotate(articleID: article, anchor: .quote("Kudüs semtinden", occurrence: nil), fields: .init(note: "yetim"))
        _ = try a.annotate(articleID: others[0], anchor: .quote("Irak", occurrence: 1), fields: .init(note: "silinen makalede"))
        _ = try a.annotate(articleID: others[1], anchor: .quote("Musul", occurrence: 1), fields: .init(note: "çekişmeli"))
        try Exchange.sync(a, b)
        _ = try a.editAnnotation(conflicted.id, AnnotationEdit(note: "A"))
        _ = try b.editAnnotation(conflicted.id, AnnotationEdit(note: "B"))
        try a.deleteAnnotation(gone.id)
        try a.deleteArticle(others[0])
        try a.deleteArticle(others[1])
        _ = try b.annotate(articleID: others[1], anchor: .quote("Irak", occurrence: 1), fields: .init(note: "eşzamanlı"))
        _ = try a.editArticle(
            article, title: "Yeni başlık", addTags: ["haber"], removeTags: [],
            text: text.replacingOccurrences(of: "Kudüs semtinden paylaşılan", with: "Paylaşılan"))
        try Exchange.sync(a, b)
        #expect(try a.conflicts().count >= 2)
        #expect(try a.annotations(orphansOnly: true).count == 1)
        return a
    }

    /// What the two replicas show: exports, lists, search, conflicts, the derived tables.
    static func expectSameState(_ migrated: GlossDatabase, _ source: GlossDatabase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for format in ExportFormat.allCases where !format.isFolder {
            guard case .document(let expected) = try source.export(format), case .document(let found) = try migrated.export(format)
            else { continue }
            #expect(found == expected, "\(format)", sourceLocation: sourceLocation)
        }
        #expect(try migrated.articles() == source.articles(), sourceLocation: sourceLocation)
        #expect(try migrated.annotations() == source.annotations(), sourceLocation: sourceLocation)
        #expect(try migrated.annotations(orphansOnly: true) == source.annotations(orphansOnly: true), sourceLocation: sourceLocation)
        #expect(try migrated.conflicts() == source.conflicts(), sourceLocation: sourceLocation)
        for query in ["irak", "musul", "notu", "çekişmeli", "başlık"] {
            #expect(try migrated.search(query) == source.search(query), "\(query)", sourceLocation: sourceLocation)
        }
        for table in GlossDatabase.derivedTables {
            let expected = try source.reader.read { db in try Row.fetchAll(db, sql: table.query) }
            let found = try migrated.reader.read { db in try Row.fetchAll(db, sql: table.query) }
            #expect(found == expected, "\(table.name)", sourceLocation: sourceLocation)
        }
    }
}

/// Writes a replica's log and derived rows into a file at an older schema, as Gloss
/// wrote them at that schema (schema 3 to 5: every row with a copy of its content and
/// its fields in columns, the folded text in the search index's own table).
enum OldRows {
    static func write(from source: GlossDatabase, to path: String, schema: String) throws {
        let isPlaced = schema >= "0005"
        let old = try DatabaseQueue(path: path)
        try GlossDatabase.migrator.migrate(old, upTo: schema)
        let read = try source.reader.read { db in
            (
                replica: try Row.fetchAll(db, sql: "SELECT * FROM replica"),
                changes: try Row.fetchAll(db, sql: "SELECT * FROM changes ORDER BY position"),
                frontier: try Row.fetchAll(
                    db,
                    sql: """
                        SELECT e.kind, e.id AS entity, c.replica, c.seq FROM frontier f
                        JOIN entities e ON e.rowid = f.entity JOIN changes c ON c.position = f.position
                        """),
                entities: try Row.fetchAll(db, sql: "SELECT rowid, kind, id, deleted, conflicts, created_wall, modified_wall FROM entities"),
                articles: try Row.fetchAll(db, sql: "SELECT entity, id, content FROM article_view"),
                annotations: try Row.fetchAll(db, sql: "SELECT entity, \(AnnotationPlacement.Reader.columns) FROM annotation_view").map { row in
                    var reader = AnnotationPlacement.Reader()
                    return (row: row, placed: try reader.placed(from: row, db))
                }
            )
        }
        try old.write { db in
            for (table, rows) in [("replica", read.replica), ("changes", read.changes), ("frontier", read.frontier), ("entities", read.entities)] {
                for row in rows {
                    let columns = row.columnNames.map { $0 == "rowid" ? "rowid" : "\"\($0)\"" }.joined(separator: ", ")
                    let marks = Array(repeating: "?", count: row.count).joined(separator: ", ")
                    try db.execute(
                        sql: "INSERT INTO \(table) (\(columns)) VALUES (\(marks))", arguments: StatementArguments(Array(row.databaseValues)))
                }
            }
            func tags(_ tags: [String]) -> String { CanonicalJSON.string(.array(tags.map { .string($0) })) }
            for row in read.articles {
                let article = try GlossDatabase.articleRecord(content: row)
                try db.execute(
                    sql: "INSERT INTO articles (id, title, date, text, source, language, tags, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        article.id, article.title, article.date, article.text, article.source, article.language, tags(article.tags),
                        row["content"],
                    ])
                let search = Materializer.SearchText(.article(article))!
                try db.execute(
                    sql: "INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)", arguments: [row["entity"], search.title, search.body])
            }
            for (row, placed) in read.annotations {
                let id: String = row["id"]
                let annotation = try GlossDatabase.decode(row["content"]) { content throws(ValidationError) in
                    try Annotation(id: id, content: content)
                }
                // Before schema 5 a row held the annotation's own selector; 5 places it.
                let target = isPlaced ? placed.target : annotation.target
                var columns = #"id, article, start, "end", exact, note, tags, label, color, author, created, content"#
                var arguments: [(any DatabaseValueConvertible)?] = [
                    id, annotation.article, target.start, target.end, target.exact, annotation.note, tags(annotation.tags),
                    annotation.label, annotation.color, annotation.author, annotation.created, row["content"],
                ]
                if isPlaced {
                    columns += ", prefix, suffix, orphaned"
                    arguments += [target.prefix, target.suffix, placed.orphaned] as [(any DatabaseValueConvertible)?]
                }
                let marks = Array(repeating: "?", count: arguments.count).joined(separator: ", ")
                try db.execute(sql: "INSERT INTO annotations (\(columns)) VALUES (\(marks))", arguments: StatementArguments(arguments))
                if let search = Materializer.SearchText(.annotation(annotation)) {
                    try db.execute(
                        sql: "INSERT INTO search (rowid, title, body) VALUES (?, ?, ?)", arguments: [row["entity"], search.title, search.body])
                }
            }
        }
        try old.close()
    }
}
