public import GlossCore
public import GRDB

/// What applying a batch of changes from elsewhere did.
public struct ApplySummary: Sendable, Hashable {
    /// Changes that were new to this replica and changed an entity.
    public var applied = 0
    /// Changes already in the log (a retry, or a change pulled back after pushing it).
    public var duplicates = 0
    /// New changes that a known version already dominated.
    public var dominated = 0
    /// Entities that became conflicted and still are at the end of the batch.
    public var newConflicts = 0

    public init() {}
}

extension GlossDatabase {
    /// Applies changes made elsewhere, all in one transaction: either every change is in
    /// the log and the derived tables afterwards, or none is.
    ///
    /// - Parameters:
    ///   - refetchable: the changes can be fetched again if the commit is lost (a pulled
    ///     page, whose cursor commits with it). Such a commit skips its fsync
    ///     (`synchronous = NORMAL`): a crash of the process still loses nothing, and power
    ///     loss can only undo the page together with its cursor, so the next sync fetches
    ///     it again; the next local write's fsync makes it durable anyway.
    ///   - extra: runs inside the same transaction after the changes are applied
    ///     (the sync engine saves its cursor there, so a page and its cursor commit together).
    public func applyRemote(
        _ changes: [Change], refetchable: Bool = false, extra: (@Sendable (Database) throws -> Void)? = nil
    ) throws -> ApplySummary {
        try applyRemote(prepared: changes.map { try PreparedChange($0) }, refetchable: refetchable, extra: extra)
    }

    /// Applies changes made elsewhere and checked beforehand (see ``PreparedChange``), as
    /// ``applyRemote(_:refetchable:extra:)`` does.
    ///
    /// The first versions of entities this replica has never seen are written first,
    /// table by table (see `FirstVersions`); the other changes follow one by one in batch
    /// order. What the replica shows does not depend on the order changes arrive in, so
    /// this gives the state that applying the batch in order gives.
    public func applyRemote(
        prepared changes: [PreparedChange], refetchable: Bool = false, extra: (@Sendable (Database) throws -> Void)? = nil
    ) throws -> ApplySummary {
        try write(durable: !refetchable) { db in
            var state = try ReplicaState.load(db)
            var summary = ApplySummary()
            let ownSeq = try Int64.fetchOne(
                db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [state.info.id.description]) ?? 0
            for prepared in changes {
                let change = prepared.change
                // Only this replica makes its own dots: one it never made is forged or
                // corrupt, and storing it would swallow the local change that later takes that seq.
                if change.dot.replica == state.info.id, change.dot.seq > UInt64(ownSeq) {
                    throw StoreError.invalidChange(
                        .malformed(dot: change.dot, reason: "it claims this replica's id, but this replica never made it"))
                }
                state.observe(change.timestamp)
            }
            let (first, rest) = FirstVersions.split(changes, known: try FirstVersions.known(among: changes, db))
            let alreadyHeld = try FirstVersions.insert(first, db)
            summary.applied += first.count - alreadyHeld.count
            var becameConflicted: Set<[String]> = []
            for prepared in alreadyHeld + rest {
                switch try Materializer.apply(prepared, db) {
                case .duplicate: summary.duplicates += 1
                case .dominated: summary.dominated += 1
                case .applied(let newConflict):
                    summary.applied += 1
                    if newConflict { becameConflicted.insert([prepared.change.kind.rawValue, prepared.change.entity]) }
                }
            }
            // A conflict that a later change of the same batch resolved is no news.
            for key in becameConflicted {
                let open = try Bool.fetchOne(
                    db, sql: "SELECT conflicts IS NOT NULL FROM entities WHERE kind = ? AND id = ?", arguments: [key[0], key[1]])
                if open == true { summary.newConflicts += 1 }
            }
            try state.save(db)
            try extra?(db)
            return summary
        }
    }

    /// Changes in local log order after `position`, at most `limit` of them, with their
    /// positions; `replica` restricts them to one replica's changes.
    public func changes(
        afterPosition position: Int64 = 0, replica: ReplicaID? = nil, limit: Int = 1_000
    ) throws -> [(position: Int64, change: Change)] {
        try read { db in
            var sql = "SELECT position, \(ChangeLog.columns) FROM changes WHERE position > ?"
            var arguments: StatementArguments = [position]
            if let replica {
                sql += " AND replica = ?"
                arguments += [replica.description]
            }
            sql += " ORDER BY position LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                (row["position"], try ChangeLog.change(from: row))
            }
        }
    }
}
