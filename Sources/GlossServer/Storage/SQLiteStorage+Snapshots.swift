public import GlossStore
import GlossCore
import GlossFileModes
import Foundation
import GRDB
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Snapshots on the embedded SQLite storage: each corpus's latest snapshot is a file in the
/// data folder's `snapshots/` (0700; files 0600), recorded in the `snapshots` table.
///
/// A new snapshot gets a new file name; the row is replaced in one transaction and the old
/// file removed after it commits. A download already reading the old file keeps its open
/// file and finishes; a download that opens it after it is gone fails, and its resume with
/// `If-Range` gets the new file whole: no download ever mixes two files.
extension SQLiteStorage {
    /// `snapshots/` beside the database.
    var snapshotFolder: String { ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("snapshots") }

    public func snapshotWorkDirectory() throws -> String {
        let work = (snapshotFolder as NSString).appendingPathComponent("work")
        try OwnerOnly.createFolder(snapshotFolder)
        try OwnerOnly.createFolder(work)
        return work
    }

    public func snapshotTarget(corpus: String) async throws -> SnapshotTarget? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, last_position, epoch, floor FROM corpora WHERE name = ?", arguments: [corpus]).map { row in
                SnapshotTarget(corpusID: row["id"], corpus: corpus, position: row["last_position"], epoch: row["epoch"], floor: row["floor"])
            }
        }
    }

    public func changeWires(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws -> [StoredWire] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT position, wire FROM changes WHERE corpus_id = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?",
                arguments: [corpusID, after, upTo, limit]
            ).map { StoredWire(position: $0["position"], wire: $0["wire"]) }
        }
    }

    static let snapshotColumns = """
        s.corpus_id, c.name, s.epoch, s.position, s.changes, s.size, s.sha256, s.file, s.created_at, c.epoch AS current_epoch
        FROM snapshots s JOIN corpora c ON c.id = s.corpus_id
        """

    static func snapshotRecord(_ row: Row) -> SnapshotRecord {
        SnapshotRecord(
            corpusID: row["corpus_id"], corpus: row["name"], position: row["position"], epoch: row["epoch"], changes: row["changes"],
            size: row["size"], sha256: row["sha256"], createdAt: row["created_at"], key: row["file"])
    }

    public func latestSnapshot(corpusID: Int64) async throws -> SnapshotRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.snapshotColumns) WHERE s.corpus_id = ? AND s.epoch = c.epoch", arguments: [corpusID]
            ).map(Self.snapshotRecord)
        }
    }

    public func snapshots() async throws -> [SnapshotRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.snapshotColumns) ORDER BY c.name").map(Self.snapshotRecord)
        }
    }

    public func saveSnapshot(corpusID: Int64, file: SnapshotFile) async throws -> SnapshotRecord {
        try OwnerOnly.createFolder(snapshotFolder)
        let name = "\(corpusID)-\(file.position)-\(UUID().uuidString.lowercased()).sqlite"
        let target = (snapshotFolder as NSString).appendingPathComponent(name)
        try FileManager.default.moveItem(atPath: file.path, toPath: target)
        let outcome: (record: SnapshotRecord?, remove: String?)
        do {
            outcome = try await pool.write { db -> (record: SnapshotRecord?, remove: String?) in
                guard let corpus = try Row.fetchOne(db, sql: "SELECT epoch, floor FROM corpora WHERE id = ?", arguments: [corpusID]) else {
                    throw StorageError.unknownCorpus(file.corpus)
                }
                let epoch: String = corpus["epoch"]
                let floor: Int64 = corpus["floor"]
                let existing = try Row.fetchOne(db, sql: "SELECT \(Self.snapshotColumns) WHERE s.corpus_id = ?", arguments: [corpusID])
                    .map(Self.snapshotRecord)
                // Built in a history that was renewed meanwhile: positions mean something else now.
                guard epoch == file.epoch else { throw StorageError.snapshotStale(corpus: file.corpus) }
                // Compacted past it meanwhile: a replica adopting it would be behind the floor.
                guard file.position >= floor else {
                    throw StorageError.snapshotBelowFloor(corpus: file.corpus, position: file.position, floor: floor)
                }
                if let existing, existing.epoch == epoch, existing.position >= file.position { return (existing, name) }
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO snapshots (corpus_id, epoch, position, changes, size, sha256, file, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [corpusID, file.epoch, file.position, file.changes, file.size, file.sha256, name, StoredValues.now()])
                let record = try Row.fetchOne(db, sql: "SELECT \(Self.snapshotColumns) WHERE s.corpus_id = ?", arguments: [corpusID])
                    .map(Self.snapshotRecord)
                return (record, existing?.key)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: target)
            throw error
        }
        if let remove = outcome.remove { try? FileManager.default.removeItem(atPath: snapshotPath(remove)) }
        guard let record = outcome.record else { throw StorageError.snapshotGone(corpus: file.corpus) }
        return record
    }

    func snapshotPath(_ key: String) -> String { (snapshotFolder as NSString).appendingPathComponent(key) }

    public func snapshotFilePath(_ snapshot: SnapshotRecord) -> String? { snapshotPath(snapshot.key) }

    public func openSnapshot(_ snapshot: SnapshotRecord, from offset: Int64) async throws -> any SnapshotReader {
        guard let handle = FileHandle(forReadingAtPath: snapshotPath(snapshot.key)) else {
            throw StorageError.snapshotGone(corpus: snapshot.corpus)
        }
        do {
            try handle.seek(toOffset: UInt64(offset))
        } catch {
            try? handle.close()
            throw error
        }
        return FileSnapshotReader(handle: handle)
    }

    public func withSnapshotBuildLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T? {
        try OwnerOnly.createFolder(snapshotFolder)
        let lockPath = (snapshotFolder as NSString).appendingPathComponent("corpus-\(corpusID).lock")
        _ = try OwnerOnly.createFile(lockPath)
        let descriptor = open(lockPath, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.corruptRecord("cannot open \(lockPath) (errno \(errno))") }
        defer { close(descriptor) }
        // flock locks belong to the open file: another process, or another build in this
        // one, holds its own and is refused here.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return nil }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }

    /// Removes the snapshot files no row names (after a restore or an epoch renewal).
    /// Building work files (in the `work` folder under `snapshots`) and locks are left alone.
    func removeUnrecordedSnapshotFiles() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: snapshotFolder) else { return }
        let recorded = Set((try? pool.read { db in try String.fetchAll(db, sql: "SELECT file FROM snapshots") }) ?? [])
        for name in names where name.hasSuffix(".sqlite") && !recorded.contains(name) {
            try? FileManager.default.removeItem(atPath: snapshotPath(name))
        }
    }

    /// Problems with the recorded snapshots: a missing file, another size or hash, an old epoch.
    func snapshotProblems() async throws -> [String] {
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.snapshotColumns) ORDER BY c.name").map { (Self.snapshotRecord($0), $0["current_epoch"] as String) }
        }
        var problems: [String] = []
        for (record, current) in rows {
            if record.epoch != current {
                problems.append("corpus \(record.corpus): its snapshot is of an earlier epoch; run 'gloss-server snapshot create --corpus \(record.corpus)'")
            }
            let path = snapshotPath(record.key)
            guard FileManager.default.fileExists(atPath: path) else {
                problems.append("corpus \(record.corpus): its snapshot file \(path) is missing; run 'gloss-server snapshot create --corpus \(record.corpus)'")
                continue
            }
            let (size, sha256) = try SnapshotBuilder.hash(path)
            if size != record.size || sha256 != record.sha256 {
                problems.append(
                    "corpus \(record.corpus): its snapshot file \(path) is not the one recorded (size \(size), not \(record.size), or another SHA-256); "
                        + "run 'gloss-server snapshot create --corpus \(record.corpus)'")
            }
        }
        return problems
    }
}

/// Reads a snapshot file through its own open file, so the file being replaced meanwhile
/// does not change what this reader yields.
final class FileSnapshotReader: SnapshotReader, @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(handle: FileHandle) { self.handle = handle }

    func read(maxLength: Int) async throws -> ByteBuffer {
        try lock.withLock {
            guard let data = try handle.read(upToCount: maxLength) else { return ByteBuffer() }
            return ByteBuffer(bytes: data)
        }
    }

    func close() async {
        lock.withLock { try? handle.close() }
    }
}
