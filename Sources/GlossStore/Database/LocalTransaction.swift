import GlossCore
import GRDB

/// One write transaction that mints local changes: each gets the next seq of this
/// replica, a hybrid timestamp after everything seen, and a clock that replaces the
/// entity's whole frontier.
struct LocalTransaction {
    let db: Database
    var state: ReplicaState
    let now: Int64
    /// Article texts read in this transaction, for validating annotations.
    let texts = ArticleTexts()
    /// The frontier ``view(kind:entity:)`` loaded last, reused by the write that follows.
    private var lastFrontier: (kind: EntityKind, entity: String, frontier: Frontier)?

    init(db: Database, state: ReplicaState, now: Int64) {
        self.db = db
        self.state = state
        self.now = now
    }

    var replica: ReplicaInfo { state.info }

    /// Writes a new version of an entity; `content == nil` deletes it.
    ///
    /// A new version of an article also records, in its clock, every annotation version
    /// on it this replica has seen: an article deletion then conflicts exactly with the
    /// annotations made concurrently elsewhere (design.md: such an annotation survives).
    /// - Parameter checksQuote: whether a new target must hold its quote in the article's
    ///   text; an import passes `false` and lets ``AnnotationPlacement`` place what it brings.
    @discardableResult
    mutating func write(kind: EntityKind, entity: String, content: EntityContent?, checksQuote: Bool = true) throws -> Change {
        let frontier: Frontier
        if let last = lastFrontier, last.kind == kind, last.entity == entity {
            frontier = last.frontier
        } else {
            frontier = try ChangeLog.frontier(kind: kind, entity: entity, db)
        }
        lastFrontier = nil
        let seen = kind == .article ? try ArticleDeletion.annotationClock(article: entity, db) : VectorClock()
        let change = state.makeChange(kind: kind, entity: entity, content: content, frontier: frontier, seen: seen, now: now)
        // An annotation's quote is checked against the text only where this change places
        // it (a new annotation, a new target): after a correction of the article, the other
        // fields of an annotation whose words moved or went stay editable.
        let placesAnew = kind != .annotation
            || checksQuote && !frontier.versions.contains { $0.content?["target"] == content?["target"] }
        guard try Materializer.apply(change, db, frontier: frontier, texts: placesAnew ? texts : nil) != .duplicate else {
            throw StoreError.logCorrupted("the log already holds \(change.dot), the next local change")
        }
        return change
    }

    /// Writes a new version with the clock given (plus its own dot) instead of one that
    /// replaces the whole frontier: a rebuilt replica's carried change made again beside
    /// versions it had not seen (see ``GlossDatabase/finishRebuild()``). Its annotation
    /// targets are placed without checking their quotes, as an import's are.
    mutating func writeVersion(
        kind: EntityKind, entity: String, content: EntityContent?, clock: VectorClock, replacing frontier: Frontier
    ) throws {
        lastFrontier = nil
        let change = state.makeChange(
            kind: kind, entity: entity, content: content, clock: clock, replaces: frontier.dots.filter { clock.contains($0) }, now: now)
        guard try Materializer.apply(change, db, frontier: frontier, texts: nil) != .duplicate else {
            throw StoreError.logCorrupted("the log already holds \(change.dot), the next local change")
        }
    }

    /// What the entity shows now, or `nil` if this replica has never seen it.
    mutating func view(kind: EntityKind, entity: String) throws -> EntityView? {
        let frontier = try ChangeLog.frontier(kind: kind, entity: entity, db)
        lastFrontier = (kind, entity, frontier)
        guard !frontier.versions.isEmpty else { return nil }
        return try Materializer.view(kind: kind, entity: entity, frontier: frontier, db)
    }
}

extension GlossDatabase {
    /// Checks that `content` is a valid article or annotation `id`, as a new local version must be.
    static func validate(_ content: EntityContent, kind: EntityKind, id: String) throws {
        do throws(ValidationError) {
            switch kind {
            case .article: _ = try Article(id: id, content: content)
            case .annotation: _ = try Annotation(id: id, content: content)
            }
        } catch {
            throw StoreError.invalid(error)
        }
    }

    /// Runs `body` in one write transaction that may mint local changes.
    func writeLocal<T: Sendable>(_ body: @Sendable (inout LocalTransaction) throws -> T) throws -> T {
        let now = clock()
        return try write { db in
            var transaction = LocalTransaction(db: db, state: try ReplicaState.load(db), now: now)
            let result = try body(&transaction)
            try transaction.state.save(db)
            return result
        }
    }
}
