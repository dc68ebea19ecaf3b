/// The headers of `GET /v1/corpora/{corpus}/snapshot` (docs/protocol.md).
///
/// A snapshot is a replica file in the client's own schema, built by the server from every
/// change of the corpus up to a position, so that a new replica adopts it instead of
/// replaying the log. Its `remote` row names the corpus, the epoch and the position (the
/// cursor) it was built at; the response repeats them in these headers so a client can
/// refuse a snapshot of another corpus or history before downloading it, and checks the
/// file's own claims again once it has it.
///
/// The body is the file (`application/vnd.sqlite3`), streamed; `ETag` is the quoted
/// SHA-256 of the file in lowercase hex, so a client resumes an interrupted download with
/// `Range: bytes=N-` and `If-Range: ETAG` and checks the whole file's hash at the end.
/// No snapshot yet answers 404 with code ``ErrorCode/noSnapshot``.
public enum SnapshotHeaders {
    /// The position the snapshot was built at: the pull cursor to continue from.
    public static let position = "Gloss-Snapshot-Position"
    /// The epoch of the corpus's history the position counts in.
    public static let epoch = "Gloss-Snapshot-Epoch"
    /// How many changes the snapshot's log holds.
    public static let changes = "Gloss-Snapshot-Changes"
    /// The media type of the body.
    public static let contentType = "application/vnd.sqlite3"

    /// The `ETag` of a file whose SHA-256 is `sha256Hex`.
    public static func etag(sha256Hex: String) -> String { "\"\(sha256Hex)\"" }

    /// The lowercase hex SHA-256 an `ETag` names, if it is one of ours.
    public static func sha256Hex(etag: String) -> String? {
        guard etag.count == 66, etag.hasPrefix("\""), etag.hasSuffix("\"") else { return nil }
        let hex = etag.dropFirst().dropLast()
        guard hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return String(hex)
    }
}
