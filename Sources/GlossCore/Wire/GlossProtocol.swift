/// The sync protocol's version and the header that carries it (docs/protocol.md).
///
/// Every request to a corpus route sends `Gloss-Protocol: 1`; the server answers with the
/// same header and refuses another version with `protocol_mismatch`.
public enum GlossProtocol {
    /// The version this code speaks.
    public static let version = "1"
    /// The name of the header that carries it.
    public static let headerName = "Gloss-Protocol"

    /// The headers of every request a client sends to a corpus route.
    /// - Parameter token: the bearer token, sent as `Authorization: Bearer TOKEN`.
    public static func requestHeaders(token: String) -> [(name: String, value: String)] {
        [(headerName, version), ("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
    }
}

/// What a token may do in its corpus: `read` pulls; `write` also pushes; `admin` also
/// manages the corpus's tokens and may delete it.
public enum Scope: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case read
    case write
    case admin

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public var description: String { rawValue }
}
