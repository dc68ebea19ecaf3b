public import GlossCore
import GRDB

/// What ``GlossDatabase/beginRebuild()`` set aside and reset.
public struct RebuildStart: Sendable, Hashable {
    /// The replica id the refused log was written under; the server may still hold its
    /// acknowledged changes, which come back to this replica as another replica's.
    public var previousReplica: ReplicaID
    /// The replica's new id: what it writes from now on.
    public var replica: ReplicaID
    /// Entities whose unacknowledged changes will be made again (see ``GlossDatabase/finishRebuild()``).
    public var carriedEntities: Int
}

/// What ``GlossDatabase/finishRebuild()`` made again.
public struct RebuildOutcome: Sendable, Hashable {
    /// New local versions written, one per entity at most.
    public var madeAgain = 0
    /// Of those, versions that stand beside another replica's concurrent deletion or edit:
    /// an edit of an entity deleted meanwhile, a deletion of one edited meanwhile.
    public var besideConcurrent = 0
    /// Of those, merges of an edit with edits made meanwhile that carry field conflicts.
    public var withConflicts = 0
    /// Entities that needed nothing: the current state already says what the change said,
    /// or it deleted what is deleted now.
    public var unchanged = 0

    public init() {}
}

extension GlossDatabase {
    /// Whether a rebuild is under way: changes carried out of the old log wait to be made
    /// again (the next sync finishes it, after it has pulled the current state).
    public func rebuildPending() throws -> Bool {
        try read { db in try Self.rebuildPending(db) }
    }

    static func rebuildPending(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM rebuild_carry)") ?? false
    }

    /// Starts over from the server's current state, keeping what the server has not
    /// acknowledged, after the server refused this replica because it compacted its history
    /// past the replica's position (docs/protocol.md, "Compaction and the floor").
    ///
    /// In one transaction: the local history of every entity that unacknowledged changes
    /// touched is kept in `rebuild_carry`; the log and everything derived from it are
    /// emptied (the one path besides client compaction that deletes from the log); the
    /// replica takes a new id, so that nothing it writes from now on can be confused with
    /// the old log's changes, which the server may hold in part; and the remote is reset to
    /// pull everything again. A kill -9 at any point leaves either the old replica or the
    /// emptied one with its carried changes; the next sync pulls the current state and
    /// then calls ``finishRebuild()``. Calling it again before that keeps what was carried.
    public func beginRebuild() throws -> RebuildStart {
        try write { db in
            let state = try ReplicaState.load(db)
            guard let remote = try Self.remote(db) else { throw StoreError.logCorrupted("a rebuild needs a remote") }
            let own = state.info.id.description
            let touched = try Row.fetchAll(
                db, sql: "SELECT DISTINCT kind, entity FROM changes WHERE replica = ? AND seq > ?",
                arguments: [own, Int64(remote.pushedSeq)])
            for row in touched {
                let (kind, entity): (String, String) = (row["kind"], row["entity"])
                try db.execute(
                    sql: """
                        INSERT INTO rebuild_carry (\(ChangeLog.columns), tip)
                        SELECT \(ChangeLog.columns), 0 FROM changes WHERE kind = ? AND entity = ?
                        ON CONFLICT (replica, seq) DO NOTHING
                        """, arguments: [kind, entity])
                // The entity's latest unacknowledged change is the one made again; it saw
                // everything earlier that is carried (its clock covers its replica's past).
                try db.execute(sql: "UPDATE rebuild_carry SET tip = 0 WHERE kind = ? AND entity = ?", arguments: [kind, entity])
                try db.execute(
                    sql: """
                        UPDATE rebuild_carry SET tip = 1 WHERE replica = ? AND seq = (
                            SELECT MAX(seq) FROM changes WHERE replica = ? AND kind = ? AND entity = ?)
                        """, arguments: [own, own, kind, entity])
            }
            try Self.emptyLogAndDerivedState(db)
            try db.execute(sql: "DELETE FROM server_marks")
            let fresh = ReplicaID.random()
            try db.execute(sql: "UPDATE replica SET id = ?", arguments: [fresh.description])
            try db.execute(
                sql: """
                    UPDATE remote SET cursor = 0, epoch = NULL, pushed_seq = 0, floor = 0, basis_cursor = NULL,
                        basis_epoch = NULL
                    """)
            let carried = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rebuild_carry WHERE tip = 1") ?? 0
            return RebuildStart(previousReplica: state.info.id, replica: fresh, carriedEntities: carried)
        }
    }

    /// Empties the log (lifting the append-only trigger for this one statement, inside the
    /// caller's transaction) and the tables derived from it.
    static func emptyLogAndDerivedState(_ db: Database) throws {
        try db.execute(sql: "DROP TRIGGER changes_are_append_only_delete")
        try db.execute(sql: "DELETE FROM changes")
        try db.execute(sql: ChangeLog.appendOnlyDeleteTrigger)
        for table in ["frontier", "entities", "articles", "annotations"] {
            try db.execute(sql: "DELETE FROM \(table)")
        }
        try db.execute(sql: "INSERT INTO search (search) VALUES ('delete-all')")
    }

    /// Makes the carried changes again as new versions on top of what the replica now
    /// holds, then forgets them, in one transaction. Call it once the pull after
    /// ``beginRebuild()`` has finished.
    ///
    /// For each carried entity, with `y` the old log's latest unacknowledged change of it
    /// and `D` the current versions `y` had not seen:
    /// - nothing in `D`: `y`'s content (or deletion) is written over the current state;
    /// - `y` deleted and something in `D` is live: a deletion concurrent with `D`, so that
    ///   every replica shows an edit-versus-delete conflict;
    /// - `y` edited and everything in `D` is a deletion: `y`'s content concurrent with them,
    ///   the same conflict the other way round;
    /// - `y` edited and `D` holds edits: the three-way merge of `y` with them, computed here
    ///   where their common ancestors are still known (the old log's history), written as one
    ///   version over the current state; fields both changed carry every value as a conflict
    ///   to resolve (`_conflicts`), exactly as an ordinary edit of a conflicted entity does.
    /// A concurrent version's clock holds only what `y` saw that this replica holds now, so
    /// it names no change the server lacks and dominates nothing `y` did not see.
    public func finishRebuild() throws -> RebuildOutcome {
        try writeLocal { transaction in
            let db = transaction.db
            var outcome = RebuildOutcome()
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(ChangeLog.columns), tip FROM rebuild_carry ORDER BY hlc_wall, hlc_counter, replica, seq")
            var history: [String: [Version]] = [:]
            var tips: [Change] = []
            for row in rows {
                let change = try ChangeLog.change(from: row)
                history[change.entity, default: []].append(try ChangeLog.version(of: change))
                if row["tip"] as Int64 == 1 { tips.append(change) }
            }
            for tip in tips {
                let carried = history[tip.entity] ?? []
                try Self.makeAgain(tip, carried: carried, &transaction, &outcome)
            }
            try db.execute(sql: "DELETE FROM rebuild_carry")
            return outcome
        }
    }

    private static func makeAgain(
        _ tip: Change, carried: [Version], _ transaction: inout LocalTransaction, _ outcome: inout RebuildOutcome
    ) throws {
        let db = transaction.db
        let old = try ChangeLog.version(of: tip)
        let frontier = try ChangeLog.frontier(kind: tip.kind, entity: tip.entity, db)
        let unseen = frontier.versions.filter { !$0.clock.isDominated(by: old.clock) }
        let seen = try heldPart(of: old.clock, db)
        if unseen.isEmpty {
            let current = frontier.versions.isEmpty ? nil : try Materializer.view(kind: tip.kind, entity: tip.entity, frontier: frontier, db)
            if current?.isConflicted != true, current?.content == old.content {
                outcome.unchanged += 1
                return
            }
            try transaction.writeVersion(
                kind: tip.kind, entity: tip.entity, content: old.content, clock: frontier.joinedClock.joined(with: seen),
                replacing: frontier)
            outcome.madeAgain += 1
            return
        }
        let unseenLive = unseen.filter { !$0.isDeletion }
        switch (old.content, unseenLive.isEmpty) {
        case (nil, true):
            outcome.unchanged += 1
        case (nil, false), (_, true):
            // Beside what it did not see: a history-free conflict every replica shows alike.
            try transaction.writeVersion(kind: tip.kind, entity: tip.entity, content: old.content, clock: seen, replacing: frontier)
            outcome.madeAgain += 1
            outcome.besideConcurrent += 1
        case (.some, false):
            var sides = Frontier(unseen)
            sides.insert(old)
            // The old log's history and what the replica holds now, each version once.
            let carriedDots = Set(carried.map(\.dot))
            let known = try ChangeLog.history(kind: tip.kind, entity: tip.entity, db).filter { !carriedDots.contains($0.dot) }
            let view = Merge.view(of: sides, history: carried + known)
            let content = view.editedContent([:])
            try transaction.writeVersion(
                kind: tip.kind, entity: tip.entity, content: content, clock: frontier.joinedClock.joined(with: seen),
                replacing: frontier)
            outcome.madeAgain += 1
            if !view.conflicts.isEmpty { outcome.withConflicts += 1 }
        }
    }

    /// `clock` without what this replica does not hold now: each replica's entry lowered
    /// to the highest seq of it in the log (the server may have dropped superseded
    /// versions, and never got the old replica's unacknowledged ones).
    private static func heldPart(of clock: VectorClock, _ db: Database) throws -> VectorClock {
        var entries: [ReplicaID: UInt64] = [:]
        for (replica, seq) in clock.sortedEntries {
            let held = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [replica.description]) ?? 0
            let kept = min(seq, UInt64(max(held, 0)))
            if kept > 0 { entries[replica] = kept }
        }
        return VectorClock(entries)
    }
}
