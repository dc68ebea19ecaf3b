import GlossCore
import Foundation
import GRDB

/// Reads and appends rows of the `changes` table.
enum ChangeLog {
    static let columns = "replica, seq, kind, entity, op, clock, hlc_wall, hlc_counter, replaces, content, author"

    /// The trigger that keeps the log append-only against deletes, as schema 1 made it:
    /// made again after the only paths that empty or shorten the log (a rebuild, compaction).
    static let appendOnlyDeleteTrigger = """
        CREATE TRIGGER changes_are_append_only_delete BEFORE DELETE ON changes
        BEGIN
            SELECT RAISE(ABORT, 'the change log is append-only: changes cannot be deleted');
        END
        """

    static let frontierQuery = """
        SELECT c.replica, c.seq, c.kind, c.entity, c.op, c.clock, c.hlc_wall, c.hlc_counter, c.replaces, c.content, c.author
        FROM entities e JOIN frontier f ON f.entity = e.rowid JOIN changes c ON c.position = f.position
        WHERE e.kind = ? AND e.id = ?
        ORDER BY c.replica, c.seq
        """

    /// Appends a change; returns `false` when its dot is already in the log.
    static func append(_ prepared: PreparedChange, _ db: Database) throws -> Bool {
        let change = prepared.change
        let statement = try db.cachedStatement(
            sql: "INSERT INTO changes (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (replica, seq) DO NOTHING")
        try statement.execute(arguments: [
            change.dot.replica.description, Int64(change.dot.seq), change.kind.rawValue, change.entity,
            change.operation.rawValue, prepared.clockText, change.timestamp.wallMilliseconds,
            Int64(change.timestamp.counter), prepared.replacesText, change.content, change.author,
        ])
        return db.changesCount > 0
    }

    /// The change stored under `dot`, if any.
    static func stored(_ dot: Dot, _ db: Database) throws -> Change? {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM changes WHERE replica = ? AND seq = ?")
        return try Row.fetchOne(statement, arguments: [dot.replica.description, Int64(dot.seq)]).map(change(from:))
    }

    /// Where `dot` sits in the log, if it is there.
    static func position(of dot: Dot, _ db: Database) throws -> Int64 {
        let statement = try db.cachedStatement(sql: "SELECT position FROM changes WHERE replica = ? AND seq = ?")
        guard let position = try Int64.fetchOne(statement, arguments: [dot.replica.description, Int64(dot.seq)]) else {
            throw StoreError.logCorrupted("change \(dot) is missing from the log")
        }
        return position
    }

    /// Decodes a `changes` row selected with ``columns``.
    static func change(from row: Row) throws -> Change {
        let replicaText: String = row["replica"]
        guard let replica = ReplicaID(replicaText) else { throw StoreError.logCorrupted("bad replica id \(replicaText)") }
        let dot = Dot(replica: replica, seq: UInt64(row["seq"] as Int64))
        guard let kind = EntityKind(rawValue: row["kind"]), let operation = ChangeOperation(rawValue: row["op"]) else {
            throw StoreError.logCorrupted("bad kind or op in change \(dot)")
        }
        let clockText: String = row["clock"]
        guard let clockJSON = try? JSONParser.parse(clockText), let clock = VectorClock(json: clockJSON) else {
            throw StoreError.logCorrupted("bad clock in change \(dot)")
        }
        let replacesText: String = row["replaces"]
        guard let replacesJSON = try? JSONParser.parse(replacesText), let texts = replacesJSON.stringArrayValue else {
            throw StoreError.logCorrupted("bad replaces in change \(dot)")
        }
        var replaces: [Dot] = []
        for text in texts {
            guard let replaced = Dot(text) else { throw StoreError.logCorrupted("bad replaces in change \(dot)") }
            replaces.append(replaced)
        }
        return Change(
            dot: dot, kind: kind, entity: row["entity"], operation: operation, clock: clock,
            timestamp: HybridTimestamp(wallMilliseconds: row["hlc_wall"], counter: UInt32(row["hlc_counter"] as Int64)),
            replaces: replaces, content: row["content"], author: row["author"])
    }

    /// Every version of one entity, in log order.
    static func history(kind: EntityKind, entity: String, _ db: Database) throws -> [Version] {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT \(columns) FROM changes WHERE kind = ? AND entity = ? ORDER BY position"),
            arguments: [kind.rawValue, entity])
        return try rows.map { row in try version(of: change(from: row)) }
    }

    /// The entity's current frontier, from the `frontier` table.
    static func frontier(kind: EntityKind, entity: String, _ db: Database) throws -> Frontier {
        let rows = try Row.fetchAll(db.cachedStatement(sql: frontierQuery), arguments: [kind.rawValue, entity])
        return Frontier(try rows.map { row in try version(of: change(from: row)) })
    }

    static func version(of change: Change) throws -> Version {
        do {
            return try change.version()
        } catch {
            throw StoreError.invalidChange(error)
        }
    }
}
