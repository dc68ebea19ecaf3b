import Foundation
import GRDB

/// Observation for screens: each method returns an asynchronous sequence that yields the
/// current value at once, then a new value after every transaction that changed it (a
/// local edit, an import, a pulled sync page), and never the same value twice in a row.
///
/// ```swift
/// for try await annotations in store.annotationUpdates(articleID: article.id) {
///     show(annotations)     // on every change, wherever it came from in this process
/// }
/// ```
///
/// It is built on GRDB's `ValueObservation`, which tracks the tables and rows each query
/// reads. It sees the writes made through this process's stores of the same file (the
/// app's edits and its ``SyncSession``-driven syncs); another process writing the file
/// is seen at its next change here. The sequence ends with the query's error (a prefix
/// that matches nothing, say), or when the iterating task is cancelled.
extension GlossDatabase {
    /// Live articles, by date then title, as ``articles(tag:)`` lists them.
    public func articleUpdates(tag: String? = nil) -> AsyncThrowingStream<[ArticleRecord], any Error> {
        observe { db in try Self.fetchArticles(db, tag: tag) }
    }

    /// Live annotations, as ``annotations(articleID:tag:label:orphansOnly:)`` lists them.
    public func annotationUpdates(
        articleID: String? = nil, tag: String? = nil, label: String? = nil, orphansOnly: Bool = false
    ) -> AsyncThrowingStream<[AnnotationRecord], any Error> {
        observe { db in try Self.fetchAnnotations(db, articleID: articleID, tag: tag, label: label, orphansOnly: orphansOnly) }
    }

    /// The results of a search, as ``search(_:limit:)`` ranks them.
    public func searchUpdates(_ query: String, limit: Int = 20) -> AsyncThrowingStream<[SearchHit], any Error> {
        let terms: [String]
        do {
            terms = try Self.searchTermsOrRefuse(query)
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
        return observe { db in try Self.fetchSearch(db, terms: terms, limit: limit) }
    }

    /// Every entity with open conflicts, as ``conflicts()`` lists them.
    public func conflictUpdates() -> AsyncThrowingStream<[ConflictEntry], any Error> {
        observe { db in try Self.fetchConflicts(db) }
    }

    /// How many local changes wait to be pushed, whenever it changes.
    public func unpushedCountUpdates() -> AsyncThrowingStream<Int, any Error> {
        observe { db in try Self.unpushedCount(db) }
    }

    /// Observes `fetch`'s value: GRDB runs it again after each transaction that changed
    /// what it read, on a queue of its own, and hands values over in order.
    func observe<Value: Equatable & Sendable>(
        _ fetch: @escaping @Sendable (Database) throws -> Value
    ) -> AsyncThrowingStream<Value, any Error> {
        let observation = ValueObservation.tracking(fetch).removeDuplicates()
        let writer = writer
        return AsyncThrowingStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let cancellable = observation.start(
                in: writer, scheduling: .async(onQueue: DispatchQueue(label: "gloss.observation")),
                onError: { continuation.finish(throwing: $0) },
                onChange: { continuation.yield($0) })
            continuation.onTermination = { _ in cancellable.cancel() }
        }
    }
}
