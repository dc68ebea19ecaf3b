public import GlossCore
public import GlossStore
import Foundation

/// A corpus's administration on its server, with the remote's token: the corpus summary
/// for any token, and token management and deletion for `admin` tokens.
///
/// Answers are the server's JSON (docs/protocol.md, "Administration"); refusals become
/// the same typed ``SyncError``s a sync throws.
public struct RemoteAdmin {
    let transport: any Transport
    let remote: RemoteState

    public init(transport: any Transport, remote: RemoteState) {
        self.transport = transport
        self.remote = remote
    }

    var corpusPath: String {
        "/v1/corpora/" + (remote.corpus.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? remote.corpus)
    }

    /// The corpus's name, size, and this token's user and scope.
    public func summary() throws(SyncError) -> JSONValue {
        try request(.get, corpusPath)
    }

    /// The corpus's tokens, without their secrets.
    public func tokens() throws(SyncError) -> [JSONValue] {
        try request(.get, corpusPath + "/tokens")["tokens"]?.arrayValue ?? []
    }

    /// A new token; the answer's `token` is its secret, shown this once.
    public func createToken(user: String, scope: String) throws(SyncError) -> JSONValue {
        let body: JSONValue = ["user": .string(user), "scope": .string(scope)]
        return try request(.post, corpusPath + "/tokens", body: Array(CanonicalJSON.string(body).utf8))
    }

    /// Revokes a token of the corpus by its id.
    public func revokeToken(id: Int64) throws(SyncError) -> JSONValue {
        try request(.delete, corpusPath + "/tokens/\(id)")
    }

    /// Deletes the corpus on the server, with everything in it.
    public func deleteCorpus() throws(SyncError) -> JSONValue {
        let confirm = remote.corpus.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? remote.corpus
        return try request(.delete, corpusPath + "?confirm=" + confirm)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]? = nil) throws(SyncError) -> JSONValue {
        let headers = [("Gloss-Protocol", "1"), ("Authorization", "Bearer \(remote.token)"), ("Accept", "application/json")]
        let response: HTTPResponse
        do {
            response = try transport.perform(HTTPRequest(method: method, path: path, headers: headers, body: body))
        } catch {
            if case .tls(let reason) = error { throw .tls(reason) }
            throw .unreachable(url: remote.url, reason: error.description)
        }
        guard (200..<300).contains(response.status) else {
            if response.status >= 500 { throw .serverFailing(status: response.status, attempts: 1) }
            throw SyncEngine.failure(response, corpus: remote.corpus)
        }
        guard let json = try? JSONParser.parse(bytes: response.body), json.objectValue != nil else {
            throw .invalidResponse("an answer that is not a JSON object")
        }
        return json
    }
}
