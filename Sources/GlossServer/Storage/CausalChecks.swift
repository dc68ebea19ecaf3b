import GlossCore

/// Checks that a pushed change's clock tells a history this corpus can have given it.
///
/// A replica learns of other replicas' changes only by pulling them from this corpus,
/// and every replica pushes its changes in seq order without gaps, so a change whose
/// clock holds `B:5` was made after its replica pulled B's changes 1…5 from here. A clock
/// that names more than the corpus holds is forged or from another corpus; storing it
/// would hand every puller a version that claims to replace changes nobody can see.
/// Both storage backends run these checks inside the pushing transaction.
enum CausalChecks {
    /// The other replicas the batch's clocks name: the corpus's stored seqs of these
    /// are what `checkClock` needs.
    static func namedReplicas(in changes: [IncomingChange], pusher: ReplicaID) -> Set<ReplicaID> {
        var replicas = Set<ReplicaID>()
        for incoming in changes {
            for replica in incoming.change.clock.entries.keys where replica != pusher { replicas.insert(replica) }
        }
        return replicas
    }

    /// Refuses a clock entry of another replica beyond the seqs the corpus holds of it.
    /// - Parameter held: the highest stored seq of each replica in `namedReplicas`.
    static func checkClock(_ change: Change, held: [ReplicaID: UInt64]) throws(StorageError) {
        for (replica, seq) in change.clock.sortedEntries where replica != change.dot.replica {
            let stored = held[replica] ?? 0
            if seq > stored {
                throw .unseenDot(change: change.dot, unseen: Dot(replica: replica, seq: seq), held: stored)
            }
        }
    }

    /// Refuses a change whose clock does not include its own replica's earlier version of
    /// the same entity still in the frontier: a replica's versions of one entity follow
    /// each other, so its clock for an entity never goes backwards.
    static func checkNotBackwards(_ change: Change, frontier: Frontier) throws(StorageError) {
        for version in frontier.versions
        where version.dot.replica == change.dot.replica && version.dot.seq < change.dot.seq
            && !version.clock.isDominated(by: change.clock)
        {
            throw .clockBackwards(change: change.dot, earlier: version.dot)
        }
    }
}
