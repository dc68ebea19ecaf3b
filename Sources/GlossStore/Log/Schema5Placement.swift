import GlossCore
import GRDB

/// The step of the migration to schema 5 that places every existing annotation, on the
/// tables as they were at schema 5 (each row with its own `content`, its article's
/// `text` and the placement's `exact`, `prefix`, `suffix`). Later schemas place with
/// ``AnnotationPlacement``; this stays as it was so that replicas older than schema 5
/// still pass through it on their way to the current one.
enum Schema5Placement {
    static func placeAll(_ db: Database) throws {
        let articles = try Row.fetchAll(
            db, sql: "SELECT id, text FROM articles WHERE id IN (SELECT DISTINCT article FROM annotations)")
        let update = try db.cachedStatement(
            sql: """
                UPDATE annotations SET start = ?, "end" = ?, exact = ?, prefix = ?, suffix = ?, orphaned = ?
                WHERE id = ?
                """)
        for article in articles {
            let anchoring = Anchoring(text: ScalarText(article["text"] as String))
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, content FROM annotations WHERE article = ?", arguments: [article["id"] as String])
            for row in rows {
                let id: String = row["id"]
                let annotation = try GlossDatabase.decode(row["content"]) { content throws(ValidationError) in
                    try Annotation(id: id, content: content)
                }
                let (target, orphaned): (TextSelector, Bool)
                switch anchoring.place(annotation.target) {
                case .placed(let selector, _): (target, orphaned) = (selector, false)
                case .orphaned: (target, orphaned) = (annotation.target, true)
                }
                try update.execute(arguments: [target.start, target.end, target.exact, target.prefix, target.suffix, orphaned, id])
            }
        }
    }
}
