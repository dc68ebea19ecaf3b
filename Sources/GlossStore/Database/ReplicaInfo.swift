public import GlossCore
import GRDB

/// This replica's identity.
public struct ReplicaInfo: Sendable, Hashable {
    public let id: ReplicaID
    public let name: String?
    public let createdAt: String
}

extension GlossDatabase {
    /// This replica's id and name.
    public func replicaInfo() throws -> ReplicaInfo {
        try read { db in try ReplicaState.load(db).info }
    }
}

/// The replica row plus the next seq, loaded inside a write transaction to mint changes.
struct ReplicaState {
    let info: ReplicaInfo
    var lastSeq: UInt64
    var latest: HybridTimestamp

    static func load(_ db: Database) throws -> ReplicaState {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, name, created_at, hlc_wall, hlc_counter FROM replica") else {
            throw StoreError.logCorrupted("the replica row is missing")
        }
        guard let id = ReplicaID(row["id"] as String) else { throw StoreError.logCorrupted("the replica id is invalid") }
        let lastSeq = try UInt64.fetchOne(
            db, sql: "SELECT MAX(seq) FROM changes WHERE replica = ?", arguments: [id.description]) ?? 0
        return ReplicaState(
            info: ReplicaInfo(id: id, name: row["name"], createdAt: row["created_at"]),
            lastSeq: lastSeq,
            latest: HybridTimestamp(wallMilliseconds: row["hlc_wall"], counter: UInt32(row["hlc_counter"] as Int64)))
    }

    /// Mints the next local change of an entity, replacing its whole frontier.
    mutating func makeChange(
        kind: EntityKind, entity: String, content: EntityContent?, frontier: Frontier, seen: VectorClock = VectorClock(),
        now: Int64
    ) -> Change {
        lastSeq += 1
        let dot = Dot(replica: info.id, seq: lastSeq)
        latest = HybridTimestamp.next(after: latest, now: now)
        return Change(
            dot: dot, kind: kind, entity: entity, operation: content == nil ? .delete : .put,
            clock: frontier.joinedClock.joined(with: seen).including(dot), timestamp: latest, replaces: frontier.dots,
            fields: content)
    }

    /// Mints the next local change of an entity with a clock of the caller's choosing
    /// (plus its own dot): see ``LocalTransaction/writeVersion(kind:entity:content:clock:replacing:)``.
    mutating func makeChange(
        kind: EntityKind, entity: String, content: EntityContent?, clock: VectorClock, replaces: [Dot], now: Int64
    ) -> Change {
        lastSeq += 1
        let dot = Dot(replica: info.id, seq: lastSeq)
        latest = HybridTimestamp.next(after: latest, now: now)
        return Change(
            dot: dot, kind: kind, entity: entity, operation: content == nil ? .delete : .put, clock: clock.including(dot),
            timestamp: latest, replaces: replaces, fields: content)
    }

    /// Remembers a timestamp seen on a change from elsewhere, so local ones come after it.
    mutating func observe(_ timestamp: HybridTimestamp) {
        if timestamp > latest { latest = timestamp }
    }

    func save(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE replica SET hlc_wall = ?, hlc_counter = ?",
            arguments: [latest.wallMilliseconds, Int64(latest.counter)])
    }
}
