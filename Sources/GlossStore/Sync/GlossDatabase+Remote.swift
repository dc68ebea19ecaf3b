public import GlossCore
import Foundation
import GRDB

/// The server a replica syncs with, and how far the sync has come.
public struct RemoteState: Sendable, Hashable {
    public var url: String
    public var corpus: String
    /// The bearer token, when the replica keeps it (the CLI does; an app keeps it in its
    /// keychain behind GlossSync's `TokenStore` and leaves this empty).
    public var token: String
    /// A CA certificate file to trust for this server, instead of the system's.
    public var cacert: String?
    /// The server position of the last change pulled.
    public var cursor: Int64
    /// The server's epoch the cursor counts in (`nil` before the first pull).
    public var epoch: String?
    /// The highest local seq the server has acknowledged.
    public var pushedSeq: UInt64
    /// The server's compaction floor as its last pull page said (0: never compacted).
    public var floor: Int64 = 0
    /// The pull position at which the oldest change the server has not acknowledged was
    /// made; `nil` while it has acknowledged them all. Pushes send it (see ``pushBasis``).
    public var basis: PullPosition? = nil
    public var lastSyncAt: String?
    /// One line describing the last sync's outcome.
    public var lastResult: String?

    /// What a push says this replica had pulled when it made the changes it sends: the
    /// ``basis`` or, with nothing unacknowledged before, the cursor (docs/protocol.md,
    /// "Compaction and the floor").
    public var pushBasis: PullPosition { basis ?? PullPosition(after: epoch == nil ? 0 : cursor, epoch: epoch) }
}

extension GlossDatabase {
    /// The configured remote, if any.
    public func remote() throws -> RemoteState? {
        try read { db in try Self.remote(db) }
    }

    static func remote(_ db: Database) throws -> RemoteState? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM remote") else { return nil }
        let basis = (row["basis_cursor"] as Int64?).map { PullPosition(after: $0, epoch: $0 == 0 ? nil : row["basis_epoch"]) }
        return RemoteState(
            url: row["url"], corpus: row["corpus"], token: row["token"], cacert: row["cacert"], cursor: row["cursor"],
            epoch: row["epoch"], pushedSeq: UInt64(row["pushed_seq"] as Int64), floor: row["floor"], basis: basis,
            lastSyncAt: row["last_sync_at"], lastResult: row["last_result"])
    }

    /// Sets the remote. A different server or corpus starts over: everything is pushed
    /// again (the server keeps each change once) and everything pulled from the start.
    /// - Parameter token: the bearer token to keep in the replica; empty when it is kept
    ///   elsewhere (an app's keychain, behind GlossSync's `TokenStore`).
    public func setRemote(url: String, corpus: String, token: String = "", cacert: String? = nil) throws {
        try write { db in
            let previous = try Self.remote(db)
            let same = previous?.url == url && previous?.corpus == corpus
            // Another server's corpus: the replica's changes were made having pulled nothing
            // of it, so they go with no basis (0).
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO remote (singleton, url, corpus, token, cacert, cursor, epoch, pushed_seq, last_sync_at,
                        last_result, floor, basis_cursor, basis_epoch)
                    VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    url, corpus, token, cacert, same ? previous!.cursor : 0, same ? previous!.epoch : nil,
                    same ? Int64(previous!.pushedSeq) : 0,
                    same ? previous?.lastSyncAt : nil, same ? previous?.lastResult : nil, same ? previous!.floor : 0,
                    same ? previous?.basis?.after : nil, same ? previous?.basis?.epoch : nil,
                ])
        }
    }

    /// This replica's own changes not yet acknowledged by the server, in seq order, as
    /// a push body: at most `limit` changes and about `maxBytes` (always at least one).
    /// - Returns: the body, how many changes it holds and the last seq included.
    public func unpushedBatch(limit: Int, maxBytes: Int) throws -> (body: [UInt8], count: Int, lastSeq: UInt64)? {
        try read { db in
            let replica = try ReplicaState.load(db).info.id
            let remote = try Self.remote(db)
            let pushed = remote?.pushedSeq ?? 0
            let cursor = try Row.fetchCursor(
                db,
                sql: "SELECT \(ChangeLog.columns) FROM changes WHERE replica = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [replica.description, Int64(pushed), limit])
            var body = PushRequest.Writer(replica: replica, seen: remote?.pushBasis ?? PullPosition(after: 0, epoch: nil))
            var lastSeq: UInt64 = pushed
            while let row = try cursor.next() {
                let change = try ChangeLog.change(from: row)
                guard body.append(change, maxBytes: maxBytes) else { break }
                lastSeq = change.dot.seq
            }
            guard body.count > 0 else { return nil }
            return (body.finish(), body.count, lastSeq)
        }
    }

    /// How many local changes the server has not acknowledged.
    public func unpushedCount() throws -> Int {
        try read { db in try Self.unpushedCount(db) }
    }

    static func unpushedCount(_ db: Database) throws -> Int {
        let replica = try ReplicaState.load(db).info.id
        let pushed = try Self.remote(db)?.pushedSeq ?? 0
        return try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM changes WHERE replica = ? AND seq > ?",
            arguments: [replica.description, Int64(pushed)]) ?? 0
    }

    /// Starts the sync over: every local change is pushed again and everything pulled
    /// from position 0 (the server's epoch changed: it was restored from a backup; or
    /// `gloss sync --full`). The server keeps each change once, and changes already here
    /// are recognised by their dots, so nothing is duplicated either way.
    public func startOver() throws {
        try write { db in
            try Self.keepBasisOfUnacknowledged(db)
            try db.execute(sql: "UPDATE remote SET cursor = 0, epoch = NULL, pushed_seq = 0, floor = 0")
            // Marks count in the positions of the old history.
            try db.execute(sql: "DELETE FROM server_marks")
        }
    }

    /// Before changes the server had acknowledged count as unacknowledged again: they were
    /// made up to the current cursor, so that is their basis, unless an older one stands.
    private static func keepBasisOfUnacknowledged(_ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE remote SET basis_cursor = cursor, basis_epoch = epoch
                WHERE basis_cursor IS NULL AND EXISTS (SELECT 1 FROM changes c JOIN replica r ON c.replica = r.id)
                """)
    }

    /// Records the server's acknowledgement of local changes up to `seq`.
    public func markPushed(upTo seq: UInt64) throws {
        try write { db in
            try db.execute(sql: "UPDATE remote SET pushed_seq = ? WHERE pushed_seq < ?", arguments: [Int64(seq), Int64(seq)])
            if try Self.unpushedCount(db) == 0 {
                try db.execute(sql: "UPDATE remote SET basis_cursor = NULL, basis_epoch = NULL")
            }
        }
    }

    /// Rewinds what counts as pushed (the server expects an earlier seq, e.g. it was
    /// restored from a backup): those changes will be pushed again.
    public func rewindPushed(to seq: UInt64) throws {
        try write { db in
            try Self.keepBasisOfUnacknowledged(db)
            try db.execute(sql: "UPDATE remote SET pushed_seq = ?", arguments: [Int64(seq)])
        }
    }

    /// Applies one pulled page, its changes prepared while the previous page was applied,
    /// and saves its cursor, the server's epoch and its compaction floor in the same transaction.
    public func applyPulledPage(_ changes: [PreparedChange], cursor: Int64, epoch: String, floor: Int64 = 0) throws -> ApplySummary {
        try applyRemote(prepared: changes, refetchable: true) { db in
            try db.execute(
                sql: "UPDATE remote SET cursor = MAX(cursor, ?), epoch = ?, floor = MAX(floor, ?)", arguments: [cursor, epoch, floor])
        }
    }

    /// Records how the last sync ended.
    public func recordSyncResult(_ result: String) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE remote SET last_sync_at = ?, last_result = ?",
                arguments: [PlainFormat.now(), result])
        }
    }
}
