public import GlossCore

/// Why a store operation failed, written for the person at the keyboard: each message
/// says what happened and what to do.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case storeMissing(path: String)
    case storeExists(path: String)
    case cannotOpen(path: String, reason: String)
    case notAStore(path: String)
    case idTooShort(String)
    case notFound(kind: String, id: String)
    case ambiguousID(String, matches: [String])
    case articleDeleted(String)
    case quoteNotFound(String)
    case quoteAmbiguous(String, occurrences: [String])
    case occurrenceOutOfRange(Int, count: Int)
    case invalid(ValidationError)
    case invalidChange(ChangeError)
    case nothingToEdit
    case notConflicted(String)
    case noSuchVersion(String, available: [String])
    case ambiguousSide(String)
    case unresolvedFields(id: String, fields: [String])
    case logCorrupted(String)
    /// SQLite itself failed (a full disk, an I/O error, a lock held too long).
    case databaseFailed(reason: String)

    public var description: String {
        switch self {
        case .storeMissing(let path):
            return "no Gloss store at \(path); create one with 'gloss init' or point --store/GLOSS_STORE at one"
        case .storeExists(let path):
            return "a Gloss store already exists at \(path); use it as it is, or choose another path with --store"
        case .cannotOpen(let path, let reason):
            return "cannot open the store at \(path): \(reason); check the path and its permissions"
        case .notAStore(let path):
            return "\(path) is not a Gloss store; point --store at a file made by 'gloss init'"
        case .idTooShort(let prefix):
            return "id '\(prefix)' is too short: give at least 6 characters of it"
        case .notFound(let kind, let id):
            return "no \(kind) with id '\(id)'; list them with 'gloss \(kind == "article" ? "articles" : "annotations")'"
        case .ambiguousID(let prefix, let matches):
            return "id '\(prefix)' matches \(matches.count) entries (\(matches.prefix(5).joined(separator: ", "))); give more characters"
        case .articleDeleted(let id):
            return "article \(id) is deleted; see its history with 'gloss log --entity \(id.prefix(10))'"
        case .quoteNotFound(let quote):
            return "the quote '\(quote)' does not occur in the article; check its spelling, or use --start/--end"
        case .quoteAmbiguous(let quote, let occurrences):
            return "the quote '\(quote)' occurs \(occurrences.count) times (\(occurrences.joined(separator: "; "))); "
                + "choose one with --occurrence N"
        case .occurrenceOutOfRange(let occurrence, let count):
            return "--occurrence \(occurrence) is out of range: the quote occurs \(count) time\(count == 1 ? "" : "s"); "
                + (count == 1 ? "leave --occurrence out" : "give --occurrence 1 to \(count)")
        case .invalid(let error): return "\(error)"
        case .invalidChange(let error): return "\(error)"
        case .nothingToEdit:
            return "nothing to change: give at least one of --note, --add-tag, --remove-tag, --label, --color"
        case .notConflicted(let id):
            return "\(id) has no conflict to resolve; see open conflicts with 'gloss conflicts'"
        case .noSuchVersion(let version, let available):
            return "no sibling version '\(version)'; choose one of: \(available.joined(separator: ", "))"
        case .ambiguousSide(let reason): return reason
        case .unresolvedFields(let id, let fields):
            return "\(id) still has conflicting \(fields.joined(separator: ", ")): "
                + "choose with --mine, --theirs or --pick VERSION, or give new values"
        case .databaseFailed(let reason):
            return "the store's database failed: \(reason); check free disk space and permissions, then try again"
        case .logCorrupted(let reason):
            return "the change log is damaged (\(reason)); run 'gloss doctor' and restore from a backup if it fails"
        }
    }
}
