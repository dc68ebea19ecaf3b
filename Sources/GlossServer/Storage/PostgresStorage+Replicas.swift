import GlossCore
import PostgresNIO

extension PostgresStorage {
    public func recordSightings(_ sightings: [ReplicaSighting]) async throws {
        // One statement for the batch; rows sorted so concurrent servers lock them in one order.
        let sorted = sightings.sorted { ($0.corpusID, $0.replica) < ($1.corpusID, $1.replica) }
        let corpora = sorted.map(\.corpusID)
        let replicas = sorted.map(\.replica)
        let users = sorted.map(\.user)
        let positions = sorted.map { $0.pulledPosition ?? 0 }
        let times = sorted.map(\.at)
        try await client.query(
            """
            INSERT INTO replica_progress (corpus_id, replica, user_name, pulled_position, last_seen_at)
            SELECT s.corpus_id, s.replica, s.user_name, s.pulled_position, s.last_seen_at
            FROM unnest(\(corpora)::bigint[], \(replicas)::text[], \(users)::text[], \(positions)::bigint[], \(times)::text[])
                AS s (corpus_id, replica, user_name, pulled_position, last_seen_at)
            WHERE EXISTS (SELECT 1 FROM corpora c WHERE c.id = s.corpus_id)
            ON CONFLICT (corpus_id, replica) DO UPDATE SET
                user_name = excluded.user_name,
                pulled_position = GREATEST(replica_progress.pulled_position, excluded.pulled_position),
                last_seen_at = GREATEST(replica_progress.last_seen_at, excluded.last_seen_at),
                retired_at = NULL
            """, logger: logger)
    }

    public func replicaReport(corpus: String) async throws -> ReplicaReport {
        guard let (id, latest) = try await corpusRow(corpus) else { throw StorageError.unknownCorpus(corpus) }
        return ReplicaReport(corpus: corpus, latestPosition: latest, replicas: try await progress(corpusID: id))
    }

    public func retireReplica(corpus: String, replica: String) async throws -> ReplicaProgress {
        guard let (id, _) = try await corpusRow(corpus) else { throw StorageError.unknownCorpus(corpus) }
        try await client.query(
            """
            UPDATE replica_progress SET retired_at = COALESCE(retired_at, \(StoredValues.now()))
            WHERE corpus_id = \(id) AND replica = \(replica)
            """, logger: logger)
        guard let retired = try await progress(corpusID: id, replica: replica).first
        else { throw StorageError.unknownReplica(corpus: corpus, replica: replica) }
        return retired
    }

    public func retireReplicas(silentSince cutoff: String) async throws -> [(corpus: String, replica: ReplicaProgress)] {
        var retired: [(corpus: String, replica: ReplicaProgress)] = []
        let rows = try await client.query(
            """
            UPDATE replica_progress p SET retired_at = \(StoredValues.now())
            FROM corpora c WHERE c.id = p.corpus_id AND p.retired_at IS NULL AND p.last_seen_at < \(cutoff)
            RETURNING c.name, p.corpus_id, p.replica
            """, logger: logger)
        var named: [(String, Int64, String)] = []
        for try await row in rows.decode((String, Int64, String).self) { named.append(row) }
        for (corpus, corpusID, replica) in named {
            if let progress = try await progress(corpusID: corpusID, replica: replica).first { retired.append((corpus, progress)) }
        }
        return retired
    }

    private func corpusRow(_ name: String) async throws -> (id: Int64, latest: Int64)? {
        for try await row in try await client.query(
            "SELECT id, last_position FROM corpora WHERE name = \(name)", logger: logger
        ).decode((Int64, Int64).self) { return row }
        return nil
    }

    /// The progress rows of a corpus (or of one replica of it), with each one's pushed seq.
    private func progress(corpusID: Int64, replica: String? = nil) async throws -> [ReplicaProgress] {
        var result: [ReplicaProgress] = []
        let rows = try await client.query(
            """
            SELECT p.replica, p.user_name, COALESCE(r.max_seq, 0), p.pulled_position, p.last_seen_at, p.retired_at
            FROM replica_progress p LEFT JOIN replicas r ON r.corpus_id = p.corpus_id AND r.replica = p.replica
            WHERE p.corpus_id = \(corpusID) AND (\(replica)::text IS NULL OR p.replica = \(replica))
            """, logger: logger)
        for try await (replica, user, pushed, pulled, seen, retired) in rows.decode((String, String, Int64, Int64, String, String?).self) {
            result.append(
                ReplicaProgress(
                    replica: replica, user: user, pushedSeq: pushed, pulledPosition: pulled, lastSeenAt: seen, retiredAt: retired))
        }
        return result
    }
}
