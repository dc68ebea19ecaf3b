public import GlossCore
public import GlossStore

/// Why a sync failed. Each case carries what a front end needs to say so in its own
/// words (the CLI adds its `gloss …` hints in `client/`); ``description`` is a plain
/// sentence for logs.
public enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The replica has no remote set.
    case noRemote
    /// The ``TokenStore`` holds no token for the remote.
    case noToken(url: String, corpus: String)
    /// The ``TokenStore`` failed to read the token (a locked keychain, say).
    case tokenUnavailable(reason: String)
    /// No HTTP answer: refused, timed out, cut off, or a name that does not resolve.
    case unreachable(url: String, reason: String)
    /// The server refused the token (unknown or revoked); its message.
    case unauthorized(String)
    /// The server has no such corpus for this token.
    case corpusNotFound(corpus: String)
    /// The token's scope does not allow the request; the server's message.
    case forbidden(String)
    /// Client and server speak different protocol versions; the server's message.
    case protocolMismatch(String)
    /// The server's certificate is not trusted, or TLS failed.
    case tls(String)
    /// Any other refusal, with the server's status, code and message.
    case rejected(status: Int, code: ErrorCode, message: String)
    /// The server answered 5xx (or 429) to every attempt.
    case serverFailing(status: Int, attempts: Int)
    /// The server's answer broke the protocol; nothing of it was applied.
    case invalidResponse(String)
    /// The replica could not do its part (its file, or bad data in it).
    case store(StoreError)
    /// The sync was cancelled; what was applied stays, the rest comes with the next sync.
    case cancelled
    /// The server compacted its history past what this replica had pulled, and kept
    /// refusing it after rebuilds; its message. (A sync rebuilds the replica by itself on
    /// the first refusal: see ``SyncReport/rebuild``.)
    case resyncRequired(String)

    /// Whether trying again later may succeed (the server is down or failing).
    public var isTransient: Bool {
        switch self {
        case .unreachable, .serverFailing: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .noRemote: return "no remote is set"
        case .noToken(let url, let corpus): return "no token for corpus '\(corpus)' at \(url)"
        case .tokenUnavailable(let reason): return "cannot read the token: \(reason)"
        case .unreachable(let url, let reason): return "cannot reach the server at \(url): \(reason)"
        case .unauthorized(let message): return "the server refused the token: \(message)"
        case .corpusNotFound(let corpus): return "the server has no corpus '\(corpus)' for this token"
        case .forbidden(let message): return "the server refused: \(message)"
        case .protocolMismatch(let message): return "protocol mismatch: \(message)"
        case .tls(let reason): return reason
        case .rejected(let status, let code, let message): return "the server refused the request (\(status) \(code)): \(message)"
        case .serverFailing(let status, let attempts):
            return "the server kept failing (HTTP \(status), \(attempts) attempts); nothing was lost"
        case .invalidResponse(let reason): return "the server sent an invalid response (\(reason)); nothing was applied"
        case .store(let error): return "\(error)"
        case .cancelled: return "the sync was cancelled; nothing was lost"
        case .resyncRequired(let message):
            return "the server keeps refusing this replica as behind its compacted history (\(message)); nothing was lost, sync again later"
        }
    }
}
