public import GlossCore
import Foundation
public import Logging
import PostgresNIO

/// gloss-server on PostgreSQL: several server processes share one database.
///
/// Every push takes its corpus's row `FOR UPDATE` before it takes positions, so pushes to
/// one corpus commit one after another, in position order: a pull's snapshot always holds
/// a gapless prefix of positions and never skips a change that commits late (see
/// docs/protocol.md). Pushed batches are written with one statement per table
/// (`unnest` of arrays), and a pull page is one query. Each push also notifies every
/// server's ``PostgresChangeFeed``, which wakes their long polls.
public final class PostgresStorage: Storage {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    private let feed: PostgresChangeFeed

    /// Connects (a pool, `postgres://user:password@host:port/database`) and applies the
    /// migrations; several processes starting at once take turns on an advisory lock.
    public init(url: String, logger: Logger = Logger(label: "gloss-server.postgres")) async throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        self.client = client
        self.logger = logger
        feed = PostgresChangeFeed(configuration: try PostgresURL.connectionConfiguration(url), logger: logger)
        runner = Task { await client.run() }
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit {
        feed.cancel()
        runner.cancel()
    }

    /// Closes the pool's connections and the change feed's, giving each at most 5 s: a
    /// connection that does not answer its close must not keep a stopping server alive
    /// (the process exits and the operating system closes what is left).
    public func shutdown() async {
        try? FileManager.default.removeItem(atPath: snapshotWorkFolder)
        let feed = self.feed
        if !(await BoundedWait.finish(Task { await feed.shutdown() }, within: .seconds(5))) {
            logger.warning("shutdown: the LISTEN connection did not close within 5 s; leaving it")
        }
        runner.cancel()
        if !(await BoundedWait.finish(runner, within: .seconds(5))) {
            logger.warning("shutdown: the connection pool did not close within 5 s; leaving it")
        }
    }

    /// Starts this process's `LISTEN` connection (once) and wakes `notifier`'s polls on every
    /// push that commits, through any server.
    public func deliverChanges(to notifier: ChangeNotifier) {
        feed.add(notifier)
    }

    static let migrationLock: Int64 = 0x676c_6f73_735f_6d67  // "gloss_mg"

    func migrate() async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS gloss_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)", logger: logger)
                var applied = Set<String>()
                for try await name in try await connection.query("SELECT name FROM gloss_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for migration in EmbeddedMigrations.serverPostgres where !applied.contains(migration.name) {
                    // The script and its record in one transaction: applied entirely or not at all.
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in SQLScript.statements(migration.sql) {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query(
                            "INSERT INTO gloss_migrations (name, applied_at) VALUES (\(migration.name), \(StoredValues.now()))", logger: logger)
                    }
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
        }
    }

    /// Runs `body` in a transaction, rethrowing the body's own error rather than the wrapper's.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    public func createCorpus(name: String) async throws -> Corpus {
        guard Names.isValid(name) else { throw StorageError.invalidName(name) }
        let created = StoredValues.now()
        let rows = try await client.query(
            """
            INSERT INTO corpora (name, created_at, epoch) VALUES (\(name), \(created), \(StoredValues.newEpoch()))
            ON CONFLICT (name) DO NOTHING RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) {
            return Corpus(id: id, name: name, createdAt: created, changes: 0, latestPosition: 0, floor: 0)
        }
        throw StorageError.corpusExists(name)
    }

    public func corpora(named name: String?) async throws -> [Corpus] {
        try await Self.corpora(
            client.query(
                """
                SELECT id, name, created_at, last_position, floor, (SELECT COUNT(*) FROM changes x WHERE x.corpus_id = c.id)
                FROM corpora c WHERE \(name)::text IS NULL OR name = \(name) ORDER BY name
                """, logger: logger))
    }

    /// Corpora from rows of id, name, created_at, last_position, floor and the count of stored changes.
    static func corpora(_ rows: PostgresRowSequence) async throws -> [Corpus] {
        var result: [Corpus] = []
        for try await (id, name, created, last, floor, stored) in rows.decode((Int64, String, String, Int64, Int64, Int64).self) {
            result.append(Corpus(id: id, name: name, createdAt: created, changes: stored, latestPosition: last, floor: floor))
        }
        return result
    }

    public func createToken(corpus: String, user: String, scope: Scope, hash: String) async throws -> TokenRecord {
        guard Names.isValid(user) else { throw StorageError.invalidName(user) }
        let created = StoredValues.now()
        let rows = try await client.query(
            """
            INSERT INTO tokens (corpus_id, user_name, scope, hash, created_at)
            SELECT id, \(user), \(scope.rawValue), \(hash), \(created) FROM corpora WHERE name = \(corpus) RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) {
            return TokenRecord(id: id, corpus: corpus, user: user, scope: scope, createdAt: created, revokedAt: nil)
        }
        throw StorageError.unknownCorpus(corpus)
    }

    static func tokens(_ rows: PostgresRowSequence) async throws -> [TokenRecord] {
        var result: [TokenRecord] = []
        for try await (id, corpus, user, scope, created, revoked) in rows.decode((Int64, String, String, String, String, String?).self) {
            result.append(
                TokenRecord(id: id, corpus: corpus, user: user, scope: try Scope.stored(scope), createdAt: created, revokedAt: revoked))
        }
        return result
    }

    public func tokens(corpus: String?) async throws -> [TokenRecord] {
        guard let corpus else {
            return try await Self.tokens(
                client.query(
                    "SELECT t.id, c.name, t.user_name, t.scope, t.created_at, t.revoked_at FROM tokens t JOIN corpora c ON c.id = t.corpus_id ORDER BY t.id",
                    logger: logger))
        }
        return try await Self.tokens(
            client.query(
                """
                SELECT t.id, c.name, t.user_name, t.scope, t.created_at, t.revoked_at FROM tokens t JOIN corpora c ON c.id = t.corpus_id
                WHERE c.name = \(corpus) ORDER BY t.id
                """, logger: logger))
    }

    public func revokeToken(id: Int64) async throws -> TokenRecord {
        try await client.query(
            "UPDATE tokens SET revoked_at = COALESCE(revoked_at, \(StoredValues.now())) WHERE id = \(id)", logger: logger)
        let rows = try await client.query(
            """
            SELECT t.id, c.name, t.user_name, t.scope, t.created_at, t.revoked_at FROM tokens t JOIN corpora c ON c.id = t.corpus_id
            WHERE t.id = \(id)
            """, logger: logger)
        guard let token = try await Self.tokens(rows).first
        else { throw StorageError.unknownToken(id) }
        return token
    }

    public func deleteCorpus(name: String) async throws -> Corpus {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT id, name, created_at, last_position, floor, (SELECT COUNT(*) FROM changes x WHERE x.corpus_id = c.id)
                FROM corpora c WHERE name = \(name) FOR UPDATE
                """, logger: logger)
            guard let corpus = try await Self.corpora(rows).first else { throw StorageError.unknownCorpus(name) }
            // Foreign keys cascade too; deleting explicitly keeps this correct without them.
            try await connection.query("DELETE FROM snapshots WHERE corpus_id = \(corpus.id)", logger: logger)
            try await connection.query("DELETE FROM frontier WHERE corpus_id = \(corpus.id)", logger: logger)
            try await connection.query("DELETE FROM changes WHERE corpus_id = \(corpus.id)", logger: logger)
            try await connection.query("DELETE FROM replica_progress WHERE corpus_id = \(corpus.id)", logger: logger)
            try await connection.query("DELETE FROM replicas WHERE corpus_id = \(corpus.id)", logger: logger)
            try await connection.query("DELETE FROM tokens WHERE corpus_id = \(corpus.id)", logger: logger)
            try await connection.query("DELETE FROM corpora WHERE id = \(corpus.id)", logger: logger)
            return corpus
        }
    }

    public func grant(forTokenHash hash: String) async throws -> Grant? {
        let rows = try await client.query(
            """
            SELECT c.id, c.name, c.epoch, t.user_name, t.scope, t.hash FROM tokens t JOIN corpora c ON c.id = t.corpus_id
            WHERE t.hash = \(hash) AND t.revoked_at IS NULL
            """, logger: logger)
        for try await (id, corpus, epoch, user, scope, stored) in rows.decode((Int64, String, String, String, String, String).self)
        where Tokens.constantTimeEqual(stored, hash) {
            return Grant(corpusID: id, corpus: corpus, user: user, scope: try Scope.stored(scope), epoch: epoch)
        }
        return nil
    }

    public func push(corpusID: Int64, user: String, replica: ReplicaID, seen: PullPosition?, changes: [IncomingChange]) async throws
        -> PushResult
    {
        try await transaction { connection in
            // Pushes to one corpus take turns here, and with a compaction's steps; see the
            // type's documentation.
            var corpus: (name: String, last: Int64, floor: Int64, epoch: String)?
            for try await row in try await connection.query(
                "SELECT name, last_position, floor, epoch FROM corpora WHERE id = \(corpusID) FOR UPDATE", logger: logger
            ).decode((String, Int64, Int64, String).self) { corpus = row }
            guard let corpus else { throw StorageError.unknownCorpus(String(corpusID)) }
            let last = corpus.last

            var owner: (user: String, maxSeq: UInt64)?
            for try await (owningUser, maxSeq) in try await connection.query(
                "SELECT user_name, max_seq FROM replicas WHERE corpus_id = \(corpusID) AND replica = \(replica.description)", logger: logger
            ).decode((String, Int64).self) { owner = (owningUser, UInt64(maxSeq)) }

            var held: [ReplicaID: UInt64] = [:]
            let named = CausalChecks.namedReplicas(in: changes, pusher: replica).map(\.description)
            if !named.isEmpty {
                for try await (name, maxSeq) in try await connection.query(
                    "SELECT replica, max_seq FROM replicas WHERE corpus_id = \(corpusID) AND replica = ANY(\(named))", logger: logger
                ).decode((String, Int64).self) {
                    if let id = ReplicaID(name) { held[id] = UInt64(maxSeq) }
                }
            }
            let entities = PushPlan.entities(of: changes)
            var stored: [PushPlan.EntityKey: Frontier] = [:]
            for try await (kindName, entity, replicaName, seq, clockText) in try await connection.query(
                "SELECT kind, entity, replica, seq, clock FROM frontier WHERE corpus_id = \(corpusID) AND entity = ANY(\(entities))",
                logger: logger
            ).decode((String, String, String, Int64, String).self) {
                guard let kind = EntityKind(rawValue: kindName), let id = ReplicaID(replicaName),
                    let json = try? JSONParser.parse(clockText), let clock = VectorClock(json: json)
                else { throw StorageError.corruptRecord("the frontier row of entity \(entity) is unreadable") }
                let version = Version(dot: Dot(replica: id, seq: UInt64(seq)), clock: clock, timestamp: .zero, content: nil)
                stored[PushPlan.EntityKey(kind: kind, entity: entity), default: Frontier()].insert(version)
            }

            var storedWires: [UInt64: String] = [:]
            if let seqs = PushPlan.duplicateSeqs(of: changes, maxSeq: owner?.maxSeq ?? 0) {
                let low = Int64(seqs.lowerBound)
                let high = Int64(seqs.upperBound)
                for try await (seq, wire) in try await connection.query(
                    """
                    SELECT seq, wire FROM changes
                    WHERE corpus_id = \(corpusID) AND replica = \(replica.description) AND seq BETWEEN \(low) AND \(high)
                    """, logger: logger
                ).decode((Int64, String).self) { storedWires[UInt64(seq)] = wire }
            }
            let plan = try PushPlan.make(
                user: user, replica: replica, changes: changes, owner: owner, held: held, stored: stored, storedWires: storedWires)
            let maxSeq = plan.fresh.last?.change.dot.seq ?? owner?.maxSeq ?? 0
            var result = PushResult(stored: plan.fresh.count, duplicates: plan.duplicates, maxSeq: maxSeq, concurrent: plan.concurrent)
            guard !plan.fresh.isEmpty else { return result }
            // Under the corpus row's lock, so no compaction raises the floor between this check
            // and the commit. A retried batch that stores nothing new is answered as before.
            try FloorRule.check(seen: seen, corpus: corpus.name, floor: corpus.floor, epoch: corpus.epoch)
            result.position = last + Int64(plan.fresh.count)

            let positions = (1...Int64(plan.fresh.count)).map { last + $0 }
            let seqs = plan.fresh.map { Int64($0.change.dot.seq) }
            let kinds = plan.fresh.map(\.change.kind.rawValue)
            let changed = plan.fresh.map(\.change.entity)
            let wires = plan.fresh.map(\.wire)
            let received = StoredValues.now()
            try await connection.query(
                """
                INSERT INTO changes (corpus_id, position, replica, seq, kind, entity, wire, received_at)
                SELECT \(corpusID), p, \(replica.description), s, k, e, w, \(received)
                FROM unnest(\(positions)::bigint[], \(seqs)::bigint[], \(kinds)::text[], \(changed)::text[], \(wires)::text[]) AS t(p, s, k, e, w)
                """, logger: logger)
            try await connection.query(
                "UPDATE corpora SET last_position = \(last + Int64(plan.fresh.count)) WHERE id = \(corpusID)", logger: logger)
            // Delivered to every server's LISTEN connection when (and only if) this commits.
            let payload = PostgresChangeFeed.payload(corpusID: corpusID, position: last + Int64(plan.fresh.count))
            try await connection.query("SELECT pg_notify(\(PostgresChangeFeed.channel), \(payload))", logger: logger)
            try await connection.query(
                """
                INSERT INTO replicas (corpus_id, replica, user_name, max_seq) VALUES (\(corpusID), \(replica.description), \(user), \(Int64(maxSeq)))
                ON CONFLICT (corpus_id, replica) DO UPDATE SET max_seq = EXCLUDED.max_seq
                """, logger: logger)

            let touched = plan.frontiers.map(\.key.entity)
            var rows: (entities: [String], kinds: [String], replicas: [String], seqs: [Int64], clocks: [String]) = ([], [], [], [], [])
            for (key, frontier) in plan.frontiers {
                for version in frontier.versions {
                    rows.entities.append(key.entity)
                    rows.kinds.append(key.kind.rawValue)
                    rows.replicas.append(version.dot.replica.description)
                    rows.seqs.append(Int64(version.dot.seq))
                    rows.clocks.append(CanonicalJSON.string(version.clock.json))
                }
            }
            try await connection.query("DELETE FROM frontier WHERE corpus_id = \(corpusID) AND entity = ANY(\(touched))", logger: logger)
            try await connection.query(
                """
                INSERT INTO frontier (corpus_id, entity, kind, replica, seq, clock)
                SELECT \(corpusID), e, k, r, s, c
                FROM unnest(\(rows.entities)::text[], \(rows.kinds)::text[], \(rows.replicas)::text[], \(rows.seqs)::bigint[], \(rows.clocks)::text[])
                    AS t(e, k, r, s, c)
                """, logger: logger)
            return result
        }
    }

    public func pull(corpusID: Int64, after: Int64, limit: Int, maxBytes: Int, excluding: ReplicaID?) async throws -> PullPage {
        let excluded = excluding?.description ?? ""  // no replica id is empty
        // Every row of the result is received, so the query itself stops after `limit + 1`
        // rows to send (counted by a running count), not only after the scan limit.
        // The corpus row (latest position in `position`, floor in `floor`) comes first, in the
        // same statement: one snapshot, so they are those of the page.
        let rows = try await client.query(
            """
            SELECT 0 AS part, last_position AS position, '' AS replica, NULL::text AS wire, floor FROM corpora WHERE id = \(corpusID)
            UNION ALL
            SELECT 1, position, replica, wire, 0 FROM (
                SELECT position, replica, CASE WHEN replica = \(excluded) THEN NULL ELSE wire END AS wire,
                       count(*) FILTER (WHERE replica <> \(excluded)) OVER (ORDER BY position) AS sent
                FROM changes WHERE corpus_id = \(corpusID) AND position > \(after) ORDER BY position
                LIMIT \(Int64(PullPageBuilder.scanLimit(limit: limit) + 1))
            ) AS scanned WHERE sent <= \(Int64(limit + 1))
            ORDER BY part, position
            """,
            logger: logger)
        var builder = PullPageBuilder(after: after, limit: limit, maxBytes: maxBytes, excluding: excluding?.description)
        var full = false
        var corpus: (latest: Int64, floor: Int64) = (0, 0)
        for try await (part, position, replica, wire, floor) in rows.decode((Int32, Int64, String, String?, Int64).self) {
            if part == 0 {
                corpus = (position, floor)
                continue
            }
            // The rest of the result is drained, not used.
            if !full { full = !builder.add(position: position, replica: replica, wire: wire) }
        }
        var page = builder.page
        page.latest = corpus.latest
        page.floor = corpus.floor
        return page
    }

    public func renewEpochs() async throws -> [Corpus] {
        try await transaction { connection in
            var ids: [Int64] = []
            for try await id in try await connection.query("SELECT id FROM corpora FOR UPDATE", logger: logger).decode(Int64.self) {
                ids.append(id)
            }
            for id in ids {
                try await connection.query("UPDATE corpora SET epoch = \(StoredValues.newEpoch()) WHERE id = \(id)", logger: logger)
            }
            // Snapshots and what replicas have seen count positions of the old history, which
            // will be taken again (chunks cascade).
            try await connection.query("DELETE FROM snapshots", logger: logger)
            try await connection.query("UPDATE replica_progress SET pulled_position = 0", logger: logger)
        }
        return try await corpora()
    }

    public func latestPosition(corpusID: Int64) async throws -> Int64 {
        for try await position in try await client.query(
            "SELECT last_position FROM corpora WHERE id = \(corpusID)", logger: logger
        ).decode(Int64.self) { return position }
        return 0
    }

    public func check() async throws -> [String] {
        var problems: [String] = []
        for try await (name, last, floor, compacted, count, top) in try await client.query(
            """
            SELECT c.name, c.last_position, c.floor, c.compacted_through, COUNT(x.position), COALESCE(MAX(x.position), 0)
            FROM corpora c LEFT JOIN changes x ON x.corpus_id = c.id GROUP BY c.id
            """, logger: logger
        ).decode((String, Int64, Int64, Int64, Int64, Int64).self) {
            problems += StoredCounts.corpusProblems(
                name: name, last: last, floor: floor, compactedThrough: compacted, stored: count, top: top)
        }
        for try await (replica, maxSeq, floor, count, top) in try await client.query(
            """
            SELECT r.replica, r.max_seq, c.floor, COUNT(x.seq), COALESCE(MAX(x.seq), 0) FROM replicas r
            JOIN corpora c ON c.id = r.corpus_id
            LEFT JOIN changes x ON x.corpus_id = r.corpus_id AND x.replica = r.replica GROUP BY r.corpus_id, r.replica, r.max_seq, c.floor
            """, logger: logger
        ).decode((String, Int64, Int64, Int64, Int64).self) {
            problems += StoredCounts.replicaProblems(replica: replica, maxSeq: maxSeq, floor: floor, stored: count, top: top)
        }
        for try await (name, replica, pulled, last) in try await client.query(
            """
            SELECT c.name, p.replica, p.pulled_position, c.last_position FROM replica_progress p
            JOIN corpora c ON c.id = p.corpus_id WHERE p.pulled_position > c.last_position
            """, logger: logger
        ).decode((String, String, Int64, Int64).self) {
            problems.append(
                "replica \(replica) of corpus \(name): recorded as having seen position \(pulled), beyond the latest \(last)")
        }
        for try await (replica, seq, wire) in try await client.query("SELECT replica, seq, wire FROM changes", logger: logger)
            .decode((String, Int64, String).self)
        {
            guard let json = try? JSONParser.parse(wire), let change = try? Change(json: json),
                change.dot.replica.description == replica, change.dot.seq == UInt64(seq)
            else {
                problems.append("change \(replica):\(seq) is unreadable")
                continue
            }
        }
        return problems + (try await snapshotProblems())
    }
}
