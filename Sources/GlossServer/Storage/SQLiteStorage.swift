public import GlossCore
public import GlossFileModes
import Foundation
import GRDB

/// The embedded default: one SQLite database (WAL) in the data folder.
///
/// SQLite has one writer at a time, so taking the corpus's next positions inside the
/// pushing transaction numbers changes in commit order: a pull can never skip a change
/// that commits late.
public final class SQLiteStorage: Storage {
    let pool: DatabasePool
    public let path: String
    /// The data folder and its database files that other users could read or write when
    /// this storage opened them, each tightened (0700, 0600) or left as it was and why.
    /// Empty when all were private; ``check()`` reports each as a problem.
    public let loosePermissions: [LoosePermissions]

    /// Opens (creating if needed) `gloss.sqlite` in `directory` and applies migrations.
    ///
    /// The data holds every corpus, so, as PostgreSQL does with its data directory, a
    /// folder made here is 0700 and the database files 0600; existing ones open to other
    /// users are tightened (see ``loosePermissions``).
    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("gloss.sqlite")
        self.path = path
        try OwnerOnly.createFolder(directory)
        // Before SQLite opens the database, so the -wal and -shm it makes are 0600 too.
        loosePermissions = OwnerOnly.tighten([directory, path, path + "-wal", path + "-shm"])
        _ = try OwnerOnly.createFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Readers serve pull pages, which read changes in position order: little is read
            // twice, so 1 MiB each (not SQLite's 2 MB) bounds the pool's caches without
            // costing time; the writer keeps the default for the frontier lookups of pushes.
            if db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -1024") }
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.serverSqlite {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }

    /// Copies the whole database into a new file with SQLite's online backup: a
    /// consistent snapshot, taken while servers keep serving.
    public func backup(to file: String) throws {
        // A backup holds what the data folder holds: 0600 from the start, like it.
        guard try OwnerOnly.createFile(file) else { throw StorageError.backupExists(file) }
        do {
            let target = try DatabaseQueue(path: file)
            try pool.backup(to: target)
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: file)
            throw error
        }
    }

    /// Replaces everything with the contents of a backup made by ``backup(to:)``, brings
    /// its schema up to date, and gives every corpus a new epoch: positions after the
    /// backup will be taken again by other changes, and the new epoch tells replicas to
    /// pull from the start instead of skipping those.
    /// - Returns: the corpora restored.
    public func restore(from file: String) throws -> [Corpus] {
        guard FileManager.default.fileExists(atPath: file) else { throw StorageError.notABackup(file, "no such file") }
        var configuration = Configuration()
        configuration.readonly = true
        let source: DatabaseQueue
        do {
            source = try DatabaseQueue(path: file, configuration: configuration)
            let tables = try source.read { db in try db.tableExists("corpora") && db.tableExists("changes") && db.tableExists("tokens") }
            guard tables else { throw StorageError.notABackup(file, "it holds no gloss-server tables") }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.notABackup(file, "\(error)")
        }
        try source.backup(to: pool)
        try source.close()
        try Self.migrator.migrate(pool)
        return try renewAllEpochs()
    }

    public func renewEpochs() async throws -> [Corpus] {
        try renewAllEpochs()
    }

    func renewAllEpochs() throws -> [Corpus] {
        let corpora = try pool.write { db in
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM corpora") {
                try db.execute(sql: "UPDATE corpora SET epoch = ? WHERE id = ?", arguments: [StoredValues.newEpoch(), id])
            }
            // Snapshots and what replicas have seen count positions of the old history, which
            // will be taken again.
            try db.execute(sql: "DELETE FROM snapshots")
            try db.execute(sql: "UPDATE replica_progress SET pulled_position = 0")
            return try Self.corpora(named: nil, db)
        }
        removeUnrecordedSnapshotFiles()
        return corpora
    }



    public func createCorpus(name: String) async throws -> Corpus {
        guard Names.isValid(name) else { throw StorageError.invalidName(name) }
        return try await pool.write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM corpora WHERE name = ?", arguments: [name]) != nil {
                throw StorageError.corpusExists(name)
            }
            let created = StoredValues.now()
            try db.execute(
                sql: "INSERT INTO corpora (name, created_at, epoch) VALUES (?, ?, ?)", arguments: [name, created, StoredValues.newEpoch()])
            return Corpus(id: db.lastInsertedRowID, name: name, createdAt: created, changes: 0, latestPosition: 0, floor: 0)
        }
    }

    public func corpora(named name: String?) async throws -> [Corpus] {
        try await pool.read { db in try Self.corpora(named: name, db) }
    }

    /// The corpora (or the one named `name`) with the changes each stores: compaction leaves
    /// fewer than its latest position.
    static func corpora(named name: String?, _ db: Database) throws -> [Corpus] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, name, created_at, last_position, floor, (SELECT COUNT(*) FROM changes x WHERE x.corpus_id = c.id) AS stored
                FROM corpora c WHERE ? IS NULL OR name = ? ORDER BY name
                """, arguments: [name, name]
        ).map { row in
            Corpus(
                id: row["id"], name: row["name"], createdAt: row["created_at"], changes: row["stored"], latestPosition: row["last_position"],
                floor: row["floor"])
        }
    }

    public func createToken(corpus: String, user: String, scope: Scope, hash: String) async throws -> TokenRecord {
        guard Names.isValid(user) else { throw StorageError.invalidName(user) }
        return try await pool.write { db in
            guard let corpusID = try Int64.fetchOne(db, sql: "SELECT id FROM corpora WHERE name = ?", arguments: [corpus]) else {
                throw StorageError.unknownCorpus(corpus)
            }
            let created = StoredValues.now()
            try db.execute(
                sql: "INSERT INTO tokens (corpus_id, user, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [corpusID, user, scope.rawValue, hash, created])
            return TokenRecord(id: db.lastInsertedRowID, corpus: corpus, user: user, scope: scope, createdAt: created, revokedAt: nil)
        }
    }

    public func tokens(corpus: String?) async throws -> [TokenRecord] {
        try await pool.read { db in
            var sql = "SELECT t.id, c.name, t.user, t.scope, t.created_at, t.revoked_at FROM tokens t JOIN corpora c ON c.id = t.corpus_id"
            var arguments: StatementArguments = []
            if let corpus {
                sql += " WHERE c.name = ?"
                arguments += [corpus]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY t.id", arguments: arguments).map { row in
                TokenRecord(
                    id: row["id"], corpus: row["name"], user: row["user"], scope: try Scope.stored(row["scope"]),
                    createdAt: row["created_at"], revokedAt: row["revoked_at"])
            }
        }
    }

    public func revokeToken(id: Int64) async throws -> TokenRecord {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", arguments: [StoredValues.now(), id])
            guard db.changesCount > 0, let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT t.id, c.name, t.user, t.scope, t.created_at, t.revoked_at
                    FROM tokens t JOIN corpora c ON c.id = t.corpus_id WHERE t.id = ?
                    """, arguments: [id])
            else { throw StorageError.unknownToken(id) }
            return TokenRecord(
                id: row["id"], corpus: row["name"], user: row["user"], scope: try Scope.stored(row["scope"]),
                createdAt: row["created_at"], revokedAt: row["revoked_at"])
        }
    }

    public func deleteCorpus(name: String) async throws -> Corpus {
        let deleted = try await pool.write { db in
            guard let corpus = try Self.corpora(named: name, db).first else { throw StorageError.unknownCorpus(name) }
            let id = corpus.id
            let snapshot = try String.fetchOne(db, sql: "SELECT file FROM snapshots WHERE corpus_id = ?", arguments: [id])
            // Foreign keys cascade too; deleting explicitly keeps this correct without them.
            for table in ["snapshots", "frontier", "changes", "replica_progress", "replicas", "tokens"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE corpus_id = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM corpora WHERE id = ?", arguments: [id])
            return (corpus, snapshot)
        }
        if let file = deleted.1 { try? FileManager.default.removeItem(atPath: snapshotPath(file)) }
        return deleted.0
    }

    public func grant(forTokenHash hash: String) async throws -> Grant? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT c.id, c.name, c.epoch, t.user, t.scope, t.hash FROM tokens t JOIN corpora c ON c.id = t.corpus_id
                    WHERE t.hash = ? AND t.revoked_at IS NULL
                    """, arguments: [hash]),
                Tokens.constantTimeEqual(row["hash"] as String, hash)
            else { return nil }
            return Grant(
                corpusID: row["id"], corpus: row["name"], user: row["user"], scope: try Scope.stored(row["scope"]),
                epoch: row["epoch"])
        }
    }

    public func push(corpusID: Int64, user: String, replica: ReplicaID, seen: PullPosition?, changes: [IncomingChange]) async throws
        -> PushResult
    {
        try await pool.write { db in
            // The corpus may have been deleted since the token was checked.
            guard let corpus = try Row.fetchOne(
                db, sql: "SELECT name, last_position, floor, epoch FROM corpora WHERE id = ?", arguments: [corpusID])
            else { throw StorageError.unknownCorpus(String(corpusID)) }
            let last: Int64 = corpus["last_position"]
            let owner = try Row.fetchOne(
                db, sql: "SELECT user, max_seq FROM replicas WHERE corpus_id = ? AND replica = ?",
                arguments: [corpusID, replica.description]
            ).map { (user: $0["user"] as String, maxSeq: UInt64($0["max_seq"] as Int64)) }
            var storedWires: [UInt64: String] = [:]
            if let seqs = PushPlan.duplicateSeqs(of: changes, maxSeq: owner?.maxSeq ?? 0) {
                for row in try Row.fetchAll(
                    db, sql: "SELECT seq, wire FROM changes WHERE corpus_id = ? AND replica = ? AND seq BETWEEN ? AND ?",
                    arguments: [corpusID, replica.description, Int64(seqs.lowerBound), Int64(seqs.upperBound)])
                {
                    storedWires[UInt64(row["seq"] as Int64)] = row["wire"]
                }
            }
            let plan = try PushPlan.make(
                user: user, replica: replica, changes: changes, owner: owner,
                held: try Self.heldSeqs(corpusID: corpusID, of: CausalChecks.namedReplicas(in: changes, pusher: replica), db),
                stored: try Self.frontiers(corpusID: corpusID, of: PushPlan.entities(of: changes), db), storedWires: storedWires)
            var result = PushResult(
                stored: plan.fresh.count, duplicates: plan.duplicates, maxSeq: plan.fresh.last?.change.dot.seq ?? owner?.maxSeq ?? 0,
                concurrent: plan.concurrent)
            guard !plan.fresh.isEmpty else { return result }
            // In the writing transaction, so no compaction raises the floor between this check
            // and the commit. A retried batch that stores nothing new is answered as before.
            try FloorRule.check(seen: seen, corpus: corpus["name"], floor: corpus["floor"], epoch: corpus["epoch"])

            let received = StoredValues.now()
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO changes (corpus_id, position, replica, seq, kind, entity, wire, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for (offset, incoming) in plan.fresh.enumerated() {
                let change = incoming.change
                try insert.execute(arguments: [
                    corpusID, last + Int64(offset) + 1, replica.description, Int64(change.dot.seq), change.kind.rawValue,
                    change.entity, incoming.wire, received,
                ])
            }
            try db.execute(
                sql: "UPDATE corpora SET last_position = ? WHERE id = ?", arguments: [last + Int64(plan.fresh.count), corpusID])
            try db.execute(
                sql: """
                    INSERT INTO replicas (corpus_id, replica, user, max_seq) VALUES (?, ?, ?, ?)
                    ON CONFLICT (corpus_id, replica) DO UPDATE SET max_seq = excluded.max_seq
                    """, arguments: [corpusID, replica.description, user, Int64(result.maxSeq)])

            let deleteFrontier = try db.cachedStatement(sql: "DELETE FROM frontier WHERE corpus_id = ? AND kind = ? AND entity = ?")
            let insertFrontier = try db.cachedStatement(
                sql: "INSERT INTO frontier (corpus_id, kind, entity, replica, seq, clock) VALUES (?, ?, ?, ?, ?, ?)")
            for (key, frontier) in plan.frontiers {
                try deleteFrontier.execute(arguments: [corpusID, key.kind.rawValue, key.entity])
                for version in frontier.versions {
                    try insertFrontier.execute(arguments: [
                        corpusID, key.kind.rawValue, key.entity, version.dot.replica.description, Int64(version.dot.seq),
                        CanonicalJSON.string(version.clock.json),
                    ])
                }
            }
            result.stored = plan.fresh.count
            result.position = last + Int64(plan.fresh.count)
            return result
        }
    }

    /// The highest stored seq of each of `replicas` in the corpus, in one query per 500.
    static func heldSeqs(corpusID: Int64, of replicas: Set<ReplicaID>, _ db: Database) throws -> [ReplicaID: UInt64] {
        var held: [ReplicaID: UInt64] = [:]
        let names = replicas.map(\.description)
        for start in stride(from: 0, to: names.count, by: 500) {
            let chunk = Array(names[start..<min(start + 500, names.count)])
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db, sql: "SELECT replica, max_seq FROM replicas WHERE corpus_id = ? AND replica IN (\(placeholders))",
                arguments: StatementArguments([corpusID] as [any DatabaseValueConvertible] + chunk))
            for row in rows {
                if let replica = ReplicaID(row["replica"] as String) { held[replica] = UInt64(row["max_seq"] as Int64) }
            }
        }
        return held
    }

    /// The stored frontiers (clocks only) of `entities`, in one query per 500.
    static func frontiers(corpusID: Int64, of entities: [String], _ db: Database) throws -> [PushPlan.EntityKey: Frontier] {
        var result: [PushPlan.EntityKey: Frontier] = [:]
        for start in stride(from: 0, to: entities.count, by: 500) {
            let chunk = Array(entities[start..<min(start + 500, entities.count)])
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT kind, entity, replica, seq, clock FROM frontier WHERE corpus_id = ? AND entity IN (\(placeholders))",
                arguments: StatementArguments([corpusID] as [any DatabaseValueConvertible] + chunk))
            for row in rows {
                guard let kind = EntityKind(rawValue: row["kind"]), let replica = ReplicaID(row["replica"] as String),
                    let json = try? JSONParser.parse(row["clock"] as String), let clock = VectorClock(json: json)
                else { throw StorageError.corruptRecord("the frontier row of entity \(row["entity"] as String) is unreadable") }
                let key = PushPlan.EntityKey(kind: kind, entity: row["entity"])
                let dot = Dot(replica: replica, seq: UInt64(row["seq"] as Int64))
                result[key, default: Frontier()].insert(Version(dot: dot, clock: clock, timestamp: .zero, content: nil))
            }
        }
        return result
    }

    public func pull(corpusID: Int64, after: Int64, limit: Int, maxBytes: Int, excluding: ReplicaID?) async throws -> PullPage {
        try await pool.read { db in
            // One read transaction: the latest position and floor are those of the page's snapshot.
            let corpus = try Row.fetchOne(db, sql: "SELECT last_position, floor FROM corpora WHERE id = ?", arguments: [corpusID])
            // The excluded replica's wire is not even read (no replica id is empty).
            let cursor = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT position, replica, CASE WHEN replica = ? THEN NULL ELSE wire END AS wire
                        FROM changes WHERE corpus_id = ? AND position > ? ORDER BY position LIMIT ?
                        """),
                arguments: [excluding?.description ?? "", corpusID, after, PullPageBuilder.scanLimit(limit: limit) + 1])
            var builder = PullPageBuilder(after: after, limit: limit, maxBytes: maxBytes, excluding: excluding?.description)
            while let row = try cursor.next(), builder.add(position: row["position"], replica: row["replica"], wire: row["wire"]) {}
            var page = builder.page
            page.latest = corpus?["last_position"] ?? 0
            page.floor = corpus?["floor"] ?? 0
            return page
        }
    }

    public func latestPosition(corpusID: Int64) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_position FROM corpora WHERE id = ?", arguments: [corpusID]) ?? 0
        }
    }

    /// Nothing to release: the pool closes with the storage.
    public func shutdown() async {}

    /// Also reports each of ``loosePermissions``: what opening this storage found open
    /// to other users (and tightened, unless another user owns it).
    public func check() async throws -> [String] {
        let loose = loosePermissions.map(\.description)
        return try await pool.read { db in
            var problems = loose
            for row in try Row.fetchAll(db, sql: "PRAGMA integrity_check") where (row[0] as String?) != "ok" {
                problems.append("SQLite integrity check: \(row[0] as String? ?? "?")")
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT c.name, c.last_position, c.floor, c.compacted_through, COUNT(x.position) AS n, COALESCE(MAX(x.position), 0) AS top
                    FROM corpora c LEFT JOIN changes x ON x.corpus_id = c.id GROUP BY c.id
                    """)
            {
                problems += StoredCounts.corpusProblems(
                    name: row["name"], last: row["last_position"], floor: row["floor"], compactedThrough: row["compacted_through"],
                    stored: row["n"], top: row["top"])
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT r.replica, r.max_seq, c.floor, COUNT(x.seq) AS n, COALESCE(MAX(x.seq), 0) AS top FROM replicas r
                    JOIN corpora c ON c.id = r.corpus_id
                    LEFT JOIN changes x ON x.corpus_id = r.corpus_id AND x.replica = r.replica GROUP BY r.corpus_id, r.replica
                    """)
            {
                problems += StoredCounts.replicaProblems(
                    replica: row["replica"], maxSeq: row["max_seq"], floor: row["floor"], stored: row["n"], top: row["top"])
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT c.name, p.replica, p.pulled_position, c.last_position FROM replica_progress p
                    JOIN corpora c ON c.id = p.corpus_id WHERE p.pulled_position > c.last_position
                    """)
            {
                problems.append(
                    "replica \(row["replica"] as String) of corpus \(row["name"] as String): recorded as having seen position "
                        + "\(row["pulled_position"] as Int64), beyond the latest \(row["last_position"] as Int64)")
            }
            let cursor = try Row.fetchCursor(db, sql: "SELECT replica, seq, wire FROM changes")
            while let row = try cursor.next() {
                let wire: String = row["wire"]
                guard let json = try? JSONParser.parse(wire), let change = try? Change(json: json),
                    change.dot.replica.description == (row["replica"] as String), change.dot.seq == UInt64(row["seq"] as Int64)
                else {
                    problems.append("change \(row["replica"] as String):\(row["seq"] as Int64) is unreadable")
                    continue
                }
            }
            return problems
        } + snapshotProblems()
    }
}
