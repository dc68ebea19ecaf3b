import Foundation
import GRDB
import PostgresNIO

/// Copies everything from the embedded SQLite storage into an empty PostgreSQL one:
/// corpora with their positions, epochs and compaction floors, tokens (their hashes, ids
/// and revocations), replicas with what each has seen, changes and frontiers. Replicas and tokens carry on unchanged against the
/// new storage: their cursors, epochs and pushed marks still hold.
public enum StorageMigration {
    /// What was copied.
    public struct Summary: Sendable, Hashable {
        public var corpora = 0
        public var tokens = 0
        public var replicas = 0
        public var changes = 0
    }

    /// Why the copy did not start.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case targetNotEmpty(corpora: Int)

        public var description: String {
            switch self {
            case .targetNotEmpty(let count):
                return "the PostgreSQL database already holds \(count) corpora; migrate into an empty database"
            }
        }
    }

    /// Rows per statement when copying changes and frontiers.
    static let chunk = 2_000

    /// Copies `source` into `target` in one PostgreSQL transaction: all or nothing.
    public static func copy(from source: SQLiteStorage, to target: PostgresStorage) async throws -> Summary {
        var summary = Summary()
        let existing = try await target.corpora().count
        guard existing == 0 else { throw Failure.targetNotEmpty(corpora: existing) }
        let logger = target.logger
        try await target.transaction { connection in
            let corpora = try source.pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT id, name, created_at, last_position, epoch, floor, compacted_through FROM corpora ORDER BY id")
            }
            for row in corpora {
                let id: Int64 = row["id"]
                let name: String = row["name"]
                let created: String = row["created_at"]
                let last: Int64 = row["last_position"]
                let epoch: String = row["epoch"]
                // A compacted corpus keeps its floor: replicas behind it are still refused.
                let floor: Int64 = row["floor"]
                let compacted: Int64 = row["compacted_through"]
                try await connection.query(
                    """
                    INSERT INTO corpora (id, name, created_at, last_position, epoch, floor, compacted_through)
                    VALUES (\(id), \(name), \(created), \(last), \(epoch), \(floor), \(compacted))
                    """,
                    logger: logger)
            }
            summary.corpora = corpora.count
            let tokens = try source.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, corpus_id, user, scope, hash, created_at, revoked_at FROM tokens ORDER BY id")
            }
            for row in tokens {
                let id: Int64 = row["id"]
                let corpus: Int64 = row["corpus_id"]
                let user: String = row["user"]
                let scope: String = row["scope"]
                let hash: String = row["hash"]
                let created: String = row["created_at"]
                let revoked: String? = row["revoked_at"]
                try await connection.query(
                    """
                    INSERT INTO tokens (id, corpus_id, user_name, scope, hash, created_at, revoked_at)
                    VALUES (\(id), \(corpus), \(user), \(scope), \(hash), \(created), \(revoked))
                    """, logger: logger)
            }
            summary.tokens = tokens.count
            // Later ids continue after the copied ones.
            try await connection.query("SELECT setval('corpora_id_seq', GREATEST(COALESCE(MAX(id), 0), 1)) FROM corpora", logger: logger)
            try await connection.query("SELECT setval('tokens_id_seq', GREATEST(COALESCE(MAX(id), 0), 1)) FROM tokens", logger: logger)

            let replicas = try source.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT corpus_id, replica, user, max_seq FROM replicas")
            }
            for row in replicas {
                let corpus: Int64 = row["corpus_id"]
                let replica: String = row["replica"]
                let user: String = row["user"]
                let maxSeq: Int64 = row["max_seq"]
                try await connection.query(
                    "INSERT INTO replicas (corpus_id, replica, user_name, max_seq) VALUES (\(corpus), \(replica), \(user), \(maxSeq))",
                    logger: logger)
            }
            summary.replicas = replicas.count

            // What each replica has seen: without it the horizon would jump to the latest
            // position, and the next compaction would leave every replica behind its floor.
            let progress = try source.pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT corpus_id, replica, user, pulled_position, last_seen_at, retired_at FROM replica_progress")
            }
            for row in progress {
                let corpus: Int64 = row["corpus_id"]
                let replica: String = row["replica"]
                let user: String = row["user"]
                let pulled: Int64 = row["pulled_position"]
                let seen: String = row["last_seen_at"]
                let retired: String? = row["retired_at"]
                try await connection.query(
                    """
                    INSERT INTO replica_progress (corpus_id, replica, user_name, pulled_position, last_seen_at, retired_at)
                    VALUES (\(corpus), \(replica), \(user), \(pulled), \(seen), \(retired))
                    """, logger: logger)
            }

            // Changes, a chunk at a time in key order, so memory stays bounded by the chunk.
            var after: (corpus: Int64, position: Int64) = (0, 0)
            while true {
                let rows = try source.pool.read { [after] db in
                    try Row.fetchAll(
                        db,
                        sql: """
                            SELECT corpus_id, position, replica, seq, kind, entity, wire, received_at FROM changes
                            WHERE (corpus_id, position) > (?, ?) ORDER BY corpus_id, position LIMIT ?
                            """, arguments: [after.corpus, after.position, chunk])
                }
                guard let last = rows.last else { break }
                let corpora: [Int64] = rows.map { $0["corpus_id"] }
                let positions: [Int64] = rows.map { $0["position"] }
                let replicaNames: [String] = rows.map { $0["replica"] }
                let seqs: [Int64] = rows.map { $0["seq"] }
                let kinds: [String] = rows.map { $0["kind"] }
                let entities: [String] = rows.map { $0["entity"] }
                let wires: [String] = rows.map { $0["wire"] }
                let received: [String] = rows.map { $0["received_at"] }
                try await connection.query(
                    """
                    INSERT INTO changes (corpus_id, position, replica, seq, kind, entity, wire, received_at)
                    SELECT * FROM unnest(\(corpora)::bigint[], \(positions)::bigint[], \(replicaNames)::text[], \(seqs)::bigint[],
                        \(kinds)::text[], \(entities)::text[], \(wires)::text[], \(received)::text[])
                    """, logger: logger)
                summary.changes += rows.count
                after = (last["corpus_id"], last["position"])
            }

            let frontier = try source.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT corpus_id, kind, entity, replica, seq, clock FROM frontier")
            }
            for start in stride(from: 0, to: frontier.count, by: chunk) {
                let rows = frontier[start..<min(start + chunk, frontier.count)]
                let corpora: [Int64] = rows.map { $0["corpus_id"] }
                let entities: [String] = rows.map { $0["entity"] }
                let kinds: [String] = rows.map { $0["kind"] }
                let replicaNames: [String] = rows.map { $0["replica"] }
                let seqs: [Int64] = rows.map { $0["seq"] }
                let clocks: [String] = rows.map { $0["clock"] }
                try await connection.query(
                    """
                    INSERT INTO frontier (corpus_id, entity, kind, replica, seq, clock)
                    SELECT * FROM unnest(\(corpora)::bigint[], \(entities)::text[], \(kinds)::text[], \(replicaNames)::text[],
                        \(seqs)::bigint[], \(clocks)::text[])
                    """, logger: logger)
            }
        }
        return summary
    }
}
