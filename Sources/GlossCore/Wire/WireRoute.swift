/// Every route of the protocol: its path pattern, the methods it answers and the path a
/// client asks for. The server registers its routes from these patterns and the clients
/// build their paths with them, so a path is spelled once (docs/protocol.md).
public enum WireRoute: CaseIterable, Sendable {
    /// `GET /v1/healthz`: whether the server runs (no token, no protocol header).
    case health
    /// `GET /metrics`: Prometheus exposition.
    case metrics
    /// `GET /v1/corpora/{corpus}`: its summary; `DELETE …?confirm={corpus}`: deletes it.
    case corpus
    /// `POST /v1/corpora/{corpus}/changes`: push; `GET …?after=…`: pull.
    case changes
    /// `GET /v1/corpora/{corpus}/tokens`: its tokens; `POST`: a new one.
    case tokens
    /// `DELETE /v1/corpora/{corpus}/tokens/{id}`: revokes one.
    case token
    /// `GET /v1/corpora/{corpus}/snapshot`: the corpus's latest snapshot, a ready replica
    /// file (see ``SnapshotHeaders``).
    case snapshot

    /// The group every corpus route lives under, with the corpus as a parameter.
    public static let corpusGroup = "v1/corpora/:corpus"
    /// The name of the corpus parameter in ``corpusGroup``.
    public static let corpusParameter = "corpus"
    /// The name of the token id parameter in ``token``'s pattern.
    public static let tokenParameter = "id"

    /// The pattern relative to ``corpusGroup`` for corpus routes, or from the root for the
    /// others, as the server's router takes it (`:name` is a parameter).
    public var pattern: String {
        switch self {
        case .health: return "v1/healthz"
        case .metrics: return "metrics"
        case .corpus: return ""
        case .changes: return "changes"
        case .tokens: return "tokens"
        case .token: return "tokens/:\(Self.tokenParameter)"
        case .snapshot: return "snapshot"
        }
    }

    /// Whether the route lives under ``corpusGroup`` (and so needs the protocol header and
    /// a token).
    public var isCorpusRoute: Bool {
        switch self {
        case .health, .metrics: return false
        case .corpus, .changes, .tokens, .token, .snapshot: return true
        }
    }

    /// The methods it answers.
    public var methods: [String] {
        switch self {
        case .health, .metrics: return ["GET"]
        case .corpus: return ["GET", "DELETE"]
        case .changes: return ["GET", "POST"]
        case .tokens: return ["GET", "POST"]
        case .token: return ["DELETE"]
        case .snapshot: return ["GET", "HEAD"]
        }
    }

    /// The full path's segments, `*` standing for a parameter.
    public var segments: [String] {
        let full = isCorpusRoute ? Self.corpusGroup + (pattern.isEmpty ? "" : "/" + pattern) : pattern
        return full.split(separator: "/").map { $0.hasPrefix(":") ? "*" : String($0) }
    }

    /// The route a request path matches, if any.
    public static func matching(path: String) -> WireRoute? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return allCases.first { route in
            let pattern = route.segments
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0 == "*" || $0 == $1 }
        }
    }

    // MARK: Paths a client asks for

    /// `/v1/healthz`.
    public static var healthPath: String { "/" + WireRoute.health.pattern }

    /// `/v1/corpora/{corpus}`.
    public static func corpusPath(_ corpus: String) -> String {
        "/v1/corpora/" + percentEncoded(corpus)
    }

    /// `/v1/corpora/{corpus}/changes`.
    public static func changesPath(_ corpus: String) -> String { corpusPath(corpus) + "/changes" }

    /// `/v1/corpora/{corpus}/snapshot`.
    public static func snapshotPath(_ corpus: String) -> String { corpusPath(corpus) + "/snapshot" }

    /// `/v1/corpora/{corpus}/tokens`.
    public static func tokensPath(_ corpus: String) -> String { corpusPath(corpus) + "/tokens" }

    /// `/v1/corpora/{corpus}/tokens/{id}`.
    public static func tokenPath(_ corpus: String, id: Int64) -> String { tokensPath(corpus) + "/\(id)" }

    /// `/v1/corpora/{corpus}?confirm={corpus}`: deleting a corpus names it twice.
    public static func deleteCorpusPath(_ corpus: String) -> String {
        corpusPath(corpus) + "?\(DeleteCorpusQuery.confirm)=" + percentEncoded(corpus)
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, so a name is one
    /// path segment or query value whatever it holds.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(digits[Int(byte >> 4)])
                encoded.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return encoded
    }
}

/// The query of `DELETE /v1/corpora/{corpus}`.
public enum DeleteCorpusQuery {
    /// The parameter that must repeat the corpus's name.
    public static let confirm = "confirm"
}
