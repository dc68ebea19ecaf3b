import GlossCore

/// A corpus's compaction state, as ``Compactor`` reads it.
struct CompactionState: Sendable {
    let corpusID: Int64
    let floor: Int64
    /// The floor up to which a compaction last finished looking at every entity.
    let compactedThrough: Int64
    /// Changes stored now.
    let stored: Int64
}

/// What each storage backend does for a compaction, each step in its own transaction; the
/// order and the bookkeeping are ``Compactor``'s.
protocol CompactionSteps: Storage {
    /// The state of the corpus named `corpus`, `nil` when there is none.
    func compactionState(corpus: String) async throws -> CompactionState?
    /// Raises the corpus's floor to at least `floor` and deletes its snapshot if it is below
    /// the new floor, in one transaction (taking turns with pushes).
    /// - Returns: the floor now, and whether a snapshot was deleted.
    func raiseFloor(corpusID: Int64, to floor: Int64) async throws -> (floor: Int64, snapshotDeleted: Bool)
    /// The entity of each stored change at a position in `after + 1 … upTo`, in position
    /// order, at most `limit`.
    func changedEntities(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws
        -> [(position: Int64, key: PushPlan.EntityKey)]
    /// Drops what ``EntityCompaction`` says of each of `keys` at or below `floor`, in one
    /// transaction that no push interleaves with. Returns how many changes it dropped.
    func compactEntities(corpusID: Int64, _ keys: [PushPlan.EntityKey], through floor: Int64) async throws -> Int
    /// Records that every entity was looked at up to `floor`.
    func finishCompaction(corpusID: Int64, through floor: Int64) async throws
    /// Runs `body` unless another compaction of the corpus holds the lock; then `nil`.
    func withCompactionLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T?
}

extension CompactionSteps {
    /// No lock by default: compactions are idempotent, and each step is a transaction.
    func withCompactionLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }
}

/// Runs a compaction (``Storage/compact(corpus:)``) on a backend's ``CompactionSteps``.
///
/// 1. The horizon H is read; the target is the higher of H and the floor.
/// 2. One transaction raises the floor to the target and deletes a snapshot below it:
///    from its commit on, replicas behind it are refused, so nothing a merge may still need
///    is dropped under anyone. Nothing is dropped before it commits.
/// 3. The entities changed since the last finished compaction (positions after
///    `compacted_through` up to the target) are compacted a batch at a time, each batch in
///    its own transaction.
/// 4. `compacted_through` becomes the target. A compaction stopped before this (kill -9)
///    leaves it lower, and the next one looks at those entities again.
enum Compactor {
    /// Entities per transaction: a batch holds pushes to the corpus back only briefly.
    static let entitiesPerBatch = 300
    /// Changes read per step when finding the entities to look at.
    static let positionsPerScan = 2_000

    static func run(_ storage: some CompactionSteps, corpus: String) async throws -> CompactionReport {
        let start = ContinuousClock.now
        guard let first = try await storage.compactionState(corpus: corpus) else { throw StorageError.unknownCorpus(corpus) }
        let report = try await storage.withCompactionLock(corpusID: first.corpusID) {
            try await runLocked(storage, corpus: corpus, start: start)
        }
        guard let report else {
            return CompactionReport(
                corpus: corpus, horizon: 0, floorBefore: first.floor, floorAfter: first.floor, storedBefore: first.stored,
                storedAfter: first.stored, ran: false, busy: true, seconds: (ContinuousClock.now - start).seconds)
        }
        return report
    }

    private static func runLocked(_ storage: some CompactionSteps, corpus: String, start: ContinuousClock.Instant) async throws
        -> CompactionReport
    {
        // Read again under the lock: a compaction that just finished counts.
        guard let state = try await storage.compactionState(corpus: corpus) else { throw StorageError.unknownCorpus(corpus) }
        let horizon = try await storage.replicaReport(corpus: corpus).horizon
        let target = max(state.floor, horizon)
        guard target > state.compactedThrough else {
            return CompactionReport(
                corpus: corpus, horizon: horizon, floorBefore: state.floor, floorAfter: state.floor, storedBefore: state.stored,
                storedAfter: state.stored, ran: false, seconds: (ContinuousClock.now - start).seconds)
        }
        let (floor, snapshotDeleted) = try await storage.raiseFloor(corpusID: state.corpusID, to: target)
        var after = state.compactedThrough
        var looked = Set<PushPlan.EntityKey>()
        var dropped = 0
        while true {
            let rows = try await storage.changedEntities(corpusID: state.corpusID, after: after, upTo: floor, limit: positionsPerScan)
            guard let last = rows.last else { break }
            var keys: [PushPlan.EntityKey] = []
            for row in rows where looked.insert(row.key).inserted { keys.append(row.key) }
            for start in stride(from: 0, to: keys.count, by: entitiesPerBatch) {
                let batch = Array(keys[start..<min(start + entitiesPerBatch, keys.count)])
                dropped += try await storage.compactEntities(corpusID: state.corpusID, batch, through: floor)
            }
            after = last.position
        }
        try await storage.finishCompaction(corpusID: state.corpusID, through: floor)
        let stored = try await storage.compactionState(corpus: corpus)?.stored ?? state.stored - Int64(dropped)
        return CompactionReport(
            corpus: corpus, horizon: horizon, floorBefore: state.floor, floorAfter: floor, entities: looked.count, dropped: dropped,
            storedBefore: state.stored, storedAfter: stored, ran: true, snapshotDeleted: snapshotDeleted,
            seconds: (ContinuousClock.now - start).seconds)
    }
}
