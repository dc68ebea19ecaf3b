public import GlossCore
public import GlossStore

/// A corpus's administration on its server, with the remote's token: the corpus summary
/// for any token, and token management and deletion for `admin` tokens.
///
/// Answers are the wire layer's typed bodies (docs/protocol.md, "Administration");
/// refusals become the same typed ``SyncError``s a sync throws.
public struct RemoteAdmin {
    let transport: any Transport
    let remote: RemoteState

    public init(transport: any Transport, remote: RemoteState) {
        self.transport = transport
        self.remote = remote
    }

    /// The corpus's name, size, and this token's user and scope.
    public func summary() throws(SyncError) -> CorpusSummary {
        try decode(try request(.get, WireRoute.corpusPath(remote.corpus)), as: CorpusSummary.init(bytes:))
    }

    /// The corpus's tokens, without their secrets.
    public func tokens() throws(SyncError) -> [TokenInfo] {
        try decode(try request(.get, WireRoute.tokensPath(remote.corpus)), as: TokenList.init(bytes:)).tokens
    }

    /// A new token; its ``TokenInfo/secret`` is shown this once.
    public func createToken(user: String, scope: Scope) throws(SyncError) -> TokenInfo {
        let body = Array(CanonicalJSON.string(CreateTokenRequest(user: user, scope: scope).json).utf8)
        return try decode(try request(.post, WireRoute.tokensPath(remote.corpus), body: body), as: TokenInfo.init(bytes:))
    }

    /// Revokes a token of the corpus by its id.
    public func revokeToken(id: Int64) throws(SyncError) -> TokenInfo {
        try decode(try request(.delete, WireRoute.tokenPath(remote.corpus, id: id)), as: TokenInfo.init(bytes:))
    }

    /// Deletes the corpus on the server, with everything in it.
    public func deleteCorpus() throws(SyncError) -> DeletedCorpus {
        try decode(try request(.delete, WireRoute.deleteCorpusPath(remote.corpus)), as: DeletedCorpus.init(bytes:))
    }

    func request(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]? = nil) throws(SyncError) -> [UInt8] {
        let headers = GlossProtocol.requestHeaders(token: remote.token)
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
        return response.body
    }

    func decode<Answer>(_ bytes: [UInt8], as read: ([UInt8]) throws(WireError) -> Answer) throws(SyncError) -> Answer {
        do {
            return try read(bytes)
        } catch {
            throw .invalidResponse("an answer that is not what the protocol says: \(error)")
        }
    }
}
