public import GlossCore
import GlossFileModes
import GRDB
import Crypto
import Foundation

/// A finished snapshot file: a replica database in the client's own schema holding every
/// change of a corpus up to ``position``, and what a server serves about it.
public struct SnapshotFile: Sendable, Hashable {
    /// Where the file is.
    public var path: String
    /// The corpus its `remote` row names.
    public var corpus: String
    /// The corpus's epoch its `remote` row names.
    public var epoch: String
    /// The position it was built at: its `remote` row's cursor, where a replica that
    /// adopts it goes on pulling.
    public var position: Int64
    /// How many changes its log holds.
    public var changes: Int64
    /// The file's size in bytes.
    public var size: Int64
    /// The file's SHA-256, lowercase hex (the `ETag` it is served with).
    public var sha256: String

    public init(path: String, corpus: String, epoch: String, position: Int64, changes: Int64, size: Int64, sha256: String) {
        self.path = path
        self.corpus = corpus
        self.epoch = epoch
        self.position = position
        self.changes = changes
        self.size = size
        self.sha256 = sha256
    }
}

/// Builds a snapshot of a corpus: a ready replica file that a new replica adopts instead of
/// replaying the corpus's log (docs/protocol.md, "Snapshot").
///
/// The changes are applied in position order by the very code a pull uses
/// (``PreparedChange`` and ``GlossDatabase/applyPulledPage(_:cursor:epoch:)``), one page at
/// a time, so the file is what a replica that pulled the same changes holds: the whole log
/// up to the position (the merge needs the ancestors of concurrent versions), the derived
/// tables, and a `remote` row naming the corpus, the epoch and the position as its cursor
/// (with an empty URL and token). Memory is bounded by the page the caller passes.
///
/// ```swift
/// let builder = try SnapshotBuilder(corpus: "news", epoch: epoch, workPath: "tmp/news.building", previous: "snapshots/news.sqlite")
/// var after = builder.position
/// while let page = try nextPage(after: after, upTo: target) {   // wire JSON, position order
///     try builder.apply(page.wires, cursor: page.cursor)
///     after = page.cursor
/// }
/// let file = try builder.finish(into: "snapshots/news-new.sqlite")
/// ```
///
/// The builder works in `workPath` (and its `-wal`, `-shm`), which it removes when it
/// finishes or is discarded through ``discard()``; ``finish(into:)`` publishes a compact
/// copy (`VACUUM INTO`, no WAL) and hashes it. The replica row of the file is a placeholder
/// identity, ``placeholderReplica``: a replica adopting the file writes its own id there.
///
/// One build is used from one task at a time (it may move between threads, hence
/// `Sendable`); its calls block on SQLite, so an async caller runs them off the
/// concurrency pool.
public final class SnapshotBuilder: @unchecked Sendable {
    /// The replica id in the snapshot's `replica` row: 26 zeros (all 128 bits clear), which
    /// no replica mints in practice. A replica adopting the snapshot replaces it with its own.
    public static let placeholderReplica = ReplicaID(high: 0, low: 0)

    public let corpus: String
    public let epoch: String
    /// The position applied so far: the start (the previous snapshot's position, or 0),
    /// then the cursor of the last page applied.
    public private(set) var position: Int64
    /// Whether the build started from a previous snapshot file (only changes after its
    /// position are applied) rather than from an empty replica.
    public let isIncremental: Bool
    let workPath: String
    private var database: GlossDatabase?

    /// Starts a build in `workPath` (which must not exist; its folder is made 0700 if needed).
    ///
    /// - Parameters:
    ///   - previous: a snapshot file of the same corpus to start from. It is copied, never
    ///     changed. It is used only when its `remote` row names `corpus` and `epoch` (a
    ///     snapshot of another history would mix positions); otherwise the build starts
    ///     from an empty replica, as it does when `previous` is `nil`.
    /// - Throws: ``StoreError`` when the work file cannot be made.
    public init(corpus: String, epoch: String, workPath: String, previous: String? = nil) throws {
        self.corpus = corpus
        self.epoch = epoch
        self.workPath = workPath
        Self.remove(workPath)
        if let previous, let copied = try? Self.copy(previous, to: workPath, corpus: corpus, epoch: epoch) {
            Self.limitCache(copied.0)
            self.database = copied.0
            self.position = copied.1
            isIncremental = true
            return
        }
        Self.remove(workPath)
        // `random` feeds only the new replica's id (nothing else is minted here): all zeros.
        let database = try GlossDatabase.create(at: workPath, random: { 0 })
        do {
            try database.setRemote(url: "", corpus: corpus, token: "")
            _ = try database.applyPulledPage([], cursor: 0, epoch: epoch)
        } catch {
            Self.remove(workPath)
            throw error
        }
        Self.limitCache(database)
        self.database = database
        position = 0
        isIncremental = false
    }

    /// A build writes each page once and rereads little: a 1 MiB page cache on the writing
    /// connection (not a replica's 4 MiB) keeps a server that builds in the background
    /// within its memory.
    private static func limitCache(_ database: GlossDatabase) {
        _ = try? database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -1024") }
    }

    /// Copies a previous snapshot and opens the copy, if it is one of this corpus and epoch.
    private static func copy(_ previous: String, to workPath: String, corpus: String, epoch: String) throws -> (GlossDatabase, Int64)? {
        let folder = (workPath as NSString).deletingLastPathComponent
        if !folder.isEmpty { try OwnerOnly.createFolder(folder) }
        guard try OwnerOnly.createFile(workPath) else { return nil }
        try copyBytes(from: previous, to: workPath)
        let database = try GlossDatabase.open(at: workPath)
        guard let remote = try database.remote(), remote.corpus == corpus, remote.epoch == epoch,
            try database.replicaInfo().id == placeholderReplica
        else { return nil }
        return (database, remote.cursor)
    }

    /// Copies a file in 1 MiB chunks into an existing (empty) file.
    private static func copyBytes(from source: String, to target: String) throws {
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        defer { try? input.close() }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
        defer { try? output.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
        }
        try output.synchronize()
    }

    /// Applies one page of changes in position order: each change's wire JSON as a pull
    /// serves it, and `cursor`, the position of the page's last change.
    ///
    /// Changes already in the file (a page overlapping the previous snapshot) are
    /// recognised by their dots, as a pull recognises them.
    /// - Throws: ``StoreError/invalidChange(_:)`` for a change the replica would refuse.
    public func apply<Wire: Collection<UInt8>>(_ wires: [Wire], cursor: Int64) throws {
        try apply(count: wires.count, cursor: cursor) { try JSONParser.parse(bytes: Array(wires[$0])) }
    }

    /// Applies one page of changes given as wire JSON text, as the other `apply` does.
    public func apply(_ wires: [String], cursor: Int64) throws {
        try apply(count: wires.count, cursor: cursor) { try JSONParser.parse(wires[$0]) }
    }

    private func apply(count: Int, cursor: Int64, json: (Int) throws -> JSONValue) throws {
        guard let database else { throw StoreError.databaseFailed(reason: "the snapshot build is finished") }
        var prepared: [PreparedChange] = []
        prepared.reserveCapacity(count)
        for index in 0..<count {
            let value: JSONValue
            do {
                value = try json(index)
            } catch {
                throw StoreError.logCorrupted("a change to put in the snapshot is not JSON (\(error))")
            }
            let change: Change
            do {
                change = try Change(json: value)
            } catch {
                throw StoreError.invalidChange(error)
            }
            prepared.append(try PreparedChange(change))
        }
        _ = try database.applyPulledPage(prepared, cursor: cursor, epoch: epoch)
        position = max(position, cursor)
    }

    /// Writes the finished snapshot to `path` (which must not exist): a compact copy of the
    /// work file made with `VACUUM INTO`, mode 0600, without a WAL; then hashes it (read in
    /// chunks) and removes the work file.
    /// - Returns: the file with its position, counts, size and SHA-256.
    /// - Parameter floor: the corpus's compaction floor, written into the file's `remote` row
    ///   (a replica that adopts the file keeps it: its log may lack superseded versions).
    public func finish(into path: String, floor: Int64 = 0) throws -> SnapshotFile {
        guard let database else { throw StoreError.databaseFailed(reason: "the snapshot build is finished") }
        defer { discard() }
        try database.write { db in try db.execute(sql: "UPDATE remote SET floor = MAX(floor, ?)", arguments: [floor]) }
        let changes = try database.read { db in try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0 }
        let position = try database.remote()?.cursor ?? self.position
        // SQLite writes into an empty file it finds there, keeping its mode: 0600 from the start.
        guard try OwnerOnly.createFile(path) else { throw StoreError.storeExists(path: path) }
        do {
            try database.writer.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [path])
            }
            // A rollback-journal file: whoever reads it needs no -wal or -shm beside it.
            let published = try DatabaseQueue(path: path)
            try published.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try published.close()
            let (size, sha256) = try Self.hash(path)
            return SnapshotFile(
                path: path, corpus: corpus, epoch: epoch, position: position, changes: changes, size: size, sha256: sha256)
        } catch {
            Self.remove(path)
            throw error
        }
    }

    /// Stops the build and removes its work files (``finish(into:)`` does this itself).
    public func discard() {
        database = nil  // closes the pool: the last reference
        Self.remove(workPath)
    }

    deinit { if database != nil { discard() } }

    /// The size and lowercase hex SHA-256 of a file, read in 1 MiB chunks.
    public static func hash(_ path: String) throws -> (size: Int64, sha256: String) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (size, PlainFormat.hex(hasher.finalize()))
    }

    private static func remove(_ path: String) {
        for file in GlossDatabase.files(of: path) { try? FileManager.default.removeItem(atPath: file) }
    }
}
