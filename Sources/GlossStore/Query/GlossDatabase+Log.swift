public import GlossCore
import GRDB

/// One entry of `gloss log`.
public struct LogEntry: Sendable, Hashable {
    /// Order of arrival on this replica.
    public var position: Int64
    public var change: Change
    /// Made on this replica (rather than pulled from elsewhere).
    public var isLocal: Bool

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "position": .int(position), "version": .string(change.dot.description),
            "replica": .string(change.dot.replica.description), "seq": .int(Int64(change.dot.seq)),
            "kind": .string(change.kind.rawValue), "entity": .string(change.entity), "op": .string(change.operation.rawValue),
            "time": .string(Timestamps.iso(change.timestamp.wallMilliseconds)), "local": .bool(isLocal),
            "clock": change.clock.json, "replaces": .array(change.replaces.map { .string($0.description) }),
        ]
        if let author = change.author { object["author"] = .string(author) }
        return .object(object)
    }
}

/// A summary of the replica for `gloss status`.
public struct StoreStatus: Sendable, Hashable {
    public var replica: ReplicaInfo
    public var path: String
    public var articles: Int
    public var annotations: Int
    public var changes: Int
    public var localChanges: Int
    public var openConflicts: Int

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "replica": .string(replica.id.description), "store": .string(path), "articles": .int(Int64(articles)),
            "annotations": .int(Int64(annotations)), "changes": .int(Int64(changes)),
            "localChanges": .int(Int64(localChanges)), "openConflicts": .int(Int64(openConflicts)),
            "created": .string(replica.createdAt),
        ]
        if let name = replica.name { object["name"] = .string(name) }
        return .object(object)
    }
}

extension GlossDatabase {
    /// The change log, newest first.
    /// - Parameters:
    ///   - entity: only this entity's changes (id or unique prefix).
    ///   - limit: at most this many entries.
    public func log(entity: String? = nil, limit: Int = 50) throws -> [LogEntry] {
        try read { db in
            let replica = try ReplicaState.load(db).info.id.description
            var sql = "SELECT position, \(ChangeLog.columns) FROM changes"
            var arguments: StatementArguments = []
            if let entity {
                let (kind, id) = try Self.resolveID(entity, kind: nil, db)
                sql += " WHERE kind = ? AND entity = ?"
                arguments += [kind.rawValue, id]
            }
            sql += " ORDER BY position DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                LogEntry(position: row["position"], change: try ChangeLog.change(from: row), isLocal: row["replica"] == replica)
            }
        }
    }

    /// Counts for `gloss status`.
    public func status() throws -> StoreStatus {
        try read { db in
            let state = try ReplicaState.load(db)
            return StoreStatus(
                replica: state.info, path: path,
                articles: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM articles") ?? 0,
                annotations: try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM annotations n JOIN articles a ON a.rowid = n.article") ?? 0,
                changes: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0,
                localChanges: Int(state.lastSeq),
                openConflicts: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entities WHERE conflicts IS NOT NULL") ?? 0)
        }
    }
}
