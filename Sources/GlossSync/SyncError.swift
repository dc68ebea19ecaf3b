public import GlossCore
public import GlossStore

/// Why a sync failed, written for the person who ran it.
public enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    case noRemote
    /// The ``TokenStore`` holds no token for the remote.
    case noToken(url: String, corpus: String)
    /// The ``TokenStore`` failed to read the token (a locked keychain, say).
    case tokenUnavailable(reason: String)
    case unreachable(url: String, reason: String)
    case unauthorized(String)
    case corpusNotFound(corpus: String)
    case forbidden(String)
    case protocolMismatch(String)
    case tls(String)
    case rejected(status: Int, code: ErrorCode, message: String)
    case serverFailing(status: Int, attempts: Int)
    case invalidResponse(String)
    /// The replica could not do its part (its file, or bad data in it).
    case store(StoreError)
    /// The sync was cancelled; what was applied stays, the rest comes with the next sync.
    case cancelled

    /// Whether trying again later may succeed (the server is down or failing).
    public var isTransient: Bool {
        switch self {
        case .unreachable, .serverFailing: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .noRemote:
            return "no remote is set; run 'gloss remote set URL --corpus NAME --token TOKEN' first"
        case .noToken(let url, let corpus):
            return "no token for corpus '\(corpus)' at \(url); set one with 'gloss remote set \(url) --corpus \(corpus) --token TOKEN'"
        case .tokenUnavailable(let reason): return "cannot read the token: \(reason)"
        case .unreachable(let url, let reason):
            return "cannot reach the server at \(url): \(reason); check that gloss-server runs there, then run 'gloss sync' again"
        case .unauthorized(let message):
            return "the server refused the token: \(message)"
        case .corpusNotFound(let corpus):
            return "the server has no corpus '\(corpus)' for this token; check the name with 'gloss remote set URL --corpus NAME --token TOKEN'"
        case .forbidden(let message): return "the server refused: \(message)"
        case .protocolMismatch(let message): return "protocol mismatch: \(message)"
        case .tls(let reason):
            return "\(reason); pass the server's CA with 'gloss remote set ... --cacert FILE', or install it in the system trust store"
        case .rejected(let status, let code, let message): return "the server refused the request (\(status) \(code)): \(message)"
        case .serverFailing(let status, let attempts):
            return "the server kept failing (HTTP \(status), \(attempts) attempts); nothing was lost: run 'gloss sync' again later"
        case .invalidResponse(let reason):
            return "the server sent an invalid response (\(reason)); nothing was applied: report it to the server's admin"
        case .store(let error): return "\(error)"
        case .cancelled: return "the sync was cancelled; nothing was lost: run 'gloss sync' again to finish it"
        }
    }
}
