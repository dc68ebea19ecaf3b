public import GlossCore
import Foundation
import GRDB

/// What ``GlossDatabase/compact(reclaimingSpace:)`` did, as the `compactions` table records it.
public struct CompactionRecord: Sendable, Hashable {
    /// When it ran (ISO 8601, UTC).
    public var at: String
    /// The server's compaction floor it went by.
    public var floor: Int64
    /// The local log position below which it looked: every change up to it is on the
    /// server at or below the floor.
    public var stableThrough: Int64
    /// Changes dropped from the log.
    public var dropped: Int
    /// Entities left whole because their frontier holds concurrent versions (an open
    /// conflict): the merge still needs their history.
    public var keptConcurrent: Int
    /// This replica's changes the server had not acknowledged: never dropped, whatever they
    /// supersede.
    public var keptUnpushed: Int
    /// The replica file's size before and after (after reclaiming the space, when asked).
    public var bytesBefore: Int64
    public var bytesAfter: Int64

    public var json: JSONValue {
        [
            "at": .string(at), "floor": .int(floor), "stableThrough": .int(stableThrough), "dropped": .int(Int64(dropped)),
            "keptConcurrent": .int(Int64(keptConcurrent)), "keptUnpushed": .int(Int64(keptUnpushed)), "bytesBefore": .int(bytesBefore), "bytesAfter": .int(bytesAfter),
        ]
    }
}

/// What ``GlossDatabase/compact(reclaimingSpace:)`` found.
public enum CompactionOutcome: Sendable, Hashable {
    /// It ran (perhaps dropping nothing: every superseded version was gone already).
    case compacted(CompactionRecord)
    /// Nothing is known to be stable yet, and why, in words for a person.
    case nothingStable(String)
}

extension GlossDatabase {
    /// Drops local history every replica has moved past: a version of an entity whose
    /// single frontier version supersedes it, once that frontier version is on the server at
    /// or below the server's compaction floor (the horizon it last compacted at, as its pull
    /// pages report it). The entity's earliest version stays too: its time is when the
    /// entity was created, which every replica shows alike (so an entity keeps at most two). The server drops the same versions; what the entity shows, its
    /// placement and search are unchanged, and no later merge can need what went: every
    /// active replica has seen the frontier version, so whatever they write next supersedes
    /// it too. Entities with concurrent frontier versions (an open conflict) are left whole,
    /// and this replica's unacknowledged changes are never dropped.
    ///
    /// One transaction: the log's delete trigger is lifted for this one statement and made
    /// again, so the log stays append-only on every other path; a kill -9 leaves the replica
    /// as it was or compacted. The compaction is recorded (see ``compactions()``). With
    /// `reclaimingSpace`, the file is then rewritten without the freed pages (SQLite's
    /// `VACUUM`, which needs the replica to itself for a moment).
    ///
    /// Where a change is on the server is known from marks each complete pull leaves; a
    /// replica that never synced, or has not completed a pull since the server compacted,
    /// has nothing known to be stable:
    /// ``CompactionOutcome/nothingStable(_:)`` says so, and nothing is dropped.
    public func compact(reclaimingSpace: Bool = true) throws -> CompactionOutcome {
        let outcome = try write { db -> CompactionOutcome in
            guard let remote = try Self.remote(db) else {
                return .nothingStable("this replica has no remote: nothing is known to be on a server")
            }
            guard remote.floor > 0 else {
                return .nothingStable("the server has not compacted corpus '\(remote.corpus)' (its floor is 0), or this replica has not synced since")
            }
            guard let mark = try Row.fetchOne(
                db, sql: "SELECT local_position, pushed_seq FROM server_marks WHERE cursor <= ? ORDER BY local_position DESC LIMIT 1",
                arguments: [remote.floor])
            else {
                return .nothingStable(
                    "no sync of this replica has completed since the server compacted through position \(remote.floor); sync, then compact")
            }
            let stable: Int64 = mark["local_position"]
            let markedSeq: Int64 = mark["pushed_seq"]
            let before = try Self.fileBytes(db)
            let own = try ReplicaState.load(db).info.id.description
            // The entities whose frontier is one version at or below the stable position.
            try db.execute(sql: "DROP TABLE IF EXISTS temp.compactable")
            try db.execute(
                sql: """
                    CREATE TEMP TABLE compactable AS
                    SELECT f.entity AS entity, MAX(f.position) AS shown FROM frontier f
                    GROUP BY f.entity HAVING COUNT(*) = 1 AND MAX(f.position) <= ?
                    """, arguments: [stable])
            // A version of this replica's own that the server had not acknowledged when the
            // mark was left is not known to be below the floor.
            try db.execute(
                sql: """
                    DELETE FROM compactable WHERE shown IN (
                        SELECT c.position FROM compactable s JOIN changes c ON c.position = s.shown WHERE c.replica = ? AND c.seq > ?)
                    """, arguments: [own, markedSeq])
            let concurrent = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM (SELECT entity FROM frontier GROUP BY entity HAVING COUNT(*) > 1)") ?? 0
            try db.execute(sql: "DROP TRIGGER changes_are_append_only_delete")
            try db.execute(
                sql: """
                    DELETE FROM changes WHERE position IN (
                        SELECT c.position FROM compactable s
                        JOIN entities e ON e.rowid = s.entity
                        JOIN changes c ON c.kind = e.kind AND c.entity = e.id
                        WHERE c.position <> s.shown AND c.hlc_wall > e.created_wall AND NOT (c.replica = ? AND c.seq > ?))
                    """, arguments: [own, Int64(remote.pushedSeq)])
            let dropped = db.changesCount
            try db.execute(sql: ChangeLog.appendOnlyDeleteTrigger)
            try db.execute(sql: "DROP TABLE temp.compactable")
            let record = CompactionRecord(
                at: PlainFormat.now(), floor: remote.floor, stableThrough: stable, dropped: dropped, keptConcurrent: concurrent,
                keptUnpushed: try Self.unpushedCount(db), bytesBefore: before, bytesAfter: before)
            try db.execute(
                sql: """
                    INSERT INTO compactions (at, floor, stable_through, dropped, kept_concurrent, kept_unpushed, bytes_before, bytes_after)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.at, record.floor, record.stableThrough, record.dropped, record.keptConcurrent, record.keptUnpushed, before,
                    before,
                ])
            return .compacted(record)
        }
        guard case .compacted(var record) = outcome else { return outcome }
        if reclaimingSpace, record.dropped > 0 {
            try writer.vacuum()
        }
        record.bytesAfter = try read { db in try Self.fileBytes(db) }
        let id = record
        try write { db in
            try db.execute(
                sql: "UPDATE compactions SET bytes_after = ? WHERE id = (SELECT MAX(id) FROM compactions)", arguments: [id.bytesAfter])
        }
        return .compacted(record)
    }

    /// Every compaction of this replica's log, oldest first.
    public func compactions() throws -> [CompactionRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM compactions ORDER BY id").map { row in
                CompactionRecord(
                    at: row["at"], floor: row["floor"], stableThrough: row["stable_through"], dropped: row["dropped"],
                    keptConcurrent: row["kept_concurrent"], keptUnpushed: row["kept_unpushed"], bytesBefore: row["bytes_before"],
                    bytesAfter: row["bytes_after"])
            }
        }
    }

    /// Records that every change the log holds now is on the server at or below `cursor`,
    /// except this replica's own with a seq above `acknowledgedSeq` (see
    /// ``compact(reclaimingSpace:)``); the sync engine calls it at the end of each complete
    /// pull, with what the server had acknowledged when the pull began. Nothing is written
    /// when the log has not grown since the last mark.
    public func recordServerMark(cursor: Int64, acknowledgedSeq: UInt64) throws {
        try write { db in
            guard let end = try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM changes") else { return }
            try db.execute(
                sql: "INSERT INTO server_marks (local_position, cursor, pushed_seq) VALUES (?, ?, ?) ON CONFLICT (local_position) DO NOTHING",
                arguments: [end, cursor, Int64(acknowledgedSeq)])
        }
    }

    /// Whether this replica's log may lack versions: the server compacted (so others'
    /// superseded versions never arrived) or the replica compacted its own log.
    static func mayHaveGaps(_ db: Database) throws -> Bool {
        let floor = try Self.remote(db)?.floor ?? 0
        return try floor > 0 || (Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM compactions WHERE dropped > 0)") ?? false)
    }

    private static func fileBytes(_ db: Database) throws -> Int64 {
        let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
        return pages * size
    }
}
