/// A stable, machine-readable refusal code (docs/protocol.md, "Errors"). Codes this
/// version does not know are kept as they came, so a newer server's refusals still read.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// The request does not speak this server's protocol version.
    public static let protocolMismatch: ErrorCode = "protocol_mismatch"
    /// A malformed request: a query parameter, a name, a body's shape.
    public static let badRequest: ErrorCode = "bad_request"
    /// The body is not JSON.
    public static let invalidJSON: ErrorCode = "invalid_json"
    /// No token, or an unknown or revoked one.
    public static let unauthorized: ErrorCode = "unauthorized"
    /// The token's scope does not allow the request.
    public static let forbidden: ErrorCode = "forbidden"
    /// A push holds another replica's change.
    public static let forbiddenDot: ErrorCode = "forbidden_dot"
    /// The replica pushes under another user.
    public static let replicaOwned: ErrorCode = "replica_owned"
    /// No such corpus for this token, route or token id.
    public static let notFound: ErrorCode = "not_found"
    /// A push does not start at the seq the server expects next (``ErrorBody/expected``).
    public static let seqGap: ErrorCode = "seq_gap"
    /// The corpus exists already.
    public static let corpusExists: ErrorCode = "corpus_exists"
    /// The body, a batch or a change is over the server's limits.
    public static let tooLarge: ErrorCode = "too_large"
    /// A `Content-Encoding` other than gzip.
    public static let unsupportedEncoding: ErrorCode = "unsupported_encoding"
    /// A change that is not valid.
    public static let invalidChange: ErrorCode = "invalid_change"
    /// A change's clock names a dot the server has never seen.
    public static let unseenDot: ErrorCode = "unseen_dot"
    /// A replica's clock went backwards.
    public static let clockBackwards: ErrorCode = "clock_backwards"
    /// A dot already stored with other content.
    public static let dotConflict: ErrorCode = "dot_conflict"
    /// Deleting a corpus without naming it again.
    public static let confirmationNeeded: ErrorCode = "confirmation_needed"
    /// A known path asked with another method.
    public static let methodNotAllowed: ErrorCode = "method_not_allowed"
    /// The server's own failure.
    public static let `internal`: ErrorCode = "internal"
    /// The corpus has no snapshot yet (`GET …/snapshot`): replay the log instead.
    public static let noSnapshot: ErrorCode = "no_snapshot"
    /// A `Range` the snapshot cannot satisfy (416).
    public static let rangeNotSatisfiable: ErrorCode = "range_not_satisfiable"
    /// The replica's cursor is below the corpus's compaction floor (410): versions it has not
    /// seen may have been dropped, so it must rebuild from the current state and push its
    /// unpushed changes again on top of it (docs/protocol.md, "Compaction and the floor").
    public static let resyncRequired: ErrorCode = "resync_required"

    /// Every code this version knows, as docs/openapi.yaml lists them.
    public static let known: [ErrorCode] = [
        .protocolMismatch, .badRequest, .invalidJSON, .unauthorized, .forbidden, .forbiddenDot, .replicaOwned, .notFound, .seqGap,
        .corpusExists, .tooLarge, .unsupportedEncoding, .invalidChange, .unseenDot, .clockBackwards, .confirmationNeeded,
        .dotConflict, .methodNotAllowed, .internal, .noSnapshot, .rangeNotSatisfiable,
        .resyncRequired,
    ]
}

/// The body of every refusal: `{"error": {"code", "message", …}}`.
public struct ErrorBody: Sendable, Hashable {
    public var code: ErrorCode
    /// What happened and what to do, for a person.
    public var message: String
    /// For ``ErrorCode/seqGap``: the seq the server expects next.
    public var expected: UInt64?
    /// For ``ErrorCode/protocolMismatch``: the version the server speaks.
    public var supported: String?

    public init(code: ErrorCode, message: String, expected: UInt64? = nil, supported: String? = nil) {
        self.code = code
        self.message = message
        self.expected = expected
        self.supported = supported
    }

    public var json: JSONValue {
        var error: [String: JSONValue] = ["code": .string(code.rawValue), "message": .string(message)]
        if let expected { error["expected"] = .int(Int64(expected)) }
        if let supported { error["supported"] = .string(supported) }
        return ["error": .object(error)]
    }

    /// Reads a refusal's body; `nil` when it is not one (a proxy's HTML page, say).
    public init?(bytes: [UInt8]) {
        guard let object = try? JSONValue.wireObject(bytes, shape: "{\"error\"}"), let error = object["error"]?.objectValue,
            let code = error["code"]?.stringValue, let message = error["message"]?.stringValue
        else { return nil }
        self.init(code: ErrorCode(rawValue: code), message: message)
        if let expected = error["expected"]?.intValue, expected >= 1 { self.expected = UInt64(expected) }
        supported = error["supported"]?.stringValue
    }
}
