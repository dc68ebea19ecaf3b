/// Why a file could not be imported.
public enum ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case notUTF8
    case empty
    case notSeedFormat(String)
    case badLine(line: Int, reason: String)
    /// A seed-format article a local write would refuse (a field too long, say).
    case invalid(String)
    /// An error about a whole file: which file, and the reason.
    indirect case inFile(path: String, ImportError)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path) does not exist; check the path"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .notUTF8: return "it is not UTF-8 text; convert it (e.g. with iconv) and import again"
        case .empty: return "it is empty; check that you named the right file"
        case .notSeedFormat(let reason):
            return "it is not a seed-format article: \(reason); fix the first line, or import a .jsonl export instead"
        case .badLine(let line, let reason): return "line \(line): \(reason); fix that line and import again"
        case .invalid(let reason): return "it cannot be imported: \(reason); fix the file and import again"
        case .inFile(let path, let error):
            switch error {
            case .missing, .unreadable, .inFile: return error.description
            default: return "cannot import \(path): \(error)"
            }
        }
    }
}
