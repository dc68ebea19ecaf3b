/// Failures the command line itself detects, with what to do about them.
enum CLIError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)
    case folderNeeded(format: String)
    case wrongKind(id: String, expected: String, options: String)
    case unhealthy(problems: Int, advice: String)
    case confirmationMismatch(expected: String, given: String)
    case cannotRead(path: String, reason: String)
    case notAVersion(String, id: String)

    var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason); check the path and its permissions"
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .notAVersion(let text, let id):
            return "'\(text)' is not a version; give REPLICA:SEQ as 'gloss history \(id)' lists it"
        case .folderNeeded(let format): return "--format \(format) writes a folder of files: give one with --out FOLDER"
        case .wrongKind(let id, let expected, let options): return "\(id) is \(expected); \(options)"
        case .confirmationMismatch(let expected, let given):
            return "'\(given)' is not the remote corpus '\(expected)'; type the remote corpus's name to confirm (see 'gloss remote show')"
        case .unhealthy(let problems, let advice):
            return "the store has \(problems) problem\(problems == 1 ? "" : "s") (listed above); \(advice)"
        }
    }
}
