public import GlossCore

/// When a replica is behind a corpus's compaction floor and must rebuild from the current
/// state (`410 resync_required`; docs/protocol.md, "Compaction and the floor").
///
/// Below the floor, versions that later ones supersede may have been dropped. A replica
/// that holds the corpus only up to a position below it may hold such a version without the
/// one that superseded it, and a change it made on top of it would be concurrent with a
/// version whose common ancestor the server no longer has: no replica could merge the two.
/// Both rules only apply once the corpus was compacted (`floor > 0`).
public enum FloorRule {
    /// Whether a push must be refused. `seen` is the cursor (and its epoch) at which the
    /// replica made the changes it pushes; `epoch` is the corpus's current epoch.
    ///
    /// A push that does not say cannot be checked. `after == 0` (in any epoch) is a replica
    /// that never pulled: its changes touch only entities it created. A cursor of another
    /// epoch counts in a history the server no longer has.
    public static func refusesPush(seen: PullPosition?, floor: Int64, epoch: String) -> Bool {
        guard floor > 0 else { return false }
        guard let seen else { return true }
        if seen.after == 0 { return false }
        return seen.epoch != epoch || seen.after < floor
    }

    /// Whether a pull must be refused: a pull's first request (the one that names the epoch
    /// of a cursor the replica holds durably) from below the floor.
    ///
    /// `after == 0` is a replica pulling everything. The pages a client fetches after its
    /// first one name no epoch and are let through, even below the floor: a replica that
    /// replays the compacted log from 0 pages through positions below the floor, and what
    /// it holds then is the compacted history, which is consistent. A replica behind the
    /// floor that pulls without naming its epoch (it has changes left to push) is stopped
    /// at its push, which must name its cursor (``refusesPush(seen:floor:epoch:)``).
    public static func refusesPull(after: Int64, namesEpoch: Bool, floor: Int64) -> Bool {
        floor > 0 && namesEpoch && after > 0 && after < floor
    }
}

extension FloorRule {
    /// Throws ``StorageError/behindFloor(corpus:floor:after:otherEpoch:)`` when
    /// ``refusesPush(seen:floor:epoch:)`` says so; storage backends call it inside the
    /// pushing transaction.
    static func check(seen: PullPosition?, corpus: String, floor: Int64, epoch: String) throws(StorageError) {
        guard refusesPush(seen: seen, floor: floor, epoch: epoch) else { return }
        throw .behindFloor(corpus: corpus, floor: floor, after: seen?.after, otherEpoch: seen.map { $0.epoch != epoch } ?? false)
    }
}
