import Foundation
import GRDB
import GlossCore
import GlossFileModes
import Testing
@testable import GlossStore

/// Migrations that reshape tables must carry every row of an existing replica across.
struct MigrationTests {
    /// Migration 4 turns `articles` and `annotations` into rowid tables: a replica made
    /// before it keeps every row, and its derived tables still equal a rebuild from the log
    /// (migration 5 then places every annotation, as a rebuild does).
    @Test func rowidTablesKeepEveryArticleAndAnnotationRow() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sourcePath = folder.appendingPathComponent("source.gloss").path
        let oldPath = folder.appendingPathComponent("old.gloss").path

        // A replica with articles, annotations, an edit and a deletion, in today's schema.
        let source = try GlossDatabase.create(at: sourcePath, name: "ayşe")
        let article = try SeedFormat.parse(try Fixtures.seedText, source: "musul-2016-12.txt")
        _ = try source.importItems([.article(article, authoritative: false)])
        var annotations: [String] = []
        for (index, quote) in ["Irak", "Musul", "DEAŞ"].enumerated() {
            let made = try source.annotate(
                articleID: article.id, anchor: .quote(quote, occurrence: 1), fields: .init(note: "not \(index)", tags: ["t\(index)"]))
            annotations.append(made.id)
        }
        _ = try source.editAnnotation(annotations[0], AnnotationEdit(note: "edited"))
        try source.deleteAnnotation(annotations[2])

        // The same rows in a store at schema 3, where both tables were WITHOUT ROWID.
        let old = try DatabaseQueue(path: oldPath)
        try GlossDatabase.migrator.migrate(old, upTo: "0003_epoch")
        try old.inDatabase { db in
            let before = try Self.isWithoutRowid("annotations", db)
            #expect(before)
            try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [sourcePath])
            for table in ["replica", "changes", "frontier", "entities", "articles"] {
                try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM source.\(table)")
            }
            // Schema 3's columns (schema 5 adds the placement's prefix, suffix and orphaned).
            let columns = #"id, article, start, "end", exact, note, tags, label, color, author, created, content"#
            try db.execute(sql: "INSERT INTO main.annotations (\(columns)) SELECT \(columns) FROM source.annotations")
            try db.execute(sql: "INSERT INTO main.search (rowid, title, body) SELECT rowid, title, body FROM source.search")
            try db.execute(sql: "DETACH DATABASE source")
        }
        try old.close()

        let migrated = try GlossDatabase.open(at: oldPath)
        let after = try migrated.reader.read { db in
            try [Self.isWithoutRowid("articles", db), Self.isWithoutRowid("annotations", db)]
        }
        #expect(after == [false, false])
        for table in ["articles", "annotations"] {
            let expected = try source.reader.read { db in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id") }
            let found = try migrated.reader.read { db in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id") }
            #expect(found == expected, "\(table)")
            #expect(!found.isEmpty)
        }
        #expect(try migrated.annotations().map(\.annotation.id).sorted() == annotations.prefix(2).sorted())
        let report = try migrated.doctor()
        // Made 0644, as Gloss made stores before it kept them private: opening it made it
        // 0600, which doctor reports; the data itself has no problem.
        #expect(report.loosePermissions.map(\.path) == [oldPath])
        #expect(report.problems.count == report.loosePermissions.count, "\(report.problems)")
        #expect(try GlossDatabase.open(at: oldPath).doctor().isHealthy)
    }

    static func isWithoutRowid(_ table: String, _ db: Database) throws -> Bool {
        let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = ?", arguments: [table]) ?? ""
        return sql.uppercased().contains("WITHOUT ROWID")
    }
}
