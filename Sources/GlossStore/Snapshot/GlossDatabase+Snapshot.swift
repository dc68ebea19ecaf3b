import CSQLiteDefensive
import Foundation
import GlossCore
import GlossFileModes
import GRDB

extension GlossDatabase {
    /// Whether this replica may adopt a snapshot: its log is empty and it has pulled
    /// nothing. A replica that holds anything syncs by replaying the log, so nothing it
    /// holds is ever replaced.
    public func canAdoptSnapshot() throws -> Bool {
        try read { db in try Self.emptyReplica(db) != nil }
    }

    /// What an empty replica keeps of itself through an adoption: its identity and its
    /// remote. `nil` when the replica is not empty.
    struct EmptyReplica: Equatable, Sendable {
        /// The `replica` and `remote` rows, column by column.
        let replica: [String: DatabaseValue]
        let remote: [String: DatabaseValue]

        func replica<T: DatabaseValueConvertible>(_ column: String) -> T? { T.fromDatabaseValue(replica[column] ?? .null) }
        func remote<T: DatabaseValueConvertible>(_ column: String) -> T? { T.fromDatabaseValue(remote[column] ?? .null) }
    }

    static func emptyReplica(_ db: Database) throws -> EmptyReplica? {
        // A rebuild's carried changes live outside the log, and an adoption would overwrite them.
        guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") == 0, try !rebuildPending(db),
            let replica = try Row.fetchOne(db, sql: "SELECT * FROM replica"),
            let remote = try Row.fetchOne(db, sql: "SELECT * FROM remote"),
            remote["cursor"] as Int64 == 0, remote["epoch"] as String? == nil
        else { return nil }
        func columns(_ row: Row) -> [String: DatabaseValue] {
            Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        }
        return EmptyReplica(replica: columns(replica), remote: columns(remote))
    }

    /// Checks the snapshot file at `path` as untrusted input and, when it passes and this
    /// replica is still empty, makes the replica exactly the snapshot's state (its log and
    /// every derived table) while keeping its own identity, clock and remote; its cursor
    /// becomes the snapshot's position, so the next pull continues after it.
    ///
    /// The file is changed (it gets this replica's identity) and should be deleted after.
    /// The copy is SQLite's page-for-page backup in one transaction: a crash leaves the
    /// replica empty, never half-filled. The replica's write lock is held from the first
    /// page on, and the replica is looked at again under it, so a change written meanwhile
    /// by another process is never overwritten: the adoption is abandoned instead.
    /// - Returns: what was adopted, or ``SnapshotAdoption/replicaNotEmpty``.
    /// - Throws: ``StoreError/snapshotRefused(_:)`` when the file fails a check.
    /// - Parameter fileSHA256: the file's SHA-256 when the caller took it as it wrote the
    ///   file (GlossSync's download does); `nil` reads the file to take it.
    public func adoptSnapshot(at path: String, claim: SnapshotClaim, fileSHA256: String? = nil) throws -> SnapshotAdoption {
        try adoptSnapshot(at: path, claim: claim, fileSHA256: fileSHA256, beforeCopy: {})
    }

    /// How the pages were written into the replica.
    enum CopyJournal: Equatable {
        /// Straight into the file, with a rollback journal of the empty replica's few pages:
        /// no other connection had the replica open.
        case rollback
        /// Into the write-ahead log, then checkpointed: another connection had it open.
        case writeAheadLog
    }

    /// ``adoptSnapshot(at:claim:)``, with `beforeCopy` run once the file passed its checks,
    /// just before the copy (a test writes to the replica there, as another process
    /// might), and `copied` told how the pages were written.
    func adoptSnapshot(
        at path: String, claim: SnapshotClaim, fileSHA256: String? = nil, beforeCopy: () throws -> Void,
        copied: (CopyJournal) -> Void = { _ in }
    ) throws -> SnapshotAdoption {
        guard let before = try read({ db in try Self.emptyReplica(db) }) else { return .replicaNotEmpty }
        let corpus: String = before.remote("corpus") ?? ""
        guard corpus == claim.corpus else {
            throw StoreError.snapshotRefused(.claimMismatch("this replica syncs corpus '\(corpus)'"))
        }
        let snapshot = try UntrustedSnapshot(checking: path, claim: claim, fileSHA256: fileSHA256)
        let bytes = Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)
        try snapshot.refusing { db in try Self.giveIdentity(of: before, to: db) }
        let recheck = Self.recheck(path: self.path, expecting: before)
        try beforeCopy()
        // This pool's idle readers are closed so that, when nothing else has the replica
        // open, the copy can leave WAL mode (see `holdAlone`).
        (writer as? DatabasePool)?.releaseMemory()
        let adopted = try writer.writeWithoutTransaction { destination in
            switch try Self.holdAlone(destination, path: self.path, expecting: before) {
            case .some(let unchanged):
                // Back to WAL mode on every way out; below, so that a failure to return is reported.
                defer { try? Self.returnToWriteAheadLog(destination) }
                guard unchanged else { return false }
                copied(.rollback)
                let adopted = try snapshot.queue.inDatabase { source in
                    try Self.copy(source, into: destination, stillEmpty: { true })
                }
                try Self.returnToWriteAheadLog(destination)
                return adopted
            case nil:
                copied(.writeAheadLog)
                return try snapshot.queue.inDatabase { source in
                    try Self.copy(source, into: destination, stillEmpty: recheck)
                }
            }
        }
        try? snapshot.queue.close()
        return adopted ? .adopted(position: claim.position, changes: claim.changes, bytes: bytes) : .replicaNotEmpty
    }

    /// Writes the replica's identity, clock and remote into the snapshot (whose own are a
    /// placeholder the server made), so that the page copy brings them back unchanged.
    private static func giveIdentity(of replica: EmptyReplica, to db: Database) throws {
        try db.inTransaction {
            let snapshotClock = try Row.fetchOne(db, sql: "SELECT hlc_wall, hlc_counter FROM replica")
            let theirs = (snapshotClock?["hlc_wall"] as Int64? ?? 0, snapshotClock?["hlc_counter"] as Int64? ?? 0)
            let ours: (Int64, Int64) = (replica.replica("hlc_wall") ?? 0, replica.replica("hlc_counter") ?? 0)
            // The later of the two hybrid clocks: this replica's next change must come after
            // every change it now holds.
            let clock = ours < theirs ? theirs : ours
            try db.execute(
                sql: "UPDATE replica SET id = ?, name = ?, created_at = ?, hlc_wall = ?, hlc_counter = ?",
                arguments: [
                    replica.replica["id"], replica.replica["name"], replica.replica["created_at"], clock.0, clock.1,
                ])
            try db.execute(
                sql: """
                    UPDATE remote SET url = ?, token = ?, cacert = ?, pushed_seq = 0, last_sync_at = ?, last_result = ?
                    """,
                arguments: [
                    replica.remote["url"], replica.remote["token"], replica.remote["cacert"], replica.remote["last_sync_at"],
                    replica.remote["last_result"],
                ])
            return .commit
        }
    }

    /// When no other connection has the replica open, takes it for this connection alone
    /// with a rollback journal, and looks again whether it is still `before`.
    ///
    /// Through the WAL every page of a snapshot is written twice: into the log, then into
    /// the file when the log is checkpointed. With a rollback journal it is written once,
    /// and the journal holds only the empty replica's few pages, so a crash still rolls
    /// the replica back to empty. SQLite refuses to leave WAL mode at once while another
    /// connection has the file open; then the copy goes through the WAL. Once out of WAL
    /// mode, the exclusive locking mode keeps the lock `BEGIN EXCLUSIVE` takes until
    /// ``returnToWriteAheadLog(_:)``, so nothing can write between the look and the copy.
    /// - Returns: `nil` when another connection has the replica open; otherwise whether
    ///   it is still empty (the lock is held either way).
    private static func holdAlone(_ db: Database, path: String, expecting before: EmptyReplica) throws -> Bool? {
        guard path != ":memory:", (try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")) == "delete" else { return nil }
        do {
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            var unchanged = false
            try db.inTransaction(.exclusive) {
                unchanged = try emptyReplica(db) == before
                return .commit
            }
            return unchanged
        } catch {
            try? returnToWriteAheadLog(db)
            throw error
        }
    }

    /// Back to normal locking and WAL mode, which every connection of a replica expects.
    /// The locking mode must be normal first, or SQLite keeps the WAL index in this
    /// process's memory where no other process sees it.
    private static func returnToWriteAheadLog(_ db: Database) throws {
        try db.execute(sql: "PRAGMA locking_mode = NORMAL")
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        guard mode == "wal" else { throw StoreError.databaseFailed(reason: "the replica could not return to WAL mode (\(mode ?? "?"))") }
    }

    /// Copies every page of `source` into `destination` in one transaction, after asking
    /// `stillEmpty` under the destination's write lock (which the first step takes).
    /// - Returns: whether the copy was made.
    private static func copy(_ source: Database, into destination: Database, stillEmpty: () throws -> Bool) throws -> Bool {
        guard let backup = sqlite3_backup_init(destination.sqliteConnection, "main", source.sqliteConnection, "main") else {
            throw StoreError.databaseFailed(reason: String(cString: sqlite3_errmsg(destination.sqliteConnection)))
        }
        var step = sqlite3_backup_step(backup, 1)
        var empty = false
        if step == SQLITE_OK || step == SQLITE_DONE {
            empty = (try? stillEmpty()) ?? false
            if empty, step == SQLITE_OK { step = sqlite3_backup_step(backup, -1) }
        }
        // Before the last page is copied, finishing rolls the destination back.
        let finish = sqlite3_backup_finish(backup)
        guard empty else { return false }
        guard step == SQLITE_DONE, finish == SQLITE_OK else {
            throw StoreError.databaseFailed(reason: String(cString: sqlite3_errstr(step == SQLITE_DONE ? finish : step)))
        }
        destination.clearSchemaCache()
        return true
    }

    /// Looks at the replica through a connection of its own: under the adoption's write
    /// lock, it sees exactly what is committed. An in-memory replica has one connection,
    /// which nothing else can write through.
    private static func recheck(path: String, expecting before: EmptyReplica) -> () throws -> Bool {
        guard path != ":memory:" else { return { true } }
        return {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try emptyReplica(db) } == before
        }
    }
}

extension GlossDatabase {
    /// An empty file, private to this user, for a snapshot download: beside the replica
    /// (same file system; the replica's folder is already private), or in the temporary
    /// folder for an in-memory replica.
    public func snapshotDownloadFile() throws -> String {
        let file = snapshotDownloadPath
        try? FileManager.default.removeItem(atPath: file)
        do {
            guard try OwnerOnly.createFile(file) else { throw StoreError.cannotOpen(path: file, reason: "it exists") }
        } catch let error as FileModeError {
            throw StoreError.cannotOpen(path: file, reason: error.description)
        }
        return file
    }

    /// Removes the snapshot download file, if any.
    public func removeSnapshotDownload() {
        try? FileManager.default.removeItem(atPath: snapshotDownloadPath)
    }

    var snapshotDownloadPath: String {
        path == ":memory:"
            ? (NSTemporaryDirectory() as NSString).appendingPathComponent("gloss-snapshot-\(ProcessInfo.processInfo.processIdentifier)")
            : path + ".snapshot"
    }
}
