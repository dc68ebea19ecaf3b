public import Hummingbird
public import GlossCore
import NIOCore

/// An error answered as `{"error": {"code", "message"}}` with a 4xx status (or 5xx for
/// the server's own faults). Messages say what to do.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// A stable machine-readable code, listed in docs/protocol.md.
    public let code: String
    public let message: String
    /// Extra members of the error object (e.g. `expected` for a seq gap).
    public var extra: [String: JSONValue] = [:]
    /// The `Allow` header of a 405.
    var allow: String?
    /// Answer with `Connection: close` and close the connection after the answer: for a
    /// request whose body was left unread, so the rest of it is not taken for a next request.
    var closesConnection = false

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var error = extra
        error["code"] = .string(code)
        error["message"] = .string(message)
        let body = CanonicalJSON.string(.object(["error": .object(error)]))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[GlossProtocol.header] = GlossProtocol.version
        if let allow { headers[.allow] = allow }
        if closesConnection { headers[.connection] = "close" }
        // Framed explicitly: for some requests (CONNECT) the HTTP layer would otherwise send
        // neither a length nor chunks, and the client could not tell where the answer ends.
        headers[.contentLength] = String(body.utf8.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func invalidJSON(_ message: String) -> APIError { APIError(.badRequest, "invalid_json", message) }
    static func invalidChange(_ message: String) -> APIError { APIError(.unprocessableContent, "invalid_change", message) }
    static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, "too_large", message) }

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
            let allowed = Routes.methods(forPath: request.uri.path)
            if !allowed.isEmpty {
                var refusal = APIError(
                    .methodNotAllowed, "method_not_allowed",
                    "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed.joined(separator: " or "))")
                refusal.allow = allowed.joined(separator: ", ")
                return refusal
            }
            return APIError(.notFound, "not_found", "no such route: \(request.method.rawValue) \(request.uri.path); see docs/protocol.md")
        }
        let code = error.status.code < 500 ? "bad_request" : "internal"
        return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
    }

    /// Maps the storage's refusals to answers.
    static func from(_ error: StorageError) -> APIError {
        switch error {
        case .seqGap(_, let expected, _):
            return APIError(.conflict, "seq_gap", error.description, extra: ["expected": .int(Int64(expected))])
        case .replicaOwned: return APIError(.forbidden, "replica_owned", error.description)
        case .unknownCorpus: return APIError(.notFound, "not_found", error.description)
        case .corpusExists: return APIError(.conflict, "corpus_exists", error.description)
        case .invalidName: return APIError(.badRequest, "bad_request", error.description)
        case .unknownToken: return APIError(.notFound, "not_found", error.description)
        case .unseenDot: return APIError(.unprocessableContent, "unseen_dot", error.description)
        case .clockBackwards: return APIError(.unprocessableContent, "clock_backwards", error.description)
        case .dotConflict: return APIError(.conflict, "dot_conflict", error.description)
        case .backupExists, .notABackup, .invalidPostgresURL: return APIError(.internalServerError, "internal", error.description)
        }
    }
}
