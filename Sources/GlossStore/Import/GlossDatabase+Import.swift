import Foundation
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

/// How far an import has come, reported after each committed batch.
public struct ImportProgress: Sendable, Hashable {
    /// Items committed so far, and in all.
    public var items: Int
    public var totalItems: Int
    /// Bytes of the input read so far, and in all (the files are read twice: see
    /// ``ImportSource``; this counts the reading that feeds the writes).
    public var bytesRead: Int
    public var totalBytes: Int
}

extension GlossDatabase {
    /// How many items one import transaction holds at most.
    public static let importBatchSize = 1_000
    /// About how many bytes of content one import transaction holds at most, as a pulled
    /// page does (articles run to kilobytes: a thousand of them would hold tens of MiB in
    /// each of the three batches in flight).
    static let importBatchBytes = 1 << 20

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
        var report: (@Sendable (ImportProgress) -> Void)? = nil
        if let progress { report = { progress($0.items) } }
        return try importStream(total: items.count, totalBytes: 0, progress: report) { emit in
            for item in items { try emit(item, 0) }
        }
    }

    /// Imports what ``ImportSource/scan(paths:)`` checked, reading the files as a stream:
    /// memory follows the batch, never the files' size. As ``importItems(_:progress:)``
    /// otherwise (the same summary, the same changes).
    /// - Parameter progress: called after each committed batch.
    public func importItems(
        from source: ImportSource, progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) throws -> ImportSummary {
        try importStream(total: source.itemCount, totalBytes: source.byteCount, progress: progress) { emit in
            try source.forEachItem(emit)
        }
    }

    /// The import pipeline: a second thread reads items from `produce` and prepares them
    /// (canonical JSON, the models, folding for search: everything that needs no database)
    /// in batches, while this thread writes the previous batch. The writing thread bounds
    /// an import, so it is left with SQLite's work, as a pull leaves it (`PreparedChange`).
    /// At most three batches are in memory: one being written, one ready, one being prepared.
    ///
    /// Every batch but the last commits without waiting for the disk: a crash of the
    /// process keeps every committed batch, and power loss can only undo batches together
    /// (each is one transaction), which importing the same files again redoes, as it
    /// completes an import that was interrupted. The last batch commits durably, so the
    /// whole import is on disk when it reports success.
    private func importStream(
        total: Int, totalBytes: Int, progress: (@Sendable (ImportProgress) -> Void)?,
        _ produce: @escaping (_ emit: (ImportItem, _ bytesRead: Int) throws -> Void) throws -> Void
    ) throws -> ImportSummary {
        let queue = ImportQueue()
        let state = try read { db in try ReplicaState.load(db) }
        let minting = ImportMinting(replica: state.info.id, lastSeq: state.lastSeq, latest: state.latest, clock: clock)
        nonisolated(unsafe) let produce = produce
        let thread = Thread {
            var batch: [PreparedImport] = []
            var batchBytes = 0
            var bytesRead = 0
            var number = 0
            func handOver() -> Bool {
                minting.mint(&batch, batch: number)
                number += 1
                return queue.put(ImportQueue.Batch(items: batch, bytesRead: bytesRead))
            }
            let result = Result { () throws -> Void in
                try produce { item, read in
                    let prepared = try PreparedImport(item)
                    batch.append(prepared)
                    batchBytes += prepared.written.text.utf8.count
                    bytesRead = read
                    if batch.count >= Self.importBatchSize || batchBytes >= Self.importBatchBytes {
                        guard handOver() else { throw CancellationError() }
                        batch = []
                        batchBytes = 0
                    }
                }
                if !batch.isEmpty { _ = handOver() }
            }
            queue.finish(result)
        }
        thread.name = "gloss-import-prepare"
        thread.start()
        defer { queue.cancel() }

        var summary = ImportSummary()
        var done = 0
        var number = 0
        var current = try queue.take()
        while let batch = current {
            // Taking the next batch first tells whether this one is the last (see above).
            let next = try queue.take()
            let (batchSummary, lastSeq, latest) = try writeImportBatch(batch.items, durable: next == nil)
            minting.committed(batch: number, lastSeq: lastSeq, latest: latest)
            number += 1
            summary.articlesImported += batchSummary.articlesImported
            summary.annotationsImported += batchSummary.annotationsImported
            summary.updated += batchSummary.updated
            summary.unchanged += batchSummary.unchanged
            summary.skipped += batchSummary.skipped
            done += batch.items.count
            progress?(ImportProgress(items: done, totalItems: total, bytesRead: batch.bytesRead, totalBytes: totalBytes))
            current = next
        }
        return summary
    }

    /// Writes one batch in one transaction that mints local changes (as `writeLocal` does).
    /// - Returns: what it did, and this replica's last seq and latest timestamp after it.
    private func writeImportBatch(
        _ batch: [PreparedImport], durable: Bool
    ) throws -> (ImportSummary, lastSeq: UInt64, latest: HybridTimestamp) {
        let now = clock()
        return try write(durable: durable) { db in
            var transaction = LocalTransaction(db: db, state: try ReplicaState.load(db), now: now)
            let summary = try Self.importBatch(batch, into: &transaction)
            try transaction.state.save(db)
            return (summary, transaction.state.lastSeq, transaction.state.latest)
        }
    }

    /// Imports one batch: the first versions of new entities table by table, as a pull
    /// writes them (`FirstVersions`), then every other item one by one as a local edit.
    ///
    /// An item is new when this replica has never seen its entity, it is the entity's
    /// first item in the batch, and, for an annotation, its article is live here or new in
    /// this batch. Such an item gets the change a local write would make of it (the next
    /// seq, a timestamp after everything seen, a clock of its own dot and, for an article,
    /// of the annotations on it seen here), only minted here rather than one by one. The
    /// others (updates, unchanged entries, repeats, annotations of missing articles) take
    /// the path of a local write after the new ones, in their order, so they see them.
    /// What a replica shows does not depend on the order its changes were written in.
    static func importBatch(_ batch: [PreparedImport], into transaction: inout LocalTransaction) throws -> ImportSummary {
        let db = transaction.db
        var summary = ImportSummary()
        let known = try knownEntities(batch, db)
        let live = try liveArticles(batch, db)
        var seen: Set<FirstVersions.Key> = []
        var newArticles: Set<String> = []
        var minted: [PreparedChange] = []
        var others: [ImportItem] = []
        minted.reserveCapacity(batch.count)
        for item in batch {
            guard seen.insert(item.key).inserted, !known.contains(item.key) else {
                others.append(item.item)
                continue
            }
            if let article = item.article, !live.contains(article), !newArticles.contains(article) {
                others.append(item.item)
                continue
            }
            let seenClock: VectorClock
            if item.key.kind == .article {
                seenClock = try ArticleDeletion.annotationClock(article: item.key.entity, db)
                newArticles.insert(item.key.entity)
                summary.articlesImported += 1
            } else {
                seenClock = VectorClock()
                summary.annotationsImported += 1
            }
            if let speculative = item.speculative, seenClock == VectorClock(),
                speculative.change.dot == Dot(replica: transaction.state.info.id, seq: transaction.state.lastSeq + 1),
                speculative.change.timestamp > transaction.state.latest
            {
                // Made on the preparing thread with exactly the dot this write takes, and
                // a timestamp after everything this replica has seen: what minting gives.
                transaction.state.lastSeq += 1
                transaction.state.latest = speculative.change.timestamp
                minted.append(speculative)
                continue
            }
            transaction.state.lastSeq += 1
            let dot = Dot(replica: transaction.state.info.id, seq: transaction.state.lastSeq)
            transaction.state.latest = HybridTimestamp.next(after: transaction.state.latest, now: transaction.now)
            let frontier = Frontier()
            let clock = frontier.joinedClock.joined(with: seenClock).including(dot)
            let change = Change(
                dot: dot, kind: item.key.kind, entity: item.key.entity, operation: .put, clock: clock,
                timestamp: transaction.state.latest, replaces: frontier.dots, content: item.written.text)
            let version = Version(dot: dot, clock: clock, timestamp: transaction.state.latest, content: item.written.content)
            minted.append(PreparedChange(change, version: version, written: item.written))
        }
        // `split` keeps apart the few whose content the merge would show otherwise (a
        // repeated tag, say): they are applied change by change, as a local write would.
        let (first, rest) = FirstVersions.split(minted, known: known)
        let held = try FirstVersions.insert(first, db)
        if let dot = held.first?.change.dot {
            throw StoreError.logCorrupted("the log already holds \(dot), the next local change")
        }
        for prepared in rest {
            guard try Materializer.apply(prepared, db) != .duplicate else {
                throw StoreError.logCorrupted("the log already holds \(prepared.change.dot), the next local change")
            }
        }
        for item in others { try importItem(item, into: &transaction, summary: &summary) }
        return summary
    }

    /// The entities of `batch` this replica has (`entities` holds every entity whose
    /// change is in the log): one query per kind.
    private static func knownEntities(_ batch: [PreparedImport], _ db: Database) throws -> Set<FirstVersions.Key> {
        var known: Set<FirstVersions.Key> = []
        for kind in [EntityKind.article, .annotation] {
            let ids = Set(batch.lazy.filter { $0.key.kind == kind }.map(\.key.entity))
            guard !ids.isEmpty else { continue }
            let found = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM entities WHERE kind = ? AND id IN (SELECT value FROM json_each(?))"),
                arguments: [kind.rawValue, CanonicalJSON.string(.array(ids.map { .string($0) }))])
            for id in found { known.insert(FirstVersions.Key(kind: kind, entity: id)) }
        }
        return known
    }

    /// The articles the annotations of `batch` belong to that are live here (in
    /// `articles`: neither missing nor deleted), as a local annotation needs them.
    private static func liveArticles(_ batch: [PreparedImport], _ db: Database) throws -> Set<String> {
        let ids = Set(batch.lazy.compactMap(\.article))
        guard !ids.isEmpty else { return [] }
        return Set(
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT e.id FROM entities e JOIN articles a ON a.rowid = e.rowid
                        WHERE e.kind = 'article' AND e.id IN (SELECT value FROM json_each(?))
                        """),
                arguments: [CanonicalJSON.string(.array(ids.map { .string($0) }))]))
    }

    /// Imports `items` one by one through the local write path, as imports did before
    /// they wrote new entities table by table: the reference the tests hold the batch
    /// path to (the same summary, the same exports).
    func importItemsOneByOne(_ items: [ImportItem]) throws -> ImportSummary {
        let items = Self.articlesFirst(items)
        var summary = ImportSummary()
        for start in stride(from: 0, to: items.count, by: Self.importBatchSize) {
            let slice = Array(items[start..<min(start + Self.importBatchSize, items.count)])
            let batch = try writeLocal { transaction in
                var summary = ImportSummary()
                for item in slice { try Self.importItem(item, into: &transaction, summary: &summary) }
                return summary
            }
            summary.articlesImported += batch.articlesImported
            summary.annotationsImported += batch.annotationsImported
            summary.updated += batch.updated
            summary.unchanged += batch.unchanged
            summary.skipped += batch.skipped
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
