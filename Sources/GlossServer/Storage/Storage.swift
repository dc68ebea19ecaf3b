public import GlossCore
public import GlossStore
import Foundation
public import NIOCore

extension Scope {
    /// A token's scope as stored; anything else is damage, reported rather than read as
    /// a lesser scope.
    static func stored(_ text: String) throws(StorageError) -> Scope {
        guard let scope = Scope(rawValue: text) else { throw .corruptRecord("a token's scope is '\(text)'") }
        return scope
    }
}

/// A corpus as the server keeps it.
public struct Corpus: Sendable, Hashable {
    public let id: Int64
    public let name: String
    public let createdAt: String
    /// How many changes it stores. Without compaction, its latest position; compaction
    /// drops superseded versions and leaves gaps in the positions.
    public let changes: Int64
    /// Its latest position: how many changes were ever stored (positions are never reused).
    public let latestPosition: Int64
    /// Its compaction floor (``Storage/compact(corpus:)``): 0 when never compacted.
    public let floor: Int64
}

/// A token as stored (never the secret itself).
public struct TokenRecord: Sendable, Hashable {
    public let id: Int64
    public let corpus: String
    public let user: String
    public let scope: Scope
    public let createdAt: String
    public let revokedAt: String?
}

/// Who a request is from, established from its bearer token.
public struct Grant: Sendable, Hashable {
    public let corpusID: Int64
    public let corpus: String
    public let user: String
    public let scope: Scope
    /// The corpus's epoch: which history of positions the pull cursor counts in. It
    /// changes when the data is restored from a backup (docs/protocol.md).
    public let epoch: String
}

/// A pushed change, checked and ready to store: the change and the wire JSON that
/// pulls will serve (with the pushing user as `author`).
public struct IncomingChange: Sendable {
    public let change: Change
    public let wire: String
}

/// What a push did.
public struct PushResult: Sendable, Hashable {
    /// New changes stored.
    public var stored: Int
    /// Changes already stored (a retried batch).
    public var duplicates: Int
    /// The highest seq of this replica now stored.
    public var maxSeq: UInt64
    /// Stored changes that joined a frontier beside concurrent versions.
    public var concurrent: Int
    /// The corpus's latest position once the batch committed; `nil` when it stored nothing new.
    public var position: Int64? = nil
}

/// One page of a pull.
public struct PullPage: Sendable {
    /// The start of the response body: `{"changes":[` and the changes' wire JSON,
    /// comma-separated, in position order. Rows are written into it as they are read,
    /// so the server holds a page once, not as strings, then bytes, then a buffer.
    public var body: ByteBuffer
    /// How many changes `body` holds.
    public var count: Int
    /// The position of the last change in the page (the next `after`), or the request's
    /// `after` when the page is empty.
    public var cursor: Int64
    /// Whether changes remain after this page.
    public var more: Bool
    /// The corpus's latest position, read with the page.
    public var latest: Int64 = 0
    /// The corpus's compaction floor, read with the page.
    public var floor: Int64 = 0
}

/// Builds a pull page from rows read in position order, so both backends page alike.
///
/// Rows of the `excluding` replica (the puller's own changes, which it already holds)
/// are passed over: the cursor moves past them but their wire is not sent. A page passes
/// over at most ``scanLimit(limit:)`` rows, so a replica pulling after a big push of its
/// own gets short (even empty) pages whose cursor still moves, never one unbounded scan.
struct PullPageBuilder {
    let limit: Int
    let maxBytes: Int
    let excluding: String?
    private(set) var page: PullPage
    /// Where the first change starts in `page.body`.
    private let start: Int
    private var scanned = 0

    /// How many rows a page may read: `limit` changes to send, or ten times as many of the
    /// puller's own to pass over.
    static func scanLimit(limit: Int) -> Int { limit * 10 }

    init(after: Int64, limit: Int, maxBytes: Int, excluding: String?) {
        self.limit = limit
        self.maxBytes = maxBytes
        self.excluding = excluding
        var body = ByteBuffer()
        body.writeString(PullResponse.bodyPrefix)
        page = PullPage(body: body, count: 0, cursor: after, more: false)
        start = body.readableBytes
    }

    /// Takes the next row (`wire` may be `nil` for a row of the excluded replica); returns
    /// `false`, having set `more`, when the page is full and this row belongs to the next.
    mutating func add(position: Int64, replica: String, wire: String?) -> Bool {
        if page.more { return false }
        guard scanned < Self.scanLimit(limit: limit) else {
            page.more = true
            return false
        }
        if replica == excluding {
            scanned += 1
            page.cursor = position
            return true
        }
        let wire = wire ?? ""
        let bytes = page.body.readableBytes - start
        if page.count == limit || (page.count > 0 && bytes + wire.utf8.count > maxBytes) {
            page.more = true
            return false
        }
        scanned += 1
        if page.count > 0 { page.body.writeInteger(UInt8(ascii: ",")) }
        page.body.writeString(wire)
        page.count += 1
        page.cursor = position
        return true
    }
}

/// Why the storage refused a request. The HTTP layer turns each into a 4xx.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    case corpusExists(String)
    case unknownCorpus(String)
    case seqGap(replica: ReplicaID, expected: UInt64, got: UInt64)
    case replicaOwned(replica: ReplicaID)
    case invalidName(String)
    case unknownToken(Int64)
    /// A clock names a change of another replica that the corpus does not hold.
    case unseenDot(change: Dot, unseen: Dot, held: UInt64)
    /// A clock leaves out its own replica's earlier version of the entity.
    case clockBackwards(change: Dot, earlier: Dot)
    /// A pushed dot is already stored with other contents.
    case dotConflict(Dot)
    /// A backup would overwrite an existing file.
    case backupExists(String)
    /// A file to restore from is not a gloss-server backup.
    case notABackup(String, String)
    /// A PostgreSQL URL that cannot be used, and why.
    case invalidPostgresURL(String, reason: String)
    /// A stored record that cannot be read (damage, or a write outside gloss-server).
    case corruptRecord(String)
    /// The snapshot being read was replaced or removed meanwhile.
    case snapshotGone(corpus: String)
    /// The corpus's epoch was renewed while its snapshot was built: the snapshot was not kept.
    case snapshotStale(corpus: String)
    /// No replica of that id has pushed to or pulled from the corpus.
    case unknownReplica(corpus: String, replica: String)
    /// A replica is behind the corpus's compaction floor (`410 resync_required`): it pulled
    /// only up to `after` (`nil`: it did not say; `otherEpoch`: in a history the server no
    /// longer has), and history up to `floor` was compacted. See ``FloorRule``.
    case behindFloor(corpus: String, floor: Int64, after: Int64?, otherEpoch: Bool)
    /// The corpus was compacted past the position a snapshot was built at while it was built:
    /// the snapshot was not kept.
    case snapshotBelowFloor(corpus: String, position: Int64, floor: Int64)

    public var description: String {
        switch self {
        case .corpusExists(let name): return "corpus '\(name)' already exists"
        case .unknownCorpus(let name): return "no corpus named '\(name)'; create it with 'gloss-server corpus create \(name)'"
        case .seqGap(let replica, let expected, let got):
            return "replica \(replica) must push seq \(expected) next, not \(got); push its changes in order from \(expected)"
        case .replicaOwned(let replica):
            return "replica \(replica) belongs to another user; every replica syncs with its own user's token"
        case .invalidName(let name):
            return "'\(name)' is not a valid name: use 1 to 64 letters, digits, '-', '_' or '.'"
        case .unknownToken(let id): return "no token with id \(id)"
        case .unseenDot(let change, let unseen, let held):
            return "change \(change) has a clock that includes \(unseen), but this corpus holds only seq 1…\(held) of that replica; "
                + "a replica can push only to the corpus it pulls from (to move a corpus, copy the server's data)"
        case .dotConflict(let dot):
            return "change \(dot) differs from the change already stored under that dot; a dot names one change forever: run 'gloss doctor' on the replica"
        case .invalidPostgresURL(_, let reason):
            return "unusable PostgreSQL URL: \(reason); write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE"
                + "[?sslmode=disable|prefer|require&connect_timeout=SECONDS&pool_max=CONNECTIONS&application_name=NAME]"
        case .corruptRecord(let what):
            return "the server's data is damaged: \(what); run 'gloss-server check' and restore from a backup"
        case .backupExists(let file): return "\(file) already exists; give a new file name to back up into"
        case .notABackup(let file, let reason):
            return "\(file) is not a gloss-server backup (\(reason)); give a file made by 'gloss-server backup'"
        case .snapshotGone(let corpus):
            return "the snapshot of corpus '\(corpus)' was replaced while it was read; download it again"
        case .snapshotStale(let corpus):
            return "the epoch of corpus '\(corpus)' was renewed while its snapshot was built, so it was not kept; build it again"
        case .unknownReplica(let corpus, let replica):
            return "no replica '\(replica)' has synced with corpus '\(corpus)'; see them with 'gloss-server replicas list --corpus \(corpus)'"
        case .behindFloor(let corpus, let floor, let after, let otherEpoch):
            let rebuild = "it must rebuild from the current state ('gloss sync' does this by itself, keeping its unpushed changes)"
            guard let after else {
                return "this replica did not say up to which position it has pulled, and the server compacted the history of corpus "
                    + "'\(corpus)' through position \(floor), so its changes cannot be checked; \(rebuild)"
            }
            if otherEpoch {
                return "this replica has pulled up to position \(after) of an earlier history of corpus '\(corpus)' (the server's data "
                    + "was restored since), and the server compacted the corpus's history through position \(floor); \(rebuild)"
            }
            return "this replica has pulled only up to position \(after), but the server compacted the history of corpus "
                + "'\(corpus)' through position \(floor); \(rebuild)"
        case .snapshotBelowFloor(let corpus, let position, let floor):
            return "corpus '\(corpus)' was compacted through position \(floor) while its snapshot at position \(position) was built, "
                + "so it was not kept; build it again"
        case .clockBackwards(let change, let earlier):
            return "change \(change) has a clock that does not include \(earlier), its own replica's earlier version of the entity; "
                + "the replica's log is damaged: run 'gloss doctor'"
        }
    }
}

/// Where the server keeps corpora, tokens and changes. Implementations must store each
/// pushed batch and the frontiers it changes in one transaction, store each dot once,
/// and number a corpus's changes so that no pull ever skips one that commits late.
public protocol Storage: Sendable {
    func createCorpus(name: String) async throws -> Corpus
    /// The corpora, by name, with their stored change counts; only the one named `named`
    /// when given.
    func corpora(named: String?) async throws -> [Corpus]
    func createToken(corpus: String, user: String, scope: Scope, hash: String) async throws -> TokenRecord
    func tokens(corpus: String?) async throws -> [TokenRecord]
    /// Revokes a token: every later request with it is refused.
    func revokeToken(id: Int64) async throws -> TokenRecord
    /// Deletes a corpus with everything in it: tokens, replicas, changes.
    func deleteCorpus(name: String) async throws -> Corpus
    /// The grant of an unrevoked token, by its hash.
    func grant(forTokenHash hash: String) async throws -> Grant?
    /// Stores a replica's batch (its changes in seq order), merging each into its
    /// entity's frontier, in one transaction.
    ///
    /// `seen` is the pull position at which the replica made the changes. Once the corpus
    /// was compacted, a batch with new changes from a replica behind its floor is refused
    /// (``StorageError/behindFloor(corpus:floor:after:otherEpoch:)``, see ``FloorRule``),
    /// checked inside the pushing transaction so that no compaction raises the floor between
    /// the check and the commit.
    func push(corpusID: Int64, user: String, replica: ReplicaID, seen: PullPosition?, changes: [IncomingChange]) async throws
        -> PushResult
    /// Changes after `after`, at most `limit` of them and about `maxBytes` (always at least
    /// one), leaving out those of replica `excluding` (see ``PullPageBuilder``), with the
    /// corpus's latest position and floor read together with them. Positions a compaction
    /// dropped are passed over.
    func pull(corpusID: Int64, after: Int64, limit: Int, maxBytes: Int, excluding: ReplicaID?) async throws -> PullPage
    /// The latest position of a corpus.
    func latestPosition(corpusID: Int64) async throws -> Int64
    /// Checks the stored data; returns the problems found (none when healthy).
    func check() async throws -> [String]
    /// Gives every corpus a new epoch, so every replica's next sync starts over (after
    /// the data was restored from a backup). Returns the corpora.
    func renewEpochs() async throws -> [Corpus]
    /// Starts telling `notifier` of pushes that commit through *other* server processes on
    /// the same data, until ``shutdown()`` (this process's own pushes are notified by the push
    /// route). Without such a feed, the default, the notifier's safety re-check is how its
    /// long polls learn of them.
    func deliverChanges(to notifier: ChangeNotifier)
    /// Releases connections; the storage is not used afterwards.
    func shutdown() async

    // MARK: Who has seen what (docs/protocol.md, "Horizon"; kept by ``ReplicaBookkeeping``)

    /// Records sightings of replicas in one transaction: a replica first seen gets a row;
    /// one seen again gets the later time and user and the higher pulled position, and is
    /// active again if it was retired. Sightings of a deleted corpus are dropped.
    func recordSightings(_ sightings: [ReplicaSighting]) async throws
    /// The replicas of the corpus named `corpus`, with its latest position.
    /// - Throws: ``StorageError/unknownCorpus(_:)``.
    func replicaReport(corpus: String) async throws -> ReplicaReport
    /// Retires one replica of a corpus by hand (no change if it is retired already).
    /// - Throws: ``StorageError/unknownCorpus(_:)``, ``StorageError/unknownReplica(corpus:replica:)``.
    func retireReplica(corpus: String, replica: String) async throws -> ReplicaProgress
    /// Retires every active replica of every corpus last seen before `cutoff` (ISO 8601, UTC).
    func retireReplicas(silentSince cutoff: String) async throws -> [(corpus: String, replica: ReplicaProgress)]

    // MARK: Compaction (docs/operations.md, "Compaction")

    /// Drops the corpus's versions at or below its horizon that a later version there
    /// supersedes (see ``EntityCompaction``), safe while servers serve: first raises the
    /// corpus's floor to the horizon (and deletes a snapshot below it) in one transaction,
    /// then compacts a few hundred entities per transaction. Stopped at any point, it leaves
    /// a consistent store, and the next compaction finishes the job.
    /// - Throws: ``StorageError/unknownCorpus(_:)``.
    func compact(corpus: String) async throws -> CompactionReport

    // MARK: Snapshots (docs/protocol.md, "Snapshot"; built by ``SnapshotMaker``)

    /// A corpus's latest position and epoch, read together: every change up to that
    /// position has committed (positions commit in order on both backends), so it is a
    /// consistent cut to build a snapshot at. `nil` for an unknown corpus.
    func snapshotTarget(corpus: String) async throws -> SnapshotTarget?
    /// The stored changes' wire JSON with positions in `after + 1 … upTo`, in position
    /// order, at most `limit` of them.
    func changeWires(corpusID: Int64, after: Int64, upTo: Int64, limit: Int) async throws -> [StoredWire]
    /// The corpus's latest snapshot, only if it is of the corpus's current epoch.
    func latestSnapshot(corpusID: Int64) async throws -> SnapshotRecord?
    /// Every recorded snapshot of every corpus, for listings and ``check()``.
    func snapshots() async throws -> [SnapshotRecord]
    /// Stores a finished snapshot file as the corpus's latest, replacing the previous one
    /// in one short transaction, unless the corpus's epoch has changed since the file was
    /// built or a snapshot at the same or a later position is recorded already: then the
    /// recorded one is returned and the file is not kept. The file at `file.path` is moved
    /// or copied away; the caller removes whatever is left of it.
    func saveSnapshot(corpusID: Int64, file: SnapshotFile) async throws -> SnapshotRecord
    /// Opens the bytes of a recorded snapshot from `offset` on. Reading a snapshot that was
    /// replaced since fails (``StorageError/snapshotGone``) rather than yield another file's bytes.
    func openSnapshot(_ snapshot: SnapshotRecord, from offset: Int64) async throws -> any SnapshotReader
    /// The snapshot as a file on this machine, if the storage keeps it as one (SQLite);
    /// `nil` when its bytes live elsewhere (PostgreSQL).
    func snapshotFilePath(_ snapshot: SnapshotRecord) -> String?
    /// A private folder for building snapshots (made 0700 when needed).
    func snapshotWorkDirectory() throws -> String
    /// Runs `body` unless another build of the corpus's snapshot holds the lock (in this
    /// process or another on the same data): then returns `nil` at once.
    func withSnapshotBuildLock<T: Sendable>(corpusID: Int64, _ body: @Sendable () async throws -> T) async throws -> T?
}

extension Storage {
    /// No feed: SQLite has no way to hear of another process's commit.
    public func deliverChanges(to notifier: ChangeNotifier) {}

    /// Every corpus, by name.
    public func corpora() async throws -> [Corpus] { try await corpora(named: nil) }
}

/// Where and in which history a snapshot is built: see ``Storage/snapshotTarget(corpus:)``.
public struct SnapshotTarget: Sendable, Hashable {
    public let corpusID: Int64
    public let corpus: String
    public let position: Int64
    public let epoch: String
    /// The corpus's compaction floor: the snapshot says it, so that a replica started from it
    /// knows its log may lack superseded versions (`gloss doctor`) before its first page.
    public var floor: Int64 = 0
}

/// A stored change's position and wire JSON.
public struct StoredWire: Sendable {
    public let position: Int64
    public let wire: String
}

/// What the server records about a corpus's snapshot (the bytes themselves are kept in the
/// data folder on SQLite and in PostgreSQL on PostgreSQL).
public struct SnapshotRecord: Sendable, Hashable {
    public let corpusID: Int64
    public let corpus: String
    /// The position it was built at (the cursor a replica adopting it continues from).
    public let position: Int64
    public let epoch: String
    /// How many changes its log holds.
    public let changes: Int64
    /// The file's size in bytes.
    public let size: Int64
    /// The file's SHA-256, lowercase hex: its `ETag`.
    public let sha256: String
    public let createdAt: String
    /// Where the backend keeps the bytes: a file name in the snapshots folder (SQLite), a
    /// row id of `snapshots` (PostgreSQL).
    let key: String

    /// The `ETag` it is served with.
    public var etag: String { SnapshotHeaders.etag(sha256Hex: sha256) }
}

/// Reads a snapshot's bytes in order, from where it was opened.
public protocol SnapshotReader: Sendable {
    /// The next bytes, at most `maxLength`; an empty buffer at the end.
    func read(maxLength: Int) async throws -> ByteBuffer
    /// Releases what the reader holds (a file); it is not used afterwards.
    func close() async
}

/// Names of corpora and users: 1–64 of letters, digits, `-`, `_`, `.`.
public enum Names {
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        return bytes.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }
}

/// Values both storage backends write the same way.
enum StoredValues {
    /// A timestamp for `created_at`, `received_at` and the like: ISO 8601, UTC.
    static func now() -> String { PlainFormat.now() }

    /// A new corpus epoch: 128 random bits in hex.
    static func newEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in PlainFormat.hex(generator.next() as UInt64) }.joined()
    }
}
