public import Hummingbird
public import GlossCore
import NIOCore

/// An error answered with a 4xx status (or 5xx for the server's own faults) and an
/// ``ErrorBody``, `{"error": {"code", "message"}}`. Messages say what to do.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// The body: a stable code listed in docs/protocol.md, the message, and the members
    /// some codes carry (`expected` for a seq gap).
    public var body: ErrorBody
    /// The `Allow` header of a 405.
    var allow: String?
    /// The `Content-Range` header of a 416 (`bytes */SIZE`).
    var contentRange: String?
    /// Answer with `Connection: close` and close the connection after the answer: for a
    /// request whose body was left unread, so the rest of it is not taken for a next request.
    var closesConnection = false

    public init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String) {
        self.status = status
        self.body = ErrorBody(code: code, message: message)
    }

    public var code: ErrorCode { body.code }
    public var message: String { body.message }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = CanonicalJSON.string(body.json)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.glossProtocol] = GlossProtocol.version
        if let allow { headers[.allow] = allow }
        if let contentRange { headers[.contentRange] = contentRange }
        if closesConnection { headers[.connection] = "close" }
        // Framed explicitly: for some requests (CONNECT) the HTTP layer would otherwise send
        // neither a length nor chunks, and the client could not tell where the answer ends.
        headers[.contentLength] = String(body.utf8.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, .badRequest, message) }
    static func badRequest(_ error: WireError) -> APIError { badRequest(error.description) }
    static func invalidJSON(_ message: String) -> APIError { APIError(.badRequest, .invalidJSON, message) }
    static func invalidChange(_ message: String) -> APIError { APIError(.unprocessableContent, .invalidChange, message) }
    static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, .tooLarge, message) }

    /// A 413 for a body over the limit as sent, which the server stops reading: the
    /// connection closes after the answer (see ``CloseAfterResponse``).
    static func bodyTooLarge(_ message: String) -> APIError {
        var error = tooLarge(message)
        error.closesConnection = true
        return error
    }

    /// Hummingbird's own errors as JSON refusals; a 404 for a known path with another
    /// method becomes 405 with `Allow`.
    static func from(_ error: HTTPError, request: Request) -> APIError {
        if error.status == .notFound {
            if let allowed = WireRoute.matching(path: request.uri.path)?.methods {
                var refusal = APIError(
                    .methodNotAllowed, .methodNotAllowed,
                    "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed.joined(separator: " or "))")
                refusal.allow = allowed.joined(separator: ", ")
                return refusal
            }
            return APIError(.notFound, .notFound, "no such route: \(request.method.rawValue) \(request.uri.path); see docs/protocol.md")
        }
        let code: ErrorCode = error.status.code < 500 ? .badRequest : .internal
        return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
    }

    /// Maps the storage's refusals to answers.
    static func from(_ error: StorageError) -> APIError {
        switch error {
        case .seqGap(_, let expected, _):
            var refusal = APIError(.conflict, .seqGap, error.description)
            refusal.body.expected = expected
            return refusal
        case .replicaOwned: return APIError(.forbidden, .replicaOwned, error.description)
        case .unknownCorpus: return APIError(.notFound, .notFound, error.description)
        case .corpusExists: return APIError(.conflict, .corpusExists, error.description)
        case .invalidName: return APIError(.badRequest, .badRequest, error.description)
        case .unknownToken: return APIError(.notFound, .notFound, error.description)
        case .unseenDot: return APIError(.unprocessableContent, .unseenDot, error.description)
        case .clockBackwards: return APIError(.unprocessableContent, .clockBackwards, error.description)
        case .dotConflict: return APIError(.conflict, .dotConflict, error.description)
        case .behindFloor: return APIError(.gone, .resyncRequired, error.description)
        case .backupExists, .notABackup, .invalidPostgresURL, .corruptRecord, .snapshotGone, .snapshotStale, .unknownReplica,
            .snapshotBelowFloor:
            return APIError(.internalServerError, .internal, error.description)
        }
    }
}
