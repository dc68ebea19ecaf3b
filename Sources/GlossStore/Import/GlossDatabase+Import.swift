import GlossCore
import GRDB

/// What an import did.
public struct ImportSummary: Sendable, Hashable {
    public var articlesImported = 0
    public var annotationsImported = 0
    /// Entries that existed with other content and were updated from an export.
    public var updated = 0
    /// Entries already present with the same content.
    public var unchanged = 0
    /// Entries passed over, with the reason.
    public var skipped: [Skip] = []

    public struct Skip: Sendable, Hashable {
        public var item: String
        public var reason: String
    }

    public init() {}
}

extension GlossDatabase {
    /// How many items one import transaction holds.
    public static let importBatchSize = 1_000

    /// The items with every article before every annotation, each kind in its given order.
    static func articlesFirst(_ items: [ImportItem]) -> [ImportItem] {
        var articles: [ImportItem] = []
        var others: [ImportItem] = []
        for item in items {
            if case .article = item { articles.append(item) } else { others.append(item) }
        }
        return articles + others
    }

    /// Imports articles and annotations, one transaction per batch (never one per row).
    ///
    /// The same article imported twice, or on two replicas, is one article: its id comes
    /// from its text. Re-importing a seed text never overwrites edits made since; entries
    /// from an export replace the stored fields when they differ.
    /// - Parameters:
    ///   - items: what to import, in any order: articles are written before annotations
    ///     (each kind in the order given), so an annotation finds its article.
    ///   - progress: called after each batch with the number of items done so far.
    public func importItems(
        _ items: [ImportItem], progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> ImportSummary {
        let items = Self.articlesFirst(items)
        var summary = ImportSummary()
        var done = 0
        for batch in stride(from: 0, to: items.count, by: Self.importBatchSize) {
            let slice = Array(items[batch..<min(batch + Self.importBatchSize, items.count)])
            let batchSummary = try writeLocal { transaction in
                var summary = ImportSummary()
                for item in slice { try Self.importItem(item, into: &transaction, summary: &summary) }
                return summary
            }
            summary.articlesImported += batchSummary.articlesImported
            summary.annotationsImported += batchSummary.annotationsImported
            summary.updated += batchSummary.updated
            summary.unchanged += batchSummary.unchanged
            summary.skipped += batchSummary.skipped
            done += slice.count
            progress?(done)
        }
        return summary
    }

    private static func importItem(_ item: ImportItem, into transaction: inout LocalTransaction, summary: inout ImportSummary) throws {
        switch item {
        case .article(let article, let authoritative):
            let current = try transaction.view(kind: .article, entity: article.id)
            if let content = current?.content {
                guard authoritative, !sameContent(content, article.content) else {
                    summary.unchanged += 1
                    return
                }
                try transaction.write(kind: .article, entity: article.id, content: article.content)
                summary.updated += 1
            } else {
                try transaction.write(kind: .article, entity: article.id, content: article.content)
                summary.articlesImported += 1
            }
        case .annotation(let annotation):
            guard try transaction.texts.text(of: annotation.article, transaction.db) != nil else {
                summary.skipped.append(.init(item: "annotation \(annotation.id)", reason: "its article \(annotation.article) is not in the store"))
                return
            }
            // Its selector need not hold on the stored text (the export may predate a
            // correction, or the text may differ): it is placed like any annotation made on
            // another text — moved with its words, or kept as an orphan — never refused.
            let current = try transaction.view(kind: .annotation, entity: annotation.id)
            if let content = current?.content {
                if sameContent(content, try exported(annotation, as: content, transaction.db)) {
                    summary.unchanged += 1
                } else {
                    try transaction.write(kind: .annotation, entity: annotation.id, content: annotation.content, checksQuote: false)
                    summary.updated += 1
                }
            } else {
                try transaction.write(kind: .annotation, entity: annotation.id, content: annotation.content, checksQuote: false)
                summary.annotationsImported += 1
            }
        }
    }

    /// The content an exported annotation stands for. An export carries where the
    /// annotation sits now (its placement); when that is where it sits here, it stands for
    /// the selector this replica holds, so re-importing an export changes nothing.
    private static func exported(_ annotation: Annotation, as stored: EntityContent, _ db: Database) throws -> EntityContent {
        var incoming = annotation.content
        if let placed = try AnnotationPlacement.stored(annotation.id, db) {
            var placedAnnotation = annotation
            placedAnnotation.target = placed.target
            if incoming["target"] == placedAnnotation.content["target"] { incoming["target"] = stored["target"] }
        }
        return incoming
    }

    private static func sameContent(_ stored: EntityContent, _ incoming: EntityContent) -> Bool {
        var stored = stored
        stored[ReservedField.conflicts] = nil
        return stored == incoming
    }
}
