public import GlossCore
import GRDB

/// One version of an entity as ``GlossDatabase/history(of:)`` lists it: the state one
/// change wrote, where it came from, and how it stands against the entity's other versions.
public struct HistoryVersion: Sendable, Hashable {
    /// The change that wrote this version (`REPLICA:SEQ`).
    public var dot: Dot
    /// Order of arrival on this replica.
    public var position: Int64
    public var operation: ChangeOperation
    /// The entity's fields as this version wrote them; `nil` for a deletion.
    public var content: EntityContent?
    /// Who made it: the user the server recorded as pushing it, or for a change made here
    /// the replica's name; `nil` when neither is known (pulled without a server).
    public var author: String?
    /// Made on this replica (rather than pulled from elsewhere).
    public var isLocal: Bool
    /// When it was made, by the hybrid clock (orders concurrent versions for display).
    public var timestamp: HybridTimestamp
    /// Everything this version includes, its own dot among it.
    public var clock: VectorClock
    /// The versions it replaced: the frontier its replica saw when it was made.
    public var replaces: [Dot]
    /// Whether it is in the entity's current frontier, so what the entity shows now
    /// comes from it (alone, or merged with the other shown versions).
    public var isShown: Bool
    /// The entity's other versions it is concurrent with: neither clock dominates the
    /// other, so neither replica had seen the other's change (oldest first).
    public var concurrentWith: [Dot]

    public var replica: ReplicaID { dot.replica }
    /// The hybrid timestamp's wall time, in milliseconds since 1970 (UTC).
    public var time: Int64 { timestamp.wallMilliseconds }
    public var isDeletion: Bool { content == nil }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "version": .string(dot.description), "position": .int(position), "replica": .string(dot.replica.description),
            "seq": .int(Int64(dot.seq)), "op": .string(operation.rawValue), "time": .string(Timestamps.iso(time)),
            "local": .bool(isLocal), "clock": clock.json, "replaces": .array(replaces.map { .string($0.description) }),
            "shown": .bool(isShown), "concurrentWith": .array(concurrentWith.map { .string($0.description) }),
            "content": content.map { .object($0) } ?? .null,
        ]
        if let author { object["author"] = .string(author) }
        return .object(object)
    }
}

/// Every version of one article or annotation that the change log holds, oldest first.
public struct EntityHistory: Sendable, Hashable {
    public var kind: EntityKind
    public var id: String
    public var versions: [HistoryVersion]

    /// The versions the entity shows now (its frontier).
    public var shown: [HistoryVersion] { versions.filter(\.isShown) }

    public var json: JSONValue {
        .object(["kind": .string(kind.rawValue), "id": .string(id), "versions": .array(versions.map(\.json))])
    }
}

extension GlossDatabase {
    /// Every version of an article or annotation that the change log holds, oldest first,
    /// with the frontier marked and, for each version, the others it is concurrent with.
    ///
    /// "Oldest first" is the order of the versions' hybrid timestamps (then replica and
    /// seq), which follows causality: a version comes after every version it had seen, and
    /// every replica lists the same versions in the same order. Concurrency is the merge's
    /// own clock comparison (``VectorClock/compare(_:)``).
    ///
    /// It lists what the log holds: once history compaction drops superseded versions
    /// below the horizon, those are no longer listed (nor can they be restored).
    /// - Parameter id: the entity's id or a unique prefix of it.
    /// - Throws: ``StoreError/notFound(kind:id:)`` (or `idTooShort`, `ambiguousID`) when
    ///   the id names no single entity.
    public func history(of id: String) throws -> EntityHistory {
        try read { db in
            let (kind, entity) = try Self.resolveID(id, kind: nil, db)
            let replica = try ReplicaState.load(db).info
            let shown = try Self.frontierPositions(kind: kind, entity: entity, db)
            let rows = try Row.fetchAll(
                db, sql: "SELECT position, \(ChangeLog.columns) FROM changes WHERE kind = ? AND entity = ?",
                arguments: [kind.rawValue, entity])
            let versions = try rows.map { row in try Self.historyVersion(from: row, shown: shown, here: replica) }
            return EntityHistory(kind: kind, id: entity, versions: Self.oldestFirstWithConcurrency(versions))
        }
    }

    /// The version a `changes` row (``ChangeLog/columns`` and `position`) wrote; its
    /// concurrency is filled in once every version is known.
    private static func historyVersion(from row: Row, shown: Set<Int64>, here replica: ReplicaInfo) throws -> HistoryVersion {
        let change = try ChangeLog.change(from: row)
        let position: Int64 = row["position"]
        let isLocal = change.dot.replica == replica.id
        return HistoryVersion(
            dot: change.dot, position: position, operation: change.operation, content: try ChangeLog.version(of: change).content,
            author: change.author ?? (isLocal ? replica.name : nil), isLocal: isLocal, timestamp: change.timestamp,
            clock: change.clock, replaces: change.replaces, isShown: shown.contains(position), concurrentWith: [])
    }

    /// Positions in the log of the entity's frontier versions.
    private static func frontierPositions(kind: EntityKind, entity: String, _ db: Database) throws -> Set<Int64> {
        Set(
            try Int64.fetchAll(
                db, sql: "SELECT f.position FROM entities e JOIN frontier f ON f.entity = e.rowid WHERE e.kind = ? AND e.id = ?",
                arguments: [kind.rawValue, entity]))
    }

    /// `versions` sorted oldest first, each with the versions it is concurrent with.
    private static func oldestFirstWithConcurrency(_ versions: [HistoryVersion]) -> [HistoryVersion] {
        let sorted = versions.sorted { lhs, rhs in
            (lhs.timestamp, lhs.dot.replica, lhs.dot.seq) < (rhs.timestamp, rhs.dot.replica, rhs.dot.seq)
        }
        return sorted.map { version in
            var version = version
            version.concurrentWith = sorted.filter { $0.clock.compare(version.clock) == .concurrent }.map(\.dot)
            return version
        }
    }
}
