import GlossCore
import PostgresNIO

/// Compaction on PostgreSQL (see ``Compactor``). Raising the floor and each batch of entities
/// take the corpus row `FOR UPDATE`, as pushes do, so no push interleaves with a batch and a
/// push's floor check sees either the old floor or the new one, never a batch half done.
/// Compactions of one corpus take turns across servers on an advisory lock; one that finds
/// it held does nothing (the other does the same work).
extension PostgresStorage: CompactionSteps {
    /// The first key of the per-corpus compaction lock (`pg_try_advisory_lock(key, corpus)`): "glsc".
    static let compactionLockKey: Int32 = 0x676c_7363

    public func compact(corpus: String) async throws -> CompactionReport {
        try await Compactor.run(self, corpus: corpus)
    }

    func compactionState(corpus: String) async throws -> CompactionState? {
        for try await (id, floor, compacted, stored) in try await client.query(
            """
            SELECT id, floor, compacted_through, (SELECT COUNT(*) FROM changes x WHERE x.corpus_id = c.id)
            FROM corpora c WHERE name = \(corpus)
            """, logger: logger
        ).decode((Int64, Int64, Int64, Int64).self) {
            return CompactionState(corpusID: id, floor: floor, compactedThrough: compacted, stored: stored)
        }
        return nil
    }

    func raiseFloor(corpusID: Int64, to floor: Int64) async throws -> (floor: Int64, snapshotDeleted: Bool) {
        try await transaction { connection in
            try await lockCorpus(corpusID, connection)
            var raised: Int64?
            for try await value in try await connection.query(
                "UPDATE corpora SET floor = GREATEST(floor, \(floor)) WHERE id = \(corpusID) RETURNING floor", logger: logger
            ).decode(Int64.self) { raised = value }
            guard let raised else { throw StorageError.unknownCorpus(String(corpusID)) }
            // A replica adopting a snapshot below the floor would be behind it at once, and one at
            // the floor holds the versions about to be dropped (chunks cascade). An upload in progress is left alone: it is refused when it completes.
            var deleted = false
            for try await _ in try await connection.query(
                "DELETE FROM snapshots WHERE corpus_id = \(corpusID) AND complete AND position <= \(raised) RETURNING id", logger: logger
            ).decode(Int64.self) { deleted = true }
            return (raised, deleted)
        }
    }

    func changedEntities(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws
        -> [(position: Int64, key: PushPlan.EntityKey)]
    {
        var result: [(position: Int64, key: PushPlan.EntityKey)] = []
        for try await (position, kind, entity) in try await client.query(
            """
            SELECT position, kind, entity FROM changes WHERE corpus_id = \(corpusID) AND position > \(after) AND position <= \(upTo)
            ORDER BY position LIMIT \(Int64(limit))
            """, logger: logger
        ).decode((Int64, String, String).self) {
            result.append((position, try EntityCompaction.key(kind: kind, entity: entity)))
        }
        return result
    }

    func compactEntities(corpusID: Int64, _ keys: [PushPlan.EntityKey], through floor: Int64) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let wanted = Set(keys)
        let entities = Array(Set(keys.map(\.entity)))
        return try await transaction { connection in
            try await lockCorpus(corpusID, connection)
            var frontiers: [PushPlan.EntityKey: Set<Dot>] = [:]
            for try await (kind, entity, replica, seq) in try await connection.query(
                "SELECT kind, entity, replica, seq FROM frontier WHERE corpus_id = \(corpusID) AND entity = ANY(\(entities))", logger: logger
            ).decode((String, String, String, Int64).self) {
                let key = try EntityCompaction.key(kind: kind, entity: entity)
                frontiers[key, default: []].insert(try EntityCompaction.dot(replica: replica, seq: seq))
            }
            // Every stored version: those above the floor stay, but the entity's earliest may be one.
            var stored: [PushPlan.EntityKey: [EntityCompaction.Stored]] = [:]
            for try await (position, kind, entity, replica, seq, clock, time) in try await connection.query(
                """
                SELECT position, kind, entity, replica, seq, (wire::jsonb -> 'clock')::text, wire::jsonb ->> 'time' FROM changes
                WHERE corpus_id = \(corpusID) AND entity = ANY(\(entities)) ORDER BY position
                """, logger: logger
            ).decode((Int64, String, String, String, Int64, String?, String?).self) {
                let key = try EntityCompaction.key(kind: kind, entity: entity)
                guard wanted.contains(key) else { continue }
                let dot = try EntityCompaction.dot(replica: replica, seq: seq)
                stored[key, default: []].append(
                    EntityCompaction.Stored(
                        position: position, dot: dot, clock: try EntityCompaction.clock(clock, of: "\(dot)"),
                        wall: try EntityCompaction.wall(time, of: "\(dot)")))
            }
            var dropped: [Int64] = []
            for (key, versions) in stored {
                dropped += try EntityCompaction.droppable(stored: versions, floor: floor, frontier: frontiers[key] ?? [], entity: key.entity)
            }
            if !dropped.isEmpty {
                try await connection.query(
                    "DELETE FROM changes WHERE corpus_id = \(corpusID) AND position = ANY(\(dropped))", logger: logger)
            }
            return dropped.count
        }
    }

    func finishCompaction(corpusID: Int64, through floor: Int64) async throws {
        try await client.query(
            "UPDATE corpora SET compacted_through = GREATEST(compacted_through, \(floor)) WHERE id = \(corpusID)", logger: logger)
    }

    func withCompactionLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T? {
        // A session lock, as the snapshot build lock: held by this connection across servers,
        // released when unlocked or when the connection ends (a server that dies).
        try await client.withConnection { connection in
            let key = Int32(truncatingIfNeeded: corpusID)
            var locked = false
            for try await value in try await connection.query(
                "SELECT pg_try_advisory_lock(\(Self.compactionLockKey), \(key))", logger: logger
            ).decode(Bool.self) { locked = value }
            guard locked else { return nil }
            do {
                let value = try await body()
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.compactionLockKey), \(key))", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.compactionLockKey), \(key))", logger: logger)
                throw error
            }
        }
    }

    /// Takes the corpus row `FOR UPDATE`: pushes to the corpus wait until the transaction ends.
    private func lockCorpus(_ corpusID: Int64, _ connection: PostgresConnection) async throws {
        var found = false
        for try await _ in try await connection.query("SELECT id FROM corpora WHERE id = \(corpusID) FOR UPDATE", logger: logger)
            .decode(Int64.self)
        { found = true }
        guard found else { throw StorageError.unknownCorpus(String(corpusID)) }
    }
}
