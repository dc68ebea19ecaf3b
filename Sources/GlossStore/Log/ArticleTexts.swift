import GlossCore
import GRDB

/// Article texts read during one transaction, indexed by scalar, so validating many
/// annotations on the same article reads and decodes its text once. Bounded (about
/// 2,048 articles of seed size, some tens of MiB) so memory follows the batch.
final class ArticleTexts {
    private var texts: [String: ScalarText] = [:]
    private static let capacity = 2_048

    /// The live article's text, or `nil` when it is not in the store (or deleted).
    func text(of article: String, _ db: Database) throws -> ScalarText? {
        if let cached = texts[article] { return cached }
        guard let text = try String.fetchOne(
            db.cachedStatement(sql: "SELECT json_extract(content, '$.text') FROM article_view WHERE kind = 'article' AND id = ?"),
            arguments: [article])
        else { return nil }
        if texts.count >= Self.capacity, let victim = texts.keys.randomElement() { texts[victim] = nil }
        let scalars = ScalarText(text)
        texts[article] = scalars
        return scalars
    }

    /// Drops an article whose text may have changed.
    func forget(_ article: String) {
        texts[article] = nil
    }
}
