import Foundation
import GlossCore

/// An import item with what the first version of its entity needs, made before the
/// write transaction and without the database: the content, its canonical JSON (what
/// the change carries and the log stores) and the models the derived rows are written
/// from, an annotation's note already folded for search.
struct PreparedImport: Sendable {
    let item: ImportItem
    let key: FirstVersions.Key
    /// An annotation's article.
    let article: String?
    /// The content as the change's version holds it (what parsing its canonical JSON
    /// gives, as ``Change/version()`` reads it), its text and models.
    let written: Materializer.Written
    /// The change a local write would make of the item if it creates its entity and takes
    /// the dot and timestamp the preparing thread expects (``ImportMinting``); the writer
    /// uses it when it does, and mints another when not.
    var speculative: PreparedChange?

    /// - Throws: a `ValidationError` when the item's content is not a valid article or
    ///   annotation (a local write refuses it too; a JSONL line or a seed file checked by
    ///   ``ImportSource/scan(paths:)`` has passed this already).
    init(_ item: ImportItem) throws {
        self.item = item
        switch item {
        case .article(let article, _):
            try article.validate()
            key = FirstVersions.Key(kind: .article, entity: article.id)
            self.article = nil
            written = try Self.written(article.content, kind: .article, id: article.id, model: .article(article))
        case .annotation(let annotation):
            try annotation.validate()
            key = FirstVersions.Key(kind: .annotation, entity: annotation.id)
            article = annotation.article
            written = try Self.written(annotation.content, kind: .annotation, id: annotation.id, model: .annotation(annotation))
        }
    }

    /// What a local write of `content` would store and show: the canonical text, and the
    /// content read back from it when the text does not give back `content` exactly (a
    /// number written another way, say), with the model read from that.
    private static func written(
        _ content: EntityContent, kind: EntityKind, id: String, model: Materializer.Written.Model
    ) throws -> Materializer.Written {
        let text = CanonicalJSON.string(.object(content))
        if CanonicalJSON.roundTrips(.object(content)) { return Materializer.Written(content: content, text: text, model: model) }
        guard let parsed = try? JSONParser.parse(text).objectValue else {
            throw StoreError.logCorrupted("the canonical JSON of \(kind.rawValue) \(id) does not read back")
        }
        switch kind {
        case .article: return Materializer.Written(content: parsed, text: text, model: .article(try Article(id: id, content: parsed)))
        case .annotation:
            return Materializer.Written(content: parsed, text: text, model: .annotation(try Annotation(id: id, content: parsed)))
        }
    }
}

/// The dots and timestamps the writer will give new entities, as the preparing thread
/// expects them: so that thread also makes their changes (`PreparedChange`, with the
/// merge's check that a first version shows its content), and the writing thread, which
/// bounds an import, only checks that they fit.
///
/// The guess assumes every item of a batch creates its entity, each taking the next seq.
/// After each commit the writer reports where its seq and clock stand; the preparing
/// thread starts each batch from the latest report plus the items of the batches still
/// in flight, so a batch of updates or unchanged entries spoils the guess of at most the
/// batches already prepared, never the rest of the import.
final class ImportMinting: @unchecked Sendable {
    let replica: ReplicaID
    private let clock: @Sendable () -> Int64
    private let lock = NSLock()
    private var report: (batch: Int, lastSeq: UInt64, latest: HybridTimestamp)
    // The preparing thread's own state.
    private var lastSeq: UInt64
    private var latest: HybridTimestamp
    private var sizes: [Int: Int] = [:]

    init(replica: ReplicaID, lastSeq: UInt64, latest: HybridTimestamp, clock: @escaping @Sendable () -> Int64) {
        self.replica = replica
        self.clock = clock
        report = (-1, lastSeq, latest)
        self.lastSeq = lastSeq
        self.latest = latest
    }

    /// Called by the writer after committing batch `batch`.
    func committed(batch: Int, lastSeq: UInt64, latest: HybridTimestamp) {
        lock.lock()
        report = (batch, lastSeq, latest)
        lock.unlock()
    }

    /// Makes the speculative changes of batch number `batch` (preparing thread only).
    func mint(_ items: inout [PreparedImport], batch: Int) {
        lock.lock()
        let report = self.report
        lock.unlock()
        lastSeq = report.lastSeq
        for earlier in (report.batch + 1)..<max(batch, report.batch + 1) { lastSeq += UInt64(sizes[earlier] ?? 0) }
        sizes = sizes.filter { $0.key > report.batch }
        if report.latest > latest { latest = report.latest }
        let now = clock()
        for index in items.indices {
            lastSeq += 1
            latest = HybridTimestamp.next(after: latest, now: now)
            let dot = Dot(replica: replica, seq: lastSeq)
            let clock = Frontier().joinedClock.including(dot)
            let written = items[index].written
            let change = Change(
                dot: dot, kind: items[index].key.kind, entity: items[index].key.entity, operation: .put, clock: clock,
                timestamp: latest, replaces: [], content: written.text)
            items[index].speculative = PreparedChange(
                change, version: Version(dot: dot, clock: clock, timestamp: latest, content: written.content), written: written)
        }
        sizes[batch] = items.count
    }
}

/// Batches handed from the thread that prepares them to the thread that writes them;
/// at most one waits, so the preparing thread is never more than a batch ahead.
final class ImportQueue: @unchecked Sendable {
    struct Batch: Sendable {
        let items: [PreparedImport]
        /// Bytes of the input read up to the batch's last item.
        let bytesRead: Int
    }

    private let condition = NSCondition()
    private var waiting: Batch?
    private var finished: Result<Void, any Error>?
    private var cancelled = false

    /// Hands over a batch, waiting while another waits.
    /// - Returns: `false` when the writer has stopped (the batch is dropped).
    func put(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting != nil, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        waiting = batch
        condition.broadcast()
        return true
    }

    /// Says that no batch follows, or why the preparing stopped.
    func finish(_ result: Result<Void, any Error>) {
        condition.lock()
        finished = result
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or `nil` after the last.
    /// - Throws: what stopped the preparing thread.
    func take() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while waiting == nil, finished == nil { condition.wait() }
        if let batch = waiting {
            waiting = nil
            condition.broadcast()
            return batch
        }
        try finished!.get()
        return nil
    }

    /// Stops the preparing thread at its next batch (the writer failed, or is done).
    func cancel() {
        condition.lock()
        cancelled = true
        waiting = nil
        condition.broadcast()
        condition.unlock()
    }
}
