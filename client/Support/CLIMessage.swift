import GlossCore
import GlossStore
import GlossSync

/// Turns any error into the one line a user of the CLI reads: what happened, and the
/// `gloss …` command or option that helps. The libraries' errors carry the values; the
/// words about this command line live here only.
enum CLIMessage {
    static func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as StoreError: text = store(error)
        case let error as SyncError: text = sync(error)
        default: text = String(describing: error)
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: "; ")
    }

    static func store(_ error: StoreError) -> String {
        switch error {
        case .storeMissing(let path):
            return "no Gloss store at \(path); create one with 'gloss init' or point --store/GLOSS_STORE at one"
        case .storeExists(let path):
            return "a Gloss store already exists at \(path); use it as it is, or choose another path with --store"
        case .cannotOpen(let path, let reason):
            return "cannot open the store at \(path): \(reason); check the path and its permissions"
        case .notAStore(let path):
            return "\(path) is not a Gloss store; point --store at a file made by 'gloss init'"
        case .notFound(let kind, let id):
            return "no \(kind) with id '\(id)'; list them with 'gloss \(kind == "article" ? "articles" : "annotations")'"
        case .articleDeleted(let id):
            return "article \(id) is deleted; see its versions with 'gloss history \(id.prefix(10))' and bring one back with 'gloss restore'"
        case .quoteNotFound(let quote):
            return "the quote '\(quote)' does not occur in the article; check its spelling, or use --start/--end"
        case .quoteAmbiguous:
            return "\(error); choose one with --occurrence N"
        case .occurrenceOutOfRange(let occurrence, let count):
            return "--occurrence \(occurrence) is out of range: the quote occurs \(count) time\(count == 1 ? "" : "s"); "
                + (count == 1 ? "leave --occurrence out" : "give --occurrence 1 to \(count)")
        case .nothingToEdit:
            return "nothing to change: give at least one of --note, --add-tag, --remove-tag, --label, --color"
        case .notConflicted(let id):
            return "\(id) has no conflict to resolve; see open conflicts with 'gloss conflicts'"
        case .ambiguousSide(let fields):
            return "several other replicas changed \(fields.joined(separator: ", ")); choose one with --pick VERSION (see 'gloss conflicts')"
        case .unresolvedFields(let id, let fields):
            return "\(id) still has conflicting \(fields.joined(separator: ", ")): "
                + "choose with --mine, --theirs or --pick VERSION, or give new values"
        case .versionNotFound(let id, _), .versionOfAnotherEntity(let id, _, _):
            return "\(error); list the versions of \(id) with 'gloss history \(id.prefix(10))'"
        case .versionIsDeletion(let id, let version):
            return "version \(version) of \(id) is a deletion; pick one with content from 'gloss history \(id.prefix(10))'"
        case .logCorrupted:
            return "\(error); run 'gloss doctor' and restore from a backup if it fails"
        case .databaseFailed:
            return "\(error); check free disk space and permissions, then try again"
        case .snapshotRefused:
            return "\(error); sync with 'gloss sync --no-snapshot' to replay the server's log instead"
        case .idTooShort, .ambiguousID, .invalid, .invalidChange, .noSuchVersion:
            return "\(error)"
        }
    }

    static func sync(_ error: SyncError) -> String {
        switch error {
        case .noRemote:
            return "no remote is set; run 'gloss remote set URL --corpus NAME --token TOKEN' first"
        case .noToken(let url, let corpus):
            return "\(error); set one with 'gloss remote set \(url) --corpus \(corpus) --token TOKEN'"
        case .unreachable:
            return "\(error); check that gloss-server runs there, then run 'gloss sync' again"
        case .corpusNotFound:
            return "\(error); check the name with 'gloss remote set URL --corpus NAME --token TOKEN'"
        case .tls(let reason):
            return "\(reason); pass the server's CA with 'gloss remote set ... --cacert FILE', or install it in the system trust store"
        case .serverFailing:
            return "\(error): run 'gloss sync' again later"
        case .invalidResponse:
            return "\(error): report it to the server's admin"
        case .cancelled:
            return "\(error): run 'gloss sync' again to finish it"
        case .resyncRequired:
            return "\(error); run 'gloss sync' again (a server that compacts without pause: ask its admin)"
        case .store(let inner):
            return store(inner)
        case .tokenUnavailable, .unauthorized, .forbidden, .protocolMismatch, .rejected:
            return "\(error)"
        }
    }
}
