import Foundation
import GlossCore
import GlossServer
import GlossStore
import GRDB
import NIOCore

/// A `Storage` whose SQLite backend can "crash": the open storage is dropped and a new
/// one opened on the same data folder, so only what was committed survives.
final class CrashableStorage: Storage, @unchecked Sendable {
    let directory: String
    private let lock = NSLock()
    private var inner: SQLiteStorage

    init(directory: String) throws {
        self.directory = directory
        inner = try SQLiteStorage(directory: directory)
    }

    private var current: SQLiteStorage { lock.withLock { inner } }

    /// Drops the storage (and its connections) and reopens it from disk.
    func crash() throws {
        try lock.withLock {
            // The old storage goes with its connections; SQLite keeps only committed transactions.
            inner = try SQLiteStorage(directory: directory)
        }
    }

    func createCorpus(name: String) async throws -> Corpus { try await current.createCorpus(name: name) }
    func corpora(named name: String?) async throws -> [Corpus] { try await current.corpora(named: name) }
    func createToken(corpus: String, user: String, scope: Scope, hash: String) async throws -> TokenRecord {
        try await current.createToken(corpus: corpus, user: user, scope: scope, hash: hash)
    }
    func tokens(corpus: String?) async throws -> [TokenRecord] { try await current.tokens(corpus: corpus) }
    func revokeToken(id: Int64) async throws -> TokenRecord { try await current.revokeToken(id: id) }
    func deleteCorpus(name: String) async throws -> Corpus { try await current.deleteCorpus(name: name) }
    func grant(forTokenHash hash: String) async throws -> Grant? { try await current.grant(forTokenHash: hash) }
    func push(corpusID: Int64, user: String, replica: ReplicaID, seen: PullPosition?, changes: [IncomingChange]) async throws -> PushResult {
        try await current.push(corpusID: corpusID, user: user, replica: replica, seen: seen, changes: changes)
    }
    func pull(corpusID: Int64, after: Int64, limit: Int, maxBytes: Int, excluding: ReplicaID?) async throws -> PullPage {
        try await current.pull(corpusID: corpusID, after: after, limit: limit, maxBytes: maxBytes, excluding: excluding)
    }
    func latestPosition(corpusID: Int64) async throws -> Int64 { try await current.latestPosition(corpusID: corpusID) }
    func check() async throws -> [String] { try await current.check() }
    func renewEpochs() async throws -> [Corpus] { try await current.renewEpochs() }
    func compact(corpus: String) async throws -> CompactionReport { try await current.compact(corpus: corpus) }
    func shutdown() async { await current.shutdown() }
    func recordSightings(_ sightings: [ReplicaSighting]) async throws { try await current.recordSightings(sightings) }
    func replicaReport(corpus: String) async throws -> ReplicaReport { try await current.replicaReport(corpus: corpus) }
    func retireReplica(corpus: String, replica: String) async throws -> ReplicaProgress {
        try await current.retireReplica(corpus: corpus, replica: replica)
    }
    func retireReplicas(silentSince cutoff: String) async throws -> [(corpus: String, replica: ReplicaProgress)] {
        try await current.retireReplicas(silentSince: cutoff)
    }
    func snapshotTarget(corpus: String) async throws -> SnapshotTarget? { try await current.snapshotTarget(corpus: corpus) }
    func changeWires(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws -> [StoredWire] {
        try await current.changeWires(corpusID: corpusID, after: after, upTo: upTo, limit: limit)
    }
    func latestSnapshot(corpusID: Int64) async throws -> SnapshotRecord? { try await current.latestSnapshot(corpusID: corpusID) }
    func snapshots() async throws -> [SnapshotRecord] { try await current.snapshots() }
    func saveSnapshot(corpusID: Int64, file: SnapshotFile) async throws -> SnapshotRecord {
        try await current.saveSnapshot(corpusID: corpusID, file: file)
    }
    func openSnapshot(_ snapshot: SnapshotRecord, from offset: Int64) async throws -> any SnapshotReader {
        try await current.openSnapshot(snapshot, from: offset)
    }
    func snapshotFilePath(_ snapshot: SnapshotRecord) -> String? { current.snapshotFilePath(snapshot) }
    func snapshotWorkDirectory() throws -> String { try current.snapshotWorkDirectory() }
    func withSnapshotBuildLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T? {
        try await current.withSnapshotBuildLock(corpusID: corpusID, body)
    }
}

/// The server of one run: the real routes over a crashable SQLite storage in a temporary
/// folder, with one corpus and a write token per user.
final class SimulatedServer: @unchecked Sendable {
    static let corpus = "sim"
    let storage: CrashableStorage
    /// Records who has seen what, as `serve` does (its sightings outlive a server crash
    /// only as far as they were flushed; here they are flushed when checked).
    let bookkeeping: ReplicaBookkeeping
    let corpusID: Int64
    /// Bearer token of each user.
    let tokens: [String: String]
    private(set) var crashes = 0

    init(storage: CrashableStorage, bookkeeping: ReplicaBookkeeping, users: [String]) throws {
        self.storage = storage
        self.bookkeeping = bookkeeping
        corpusID = try runBlocking { try await storage.createCorpus(name: Self.corpus).id }
        var tokens: [String: String] = [:]
        for user in users {
            let token = Tokens.generate()
            _ = try runBlocking { try await storage.createToken(corpus: Self.corpus, user: user, scope: .write, hash: Tokens.hash(token)) }
            tokens[user] = token
        }
        self.tokens = tokens
    }

    func crash() throws {
        crashes += 1
        try storage.crash()
    }

    /// Every stored change in position order, as the server serves them.
    func log() throws -> [Change] {
        let storage = storage
        let corpusID = corpusID
        var changes: [Change] = []
        var cursor: Int64 = 0
        while true {
            let after = cursor
            let page = try runBlocking {
                try await storage.pull(corpusID: corpusID, after: after, limit: 10_000, maxBytes: 1 << 30, excluding: nil)
            }
            var body = page.body
            body.writeString("]}")
            for item in try JSONParser.parse(bytes: Array(body.readableBytesView))["changes"]?.arrayValue ?? [] {
                changes.append(try Change(json: item))
            }
            cursor = page.cursor
            if !page.more { return changes }
        }
    }

    func check() throws -> [String] {
        let storage = storage
        return try runBlocking { try await storage.check() }
    }

    /// The position the server records as seen by each replica, after writing what it saw.
    func seenPositions() throws -> [String: Int64] {
        let (storage, bookkeeping) = (storage, bookkeeping)
        let report = try runBlocking {
            await bookkeeping.flush()
            return try await storage.replicaReport(corpus: Self.corpus)
        }
        return Dictionary(report.replicas.map { ($0.replica, $0.pulledPosition) }, uniquingKeysWith: max)
    }

    /// The server's frontier rows, `kind entity replica:seq` sorted, read straight from its file.
    func frontier() throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: (storage.directory as NSString).appendingPathComponent("gloss.sqlite"), configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, entity, replica, seq FROM frontier ORDER BY kind, entity, replica, seq").map { row in
                "\(row["kind"] as String) \(row["entity"] as String) \(row["replica"] as String):\(row["seq"] as Int64)"
            }
        }
    }
}
