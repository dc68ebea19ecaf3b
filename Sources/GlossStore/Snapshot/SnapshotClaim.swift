
/// What a downloaded snapshot claims to be: the response's headers, checked again against
/// the file itself before it is adopted (``GlossDatabase/adoptSnapshot(at:claim:)``).
public struct SnapshotClaim: Sendable, Hashable {
    /// The corpus it is a snapshot of: the replica's remote corpus.
    public var corpus: String
    /// The epoch of the corpus's history its position counts in.
    public var epoch: String
    /// The server position it was built at: the cursor the pull continues from.
    public var position: Int64
    /// How many changes its log holds.
    public var changes: Int64
    /// The lowercase hex SHA-256 of the whole file (the response's `ETag`).
    public var sha256: String

    public init(corpus: String, epoch: String, position: Int64, changes: Int64, sha256: String) {
        self.corpus = corpus
        self.epoch = epoch
        self.position = position
        self.changes = changes
        self.sha256 = sha256
    }
}

/// Why a snapshot was refused. Each says what was wrong with the file; nothing of a
/// refused snapshot reaches the store, and the sync replays the log instead.
public enum SnapshotRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not start like an SQLite database.
    case notADatabase
    /// The file is shorter or longer than its header says, or than the download promised.
    case truncated(String)
    /// The file's SHA-256 is not the one the server announced.
    case hashMismatch(expected: String, actual: String)
    /// Its page size or another header field this replica cannot take as it is.
    case unsupportedFormat(String)
    /// SQLite's `quick_check` found damage.
    case damaged(String)
    /// Its schema is not exactly the one this version of Gloss makes.
    case schemaMismatch(String)
    /// It claims another corpus, epoch or position than the server announced.
    case claimMismatch(String)
    /// Its counts or ids do not add up.
    case inconsistent(String)

    public var description: String {
        switch self {
        case .notADatabase: return "the snapshot is not an SQLite database"
        case .truncated(let detail): return "the snapshot is truncated (\(detail))"
        case .hashMismatch(let expected, let actual):
            return "the snapshot's SHA-256 is \(actual.prefix(12))…, not the announced \(expected.prefix(12))…"
        case .unsupportedFormat(let detail): return "the snapshot's format is not one this replica takes (\(detail))"
        case .damaged(let detail): return "the snapshot is damaged (\(detail))"
        case .schemaMismatch(let detail): return "the snapshot's schema is not this version's (\(detail))"
        case .claimMismatch(let detail): return "the snapshot is not the one announced (\(detail))"
        case .inconsistent(let detail): return "the snapshot's contents do not add up (\(detail))"
        }
    }
}

/// What adopting a snapshot did.
public enum SnapshotAdoption: Sendable, Hashable {
    /// The replica now holds the snapshot's log and state, and pulls after `position`.
    case adopted(position: Int64, changes: Int64, bytes: Int64)
    /// The replica was not empty (or something wrote to it meanwhile): it was left as it
    /// was, and syncs by replaying the log.
    case replicaNotEmpty
}
