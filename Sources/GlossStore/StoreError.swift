public import GlossCore

/// Why a store operation failed. Each case carries what a front end needs to say so in
/// its own words (the CLI adds its `gloss …` hints in `client/`); ``description`` is a
/// plain sentence for logs and for programs without words of their own.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No store file at `path`.
    case storeMissing(path: String)
    /// Creating a store where one exists.
    case storeExists(path: String)
    /// The file could not be opened or created, and why.
    case cannotOpen(path: String, reason: String)
    /// The file is not a Gloss store.
    case notAStore(path: String)
    /// An id prefix shorter than 6 characters.
    case idTooShort(String)
    /// No entity of `kind` ("article" or "annotation") has this id or prefix.
    case notFound(kind: String, id: String)
    /// The prefix matches several entities; `matches` are their ids.
    case ambiguousID(String, matches: [String])
    /// The article is deleted (its history remains in the log).
    case articleDeleted(String)
    /// The quote does not occur in the article.
    case quoteNotFound(String)
    /// The quote occurs more than once; `occurrences` show each in context.
    case quoteAmbiguous(String, occurrences: [String])
    /// The occurrence asked for (1-based) is beyond the quote's `count` occurrences.
    case occurrenceOutOfRange(Int, count: Int)
    /// The content is not valid.
    case invalid(ValidationError)
    /// A change is not valid.
    case invalidChange(ChangeError)
    /// An edit that sets nothing.
    case nothingToEdit
    /// Resolving an entity that has no conflict.
    case notConflicted(String)
    /// No sibling version by that name; `available` are the names there are.
    case noSuchVersion(String, available: [String])
    /// "Theirs" is ambiguous for these fields: several other replicas changed them.
    case ambiguousSide(fields: [String])
    /// A resolution leaves these fields conflicting (no side's value was chosen).
    case unresolvedFields(id: String, fields: [String])
    /// Restoring a version the log does not hold (never pulled here, mistyped, or
    /// dropped by history compaction); `id` is the entity it was asked for.
    case versionNotFound(id: String, version: Dot)
    /// Restoring a version that belongs to another entity, `owner`, not to `id`.
    case versionOfAnotherEntity(id: String, version: Dot, owner: String)
    /// Restoring a version that deleted the entity: it has no content to bring back.
    case versionIsDeletion(id: String, version: Dot)
    /// The change log or the state derived from it is damaged.
    case logCorrupted(String)
    /// SQLite itself failed (a full disk, an I/O error, a lock held too long).
    case databaseFailed(reason: String)
    /// A snapshot was checked and refused; nothing of it was kept.
    case snapshotRefused(SnapshotRefusal)

    public var description: String {
        switch self {
        case .storeMissing(let path): return "no Gloss store at \(path)"
        case .storeExists(let path): return "a Gloss store already exists at \(path)"
        case .cannotOpen(let path, let reason): return "cannot open the store at \(path): \(reason)"
        case .notAStore(let path): return "\(path) is not a Gloss store"
        case .idTooShort(let prefix): return "id '\(prefix)' is too short: give at least 6 characters of it"
        case .notFound(let kind, let id): return "no \(kind) with id '\(id)'"
        case .ambiguousID(let prefix, let matches):
            return "id '\(prefix)' matches \(matches.count) entries (\(matches.prefix(5).joined(separator: ", "))); give more characters"
        case .articleDeleted(let id): return "article \(id) is deleted"
        case .quoteNotFound(let quote): return "the quote '\(quote)' does not occur in the article"
        case .quoteAmbiguous(let quote, let occurrences):
            return "the quote '\(quote)' occurs \(occurrences.count) times (\(occurrences.joined(separator: "; ")))"
        case .occurrenceOutOfRange(let occurrence, let count):
            return "occurrence \(occurrence) is out of range: the quote occurs \(count) time\(count == 1 ? "" : "s")"
        case .invalid(let error): return "\(error)"
        case .invalidChange(let error): return "\(error)"
        case .nothingToEdit: return "nothing to change: the edit sets no field"
        case .notConflicted(let id): return "\(id) has no conflict to resolve"
        case .noSuchVersion(let version, let available):
            return "no sibling version '\(version)'; choose one of: \(available.joined(separator: ", "))"
        case .ambiguousSide(let fields):
            return "several other replicas changed \(fields.joined(separator: ", ")); choose one of their versions"
        case .unresolvedFields(let id, let fields):
            return "\(id) still has conflicting \(fields.joined(separator: ", ")): choose a side or give new values"
        case .versionNotFound(let id, let version): return "this replica's log holds no version \(version) of \(id)"
        case .versionOfAnotherEntity(let id, let version, let owner): return "version \(version) belongs to \(owner), not to \(id)"
        case .versionIsDeletion(let id, let version): return "version \(version) of \(id) is a deletion, with no content to restore"
        case .logCorrupted(let reason): return "the change log is damaged (\(reason))"
        case .databaseFailed(let reason): return "the store's database failed: \(reason)"
        case .snapshotRefused(let refusal): return "\(refusal)"
        }
    }
}

extension EntityKind {
    /// A kind as stored in a derived table; anything else is damage, reported.
    static func stored(_ text: String) throws(StoreError) -> EntityKind {
        guard let kind = EntityKind(rawValue: text) else { throw .logCorrupted("a stored entity kind is '\(text)'") }
        return kind
    }
}
