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

    init(_ item: ImportItem) throws {
        self.item = item
        switch item {
        case .article(let article, _):
            key = FirstVersions.Key(kind: .article, entity: article.id)
            self.article = nil
            written = try Self.written(article.content, kind: .article, id: article.id, model: .article(article))
        case .annotation(let annotation):
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
