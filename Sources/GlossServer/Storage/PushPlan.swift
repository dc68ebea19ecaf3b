import GlossCore

/// What a pushed batch does to the stored frontiers, worked out in memory from what the
/// pushing transaction read: both storage backends read the same things (the replica's
/// row, the held seqs of replicas the clocks name, the touched frontiers), call this,
/// and write what it says, so the merge rules live in one place.
struct PushPlan {
    /// The changes to store: those beyond the replica's stored seqs, in seq order.
    let fresh: [IncomingChange]
    /// The new frontier of each entity the batch changed.
    let frontiers: [EntityKey: Frontier]
    /// Stored changes that joined a frontier beside concurrent versions.
    let concurrent: Int
    /// Changes already stored (a retried batch).
    let duplicates: Int

    struct EntityKey: Hashable {
        let kind: EntityKind
        let entity: String
    }

    /// Checks the batch against what the corpus holds and merges it into the frontiers.
    /// - Parameters:
    ///   - owner: the replica's stored owner and highest seq, if it pushed before.
    ///   - held: the highest stored seq of each replica the clocks name.
    ///   - stored: the stored frontiers of the entities the batch touches.
    ///   - storedWires: the stored wire JSON of the batch's seqs in ``duplicateSeqs(of:maxSeq:)``.
    static func make(
        user: String, replica: ReplicaID, changes: [IncomingChange], owner: (user: String, maxSeq: UInt64)?,
        held: [ReplicaID: UInt64], stored: [EntityKey: Frontier], storedWires: [UInt64: String]
    ) throws(StorageError) -> PushPlan {
        if let owner, owner.user != user { throw .replicaOwned(replica: replica) }
        let maxSeq = owner?.maxSeq ?? 0
        if let first = changes.first, first.change.dot.seq > maxSeq + 1 {
            throw .seqGap(replica: replica, expected: maxSeq + 1, got: first.change.dot.seq)
        }
        // A retried batch is harmless only if it says the same thing: both wires are the
        // canonical JSON with the same author (the replica's owner), so bytes compare.
        for incoming in changes where incoming.change.dot.seq <= maxSeq {
            guard storedWires[incoming.change.dot.seq] == incoming.wire else { throw .dotConflict(incoming.change.dot) }
        }
        let fresh = changes.filter { $0.change.dot.seq > maxSeq }
        var frontiers = stored
        var touched = Set<EntityKey>()
        var concurrent = 0
        for incoming in fresh {
            let change = incoming.change
            let key = EntityKey(kind: change.kind, entity: change.entity)
            try CausalChecks.checkClock(change, held: held)
            try CausalChecks.checkNotBackwards(change, frontier: frontiers[key, default: Frontier()])
            let version = Version(dot: change.dot, clock: change.clock, timestamp: change.timestamp, content: nil)
            switch frontiers[key, default: Frontier()].insert(version) {
            case .dominated: break
            case .concurrent:
                concurrent += 1
                touched.insert(key)
            case .replaced:
                touched.insert(key)
            }
        }
        return PushPlan(
            fresh: fresh, frontiers: frontiers.filter { touched.contains($0.key) }, concurrent: concurrent,
            duplicates: changes.count - fresh.count)
    }

    /// The seqs of the batch already stored, whose wires the pushing transaction must read.
    static func duplicateSeqs(of changes: [IncomingChange], maxSeq: UInt64) -> ClosedRange<UInt64>? {
        guard let first = changes.first?.change.dot.seq, first <= maxSeq else { return nil }
        return first...min(maxSeq, changes.last!.change.dot.seq)
    }

    /// The entities whose stored frontiers the pushing transaction must read.
    static func entities(of changes: [IncomingChange]) -> [String] {
        Array(Set(changes.map(\.change.entity)))
    }
}
