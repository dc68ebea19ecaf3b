import GlossCore
import GRDB

extension SQLiteStorage {
    public func recordSightings(_ sightings: [ReplicaSighting]) async throws {
        try await pool.write { db in
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO replica_progress (corpus_id, replica, user, pulled_position, last_seen_at)
                    SELECT id, ?, ?, ?, ? FROM corpora WHERE id = ?
                    ON CONFLICT (corpus_id, replica) DO UPDATE SET
                        user = excluded.user,
                        pulled_position = MAX(pulled_position, excluded.pulled_position),
                        last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
                        retired_at = NULL
                    """)
            for sighting in sightings {
                try upsert.execute(arguments: [
                    sighting.replica, sighting.user, sighting.pulledPosition ?? 0, sighting.at, sighting.corpusID,
                ])
            }
        }
    }

    public func replicaReport(corpus: String) async throws -> ReplicaReport {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, last_position FROM corpora WHERE name = ?", arguments: [corpus])
            else { throw StorageError.unknownCorpus(corpus) }
            return ReplicaReport(corpus: corpus, latestPosition: row["last_position"], replicas: try Self.progress(corpusID: row["id"], db))
        }
    }

    public func retireReplica(corpus: String, replica: String) async throws -> ReplicaProgress {
        try await pool.write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM corpora WHERE name = ?", arguments: [corpus])
            else { throw StorageError.unknownCorpus(corpus) }
            try db.execute(
                sql: "UPDATE replica_progress SET retired_at = COALESCE(retired_at, ?) WHERE corpus_id = ? AND replica = ?",
                arguments: [StoredValues.now(), id, replica])
            guard let retired = try Self.progress(corpusID: id, db).first(where: { $0.replica == replica })
            else { throw StorageError.unknownReplica(corpus: corpus, replica: replica) }
            return retired
        }
    }

    public func retireReplicas(silentSince cutoff: String) async throws -> [(corpus: String, replica: ReplicaProgress)] {
        try await pool.write { db in
            let silent = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.name, p.corpus_id, p.replica FROM replica_progress p JOIN corpora c ON c.id = p.corpus_id
                    WHERE p.retired_at IS NULL AND p.last_seen_at < ?
                    """, arguments: [cutoff])
            guard !silent.isEmpty else { return [] }
            let now = StoredValues.now()
            var retired: [(corpus: String, replica: ReplicaProgress)] = []
            for row in silent {
                let corpusID: Int64 = row["corpus_id"]
                let replica: String = row["replica"]
                try db.execute(
                    sql: "UPDATE replica_progress SET retired_at = ? WHERE corpus_id = ? AND replica = ?",
                    arguments: [now, corpusID, replica])
                if let progress = try Self.progress(corpusID: corpusID, replica: replica, db).first {
                    retired.append((row["name"], progress))
                }
            }
            return retired
        }
    }

    /// The progress rows of a corpus (or of one replica of it), with each one's pushed seq.
    static func progress(corpusID: Int64, replica: String? = nil, _ db: Database) throws -> [ReplicaProgress] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT p.replica, p.user, COALESCE(r.max_seq, 0) AS pushed, p.pulled_position, p.last_seen_at, p.retired_at
                FROM replica_progress p LEFT JOIN replicas r ON r.corpus_id = p.corpus_id AND r.replica = p.replica
                WHERE p.corpus_id = ? AND (? IS NULL OR p.replica = ?)
                """, arguments: [corpusID, replica, replica]
        ).map { row in
            ReplicaProgress(
                replica: row["replica"], user: row["user"], pushedSeq: row["pushed"], pulledPosition: row["pulled_position"],
                lastSeenAt: row["last_seen_at"], retiredAt: row["retired_at"])
        }
    }
}
