import GlossCore
import Foundation
import GRDB

/// Compaction on the embedded SQLite storage (see ``Compactor``). SQLite has one writer at a
/// time, so each step's write transaction takes turns with pushes, and a compaction run
/// by another process on the same data folder at the same time only repeats work: every
/// step is idempotent. Dropped rows leave free pages that later pushes reuse; the file is
/// not shrunk (no `VACUUM`, which would hold the write lock for as long as it copies).
extension SQLiteStorage: CompactionSteps {
    public func compact(corpus: String) async throws -> CompactionReport {
        try await Compactor.run(self, corpus: corpus)
    }

    func compactionState(corpus: String) async throws -> CompactionState? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT id, floor, compacted_through, (SELECT COUNT(*) FROM changes x WHERE x.corpus_id = c.id) AS stored
                    FROM corpora c WHERE name = ?
                    """, arguments: [corpus]
            ).map { row in
                CompactionState(corpusID: row["id"], floor: row["floor"], compactedThrough: row["compacted_through"], stored: row["stored"])
            }
        }
    }

    func raiseFloor(corpusID: Int64, to floor: Int64) async throws -> (floor: Int64, snapshotDeleted: Bool) {
        let (raised, file) = try await pool.write { db -> (Int64, String?) in
            try db.execute(sql: "UPDATE corpora SET floor = MAX(floor, ?) WHERE id = ?", arguments: [floor, corpusID])
            guard let raised = try Int64.fetchOne(db, sql: "SELECT floor FROM corpora WHERE id = ?", arguments: [corpusID]) else {
                throw StorageError.unknownCorpus(String(corpusID))
            }
            // A replica adopting a snapshot below the floor would be behind it at once; one at
            // the floor holds the versions about to be dropped (the next build leaves them out).
            let file = try String.fetchOne(
                db, sql: "SELECT file FROM snapshots WHERE corpus_id = ? AND position <= ?", arguments: [corpusID, raised])
            if file != nil { try db.execute(sql: "DELETE FROM snapshots WHERE corpus_id = ?", arguments: [corpusID]) }
            return (raised, file)
        }
        if let file { try? FileManager.default.removeItem(atPath: snapshotPath(file)) }
        return (raised, file != nil)
    }

    func changedEntities(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws
        -> [(position: Int64, key: PushPlan.EntityKey)]
    {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT position, kind, entity FROM changes WHERE corpus_id = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?",
                arguments: [corpusID, after, upTo, limit]
            ).map { row in (row["position"], try EntityCompaction.key(kind: row["kind"], entity: row["entity"])) }
        }
    }

    func compactEntities(corpusID: Int64, _ keys: [PushPlan.EntityKey], through floor: Int64) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await pool.write { db in
            let wanted = Set(keys)
            let entities = Array(Set(keys.map(\.entity)))
            let placeholders = Array(repeating: "?", count: entities.count).joined(separator: ",")
            // By kind, so each lookup follows the frontier's key (corpus, kind, entity).
            var frontiers: [PushPlan.EntityKey: Set<Dot>] = [:]
            for (kind, ofKind) in Dictionary(grouping: keys, by: \.kind) {
                let names = ofKind.map(\.entity)
                let marks = Array(repeating: "?", count: names.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT entity, replica, seq FROM frontier WHERE corpus_id = ? AND kind = ? AND entity IN (\(marks))",
                    arguments: StatementArguments([corpusID, kind.rawValue] as [any DatabaseValueConvertible] + names))
                {
                    let key = PushPlan.EntityKey(kind: kind, entity: row["entity"])
                    frontiers[key, default: []].insert(try EntityCompaction.dot(replica: row["replica"], seq: row["seq"]))
                }
            }
            // Every stored version: those above the floor stay, but the entity's earliest may be one.
            var stored: [PushPlan.EntityKey: [EntityCompaction.Stored]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT position, kind, entity, replica, seq, json_extract(wire, '$.clock') AS clock,
                        json_extract(wire, '$.time') AS time FROM changes
                    WHERE corpus_id = ? AND entity IN (\(placeholders)) ORDER BY position
                    """, arguments: StatementArguments([corpusID] as [any DatabaseValueConvertible] + entities))
            {
                let key = try EntityCompaction.key(kind: row["kind"], entity: row["entity"])
                guard wanted.contains(key) else { continue }
                let dot = try EntityCompaction.dot(replica: row["replica"], seq: row["seq"])
                stored[key, default: []].append(
                    EntityCompaction.Stored(
                        position: row["position"], dot: dot, clock: try EntityCompaction.clock(row["clock"], of: "\(dot)"),
                        wall: try EntityCompaction.wall(row["time"], of: "\(dot)")))
            }
            var dropped: [Int64] = []
            for (key, versions) in stored {
                dropped += try EntityCompaction.droppable(stored: versions, floor: floor, frontier: frontiers[key] ?? [], entity: key.entity)
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM changes WHERE corpus_id = ? AND position = ?")
            for position in dropped { try delete.execute(arguments: [corpusID, position]) }
            return dropped.count
        }
    }

    func finishCompaction(corpusID: Int64, through floor: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE corpora SET compacted_through = MAX(compacted_through, ?) WHERE id = ?", arguments: [floor, corpusID])
        }
    }
}
