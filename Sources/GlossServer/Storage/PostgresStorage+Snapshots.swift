public import GlossStore
import GlossCore
import GlossFileModes
import Foundation
import NIOCore
import PostgresNIO

/// Snapshots on PostgreSQL: the bytes live in the database (`snapshot_chunks`, about 1 MiB
/// each), so every server process serves the same snapshot, whichever built it.
///
/// A new snapshot is uploaded chunk by chunk under a row that is not yet `complete`; one
/// short transaction then marks it complete and deletes the corpus's previous snapshot with
/// its chunks. Readers read chunks by snapshot id: a download of a snapshot replaced
/// meanwhile fails at its next chunk and never yields bytes of another file.
extension PostgresStorage {
    /// Bytes per stored chunk.
    static let snapshotChunkSize = 1 << 20
    /// The first key of the per-corpus build lock (`pg_try_advisory_lock(key, corpus)`): "glos".
    static let snapshotLockKey: Int32 = 0x676c_6f73

    /// A folder of this storage's own in the system's temporary folder: other processes and
    /// other storages (of other databases, whose corpus ids may be the same) build elsewhere.
    public func snapshotWorkDirectory() throws -> String {
        try OwnerOnly.createFolder((snapshotWorkFolder as NSString).deletingLastPathComponent)
        try OwnerOnly.createFolder(snapshotWorkFolder)
        return snapshotWorkFolder
    }

    var snapshotWorkFolder: String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-server-snapshots-\(getuid())").path
        return (base as NSString).appendingPathComponent("\(getpid())-\(UInt(bitPattern: ObjectIdentifier(self).hashValue))")
    }

    public func snapshotTarget(corpus: String) async throws -> SnapshotTarget? {
        for try await (id, position, epoch, floor) in try await client.query(
            "SELECT id, last_position, epoch, floor FROM corpora WHERE name = \(corpus)", logger: logger
        ).decode((Int64, Int64, String, Int64).self) {
            return SnapshotTarget(corpusID: id, corpus: corpus, position: position, epoch: epoch, floor: floor)
        }
        return nil
    }

    public func changeWires(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws -> [StoredWire] {
        var result: [StoredWire] = []
        for try await (position, wire) in try await client.query(
            """
            SELECT position, wire FROM changes WHERE corpus_id = \(corpusID) AND position > \(after) AND position <= \(upTo)
            ORDER BY position LIMIT \(Int64(limit))
            """, logger: logger
        ).decode((Int64, String).self) {
            result.append(StoredWire(position: position, wire: wire))
        }
        return result
    }

    /// Complete snapshots joined to their corpus (conditions are appended: integers only).
    static let snapshotSelect = """
        SELECT s.id, s.corpus_id, c.name, s.epoch, s.position, s.changes, s.size, s.sha256, s.created_at, c.epoch
        FROM snapshots s JOIN corpora c ON c.id = s.corpus_id WHERE s.complete
        """

    func snapshotRecords(_ rows: PostgresRowSequence) async throws -> [(record: SnapshotRecord, currentEpoch: String)] {
        var result: [(record: SnapshotRecord, currentEpoch: String)] = []
        for try await (id, corpusID, name, epoch, position, changes, size, sha256, created, current) in rows.decode(
            (Int64, Int64, String, String, Int64, Int64, Int64, String, String, String).self)
        {
            let record = SnapshotRecord(
                corpusID: corpusID, corpus: name, position: position, epoch: epoch, changes: changes, size: size, sha256: sha256,
                createdAt: created, key: String(id))
            result.append((record, current))
        }
        return result
    }

    public func latestSnapshot(corpusID: Int64) async throws -> SnapshotRecord? {
        try await snapshotRecords(
            client.query(
                PostgresQuery(unsafeSQL: Self.snapshotSelect + " AND s.corpus_id = \(corpusID) AND s.epoch = c.epoch"),
                logger: logger)
        ).first?.record
    }

    public func snapshots() async throws -> [SnapshotRecord] {
        try await snapshotRecords(client.query(PostgresQuery(unsafeSQL: Self.snapshotSelect + " ORDER BY c.name"), logger: logger)).map(\.record)
    }

    /// Uploads the file's chunks, then makes it the corpus's snapshot in one short
    /// transaction. Callers hold the corpus's build lock (``withSnapshotBuildLock(corpusID:_:)``):
    /// that transaction also removes uploads of the corpus that never completed (a build
    /// that died).
    public func saveSnapshot(corpusID: Int64, file: SnapshotFile) async throws -> SnapshotRecord {
        var newID: Int64?
        for try await id in try await client.query(
            """
            INSERT INTO snapshots (corpus_id, epoch, position, changes, size, sha256, chunk_size, created_at, complete)
            VALUES (\(corpusID), \(file.epoch), \(file.position), \(file.changes), \(file.size), \(file.sha256),
                    \(Int32(Self.snapshotChunkSize)), \(StoredValues.now()), FALSE)
            RETURNING id
            """, logger: logger
        ).decode(Int64.self) { newID = id }
        guard let id = newID else { throw StorageError.unknownCorpus(file.corpus) }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file.path))
            defer { try? handle.close() }
            var index: Int32 = 0
            while let data = try handle.read(upToCount: Self.snapshotChunkSize), !data.isEmpty {
                let bytes = ByteBuffer(bytes: data)
                try await client.query(
                    "INSERT INTO snapshot_chunks (snapshot_id, chunk, data) VALUES (\(id), \(index), \(bytes))", logger: logger)
                index += 1
            }
            return try await transaction { connection in
                var corpus: (epoch: String, floor: Int64)?
                for try await current in try await connection.query(
                    "SELECT epoch, floor FROM corpora WHERE id = \(corpusID) FOR SHARE", logger: logger
                ).decode((String, Int64).self) { corpus = current }
                guard let (epoch, floor) = corpus else { throw StorageError.unknownCorpus(file.corpus) }
                guard epoch == file.epoch else { throw StorageError.snapshotStale(corpus: file.corpus) }
                // Compacted past it meanwhile: a replica adopting it would be behind the floor.
                guard file.position >= floor else {
                    throw StorageError.snapshotBelowFloor(corpus: file.corpus, position: file.position, floor: floor)
                }
                var existing: (id: Int64, epoch: String, position: Int64)?
                for try await row in try await connection.query(
                    "SELECT id, epoch, position FROM snapshots WHERE corpus_id = \(corpusID) AND complete FOR UPDATE", logger: logger
                ).decode((Int64, String, Int64).self) { existing = row }
                if let existing, existing.epoch == epoch, existing.position >= file.position {
                    try await connection.query("DELETE FROM snapshots WHERE id = \(id)", logger: logger)
                    return try await self.snapshotRecords(
                        connection.query(
                            PostgresQuery(unsafeSQL: Self.snapshotSelect + " AND s.id = \(existing.id)"),
                            logger: logger)
                    ).first!.record
                }
                // The previous snapshot and abandoned uploads go; their chunks cascade.
                try await connection.query("DELETE FROM snapshots WHERE corpus_id = \(corpusID) AND id <> \(id)", logger: logger)
                try await connection.query("UPDATE snapshots SET complete = TRUE WHERE id = \(id)", logger: logger)
                return try await self.snapshotRecords(
                    connection.query(
                        PostgresQuery(unsafeSQL: Self.snapshotSelect + " AND s.id = \(id)"),
                        logger: logger)
                ).first!.record
            }
        } catch {
            _ = try? await client.query("DELETE FROM snapshots WHERE id = \(id) AND NOT complete", logger: logger)
            throw error
        }
    }

    public func snapshotFilePath(_ snapshot: SnapshotRecord) -> String? { nil }

    public func openSnapshot(_ snapshot: SnapshotRecord, from offset: Int64) async throws -> any SnapshotReader {
        guard let id = Int64(snapshot.key) else { throw StorageError.snapshotGone(corpus: snapshot.corpus) }
        var chunkSize: Int32?
        for try await size in try await client.query(
            "SELECT chunk_size FROM snapshots WHERE id = \(id) AND complete", logger: logger
        ).decode(Int32.self) { chunkSize = size }
        guard let chunkSize else { throw StorageError.snapshotGone(corpus: snapshot.corpus) }
        return PostgresSnapshotReader(
            storage: self, id: id, corpus: snapshot.corpus, size: snapshot.size, chunkSize: Int64(chunkSize), offset: offset)
    }

    /// Bytes `start ..< start + count` of chunk `index` of snapshot `id`, or `nil` when it is gone.
    func snapshotChunk(id: Int64, index: Int32, start: Int32, count: Int32) async throws -> ByteBuffer? {
        for try await bytes in try await client.query(
            "SELECT substring(data FROM \(start + 1) FOR \(count)) FROM snapshot_chunks WHERE snapshot_id = \(id) AND chunk = \(index)",
            logger: logger
        ).decode(ByteBuffer.self) { return bytes }
        return nil
    }

    public func withSnapshotBuildLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T? {
        // A session lock: held by this connection, across servers, until unlocked or the
        // connection ends (a server that dies releases it).
        try await client.withConnection { connection in
            let key = Int32(truncatingIfNeeded: corpusID)
            var locked = false
            for try await value in try await connection.query(
                "SELECT pg_try_advisory_lock(\(Self.snapshotLockKey), \(key))", logger: logger
            ).decode(Bool.self) { locked = value }
            guard locked else { return nil }
            do {
                let value = try await body()
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.snapshotLockKey), \(key))", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.snapshotLockKey), \(key))", logger: logger)
                throw error
            }
        }
    }

    /// Problems with the stored snapshots: an old epoch, chunks that do not add up to the
    /// recorded size and SHA-256.
    func snapshotProblems() async throws -> [String] {
        var problems: [String] = []
        for (record, current) in try await snapshotRecords(
            client.query(PostgresQuery(unsafeSQL: Self.snapshotSelect + " ORDER BY c.name"), logger: logger))
        {
            let advice = "run 'gloss-server snapshot create --corpus \(record.corpus)'"
            if record.epoch != current { problems.append("corpus \(record.corpus): its snapshot is of an earlier epoch; \(advice)") }
            let reader = try await openSnapshot(record, from: 0)
            var hasher = SnapshotHasher()
            do {
                while true {
                    let bytes = try await reader.read(maxLength: Self.snapshotChunkSize)
                    if bytes.readableBytes == 0 { break }
                    hasher.update(bytes)
                }
            } catch {
                problems.append("corpus \(record.corpus): its snapshot's chunks cannot be read (\(error)); \(advice)")
                continue
            }
            let (size, sha256) = hasher.finish()
            if size != record.size || sha256 != record.sha256 {
                problems.append(
                    "corpus \(record.corpus): its snapshot's chunks are not the file recorded (size \(size), not \(record.size), or another SHA-256); \(advice)")
            }
        }
        return problems
    }
}

/// Reads a PostgreSQL snapshot chunk by chunk, by its id.
final class PostgresSnapshotReader: SnapshotReader, @unchecked Sendable {
    private let storage: PostgresStorage
    private let id: Int64
    private let corpus: String
    private let size: Int64
    private let chunkSize: Int64
    private let lock = NSLock()
    private var offset: Int64

    init(storage: PostgresStorage, id: Int64, corpus: String, size: Int64, chunkSize: Int64, offset: Int64) {
        self.storage = storage
        self.id = id
        self.corpus = corpus
        self.size = size
        self.chunkSize = chunkSize
        self.offset = offset
    }

    func read(maxLength: Int) async throws -> ByteBuffer {
        let start = lock.withLock { offset }
        guard start < size, maxLength > 0 else { return ByteBuffer() }
        let index = start / chunkSize
        let within = start % chunkSize
        let count = min(Int64(maxLength), chunkSize - within, size - start)
        guard let bytes = try await storage.snapshotChunk(id: id, index: Int32(index), start: Int32(within), count: Int32(count)),
            bytes.readableBytes > 0
        else { throw StorageError.snapshotGone(corpus: corpus) }
        lock.withLock { offset = start + Int64(bytes.readableBytes) }
        return bytes
    }

    func close() async {}
}
