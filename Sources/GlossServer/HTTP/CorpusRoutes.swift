import Hummingbird
import GlossCore

/// A corpus's own administration over HTTP: what any of its tokens may see about it, and
/// what its `admin` tokens may do (docs/protocol.md, "Administration").
///
/// - `GET /v1/corpora/{corpus}`: name, size, and the caller's user and scope (any scope).
/// - `GET /v1/corpora/{corpus}/tokens`: its tokens, never their secrets (admin).
/// - `POST /v1/corpora/{corpus}/tokens` `{"user", "scope"}`: a new token, shown once (admin).
/// - `DELETE /v1/corpora/{corpus}/tokens/{id}`: revokes one of its tokens (admin).
/// - `DELETE /v1/corpora/{corpus}?confirm={corpus}`: deletes it with everything in it (admin).
struct CorpusRoutes {
    let storage: any Storage
    let limits: Limits

    func add(to group: RouterGroup<GlossRequestContext>) {
        group.on(.corpus, method: .get) { request, context in try await summary(request, context) }
        group.on(.corpus, method: .delete) { request, context in try await delete(request, context) }
        group.on(.tokens, method: .get) { request, context in try await listTokens(request, context) }
        group.on(.tokens, method: .post) { request, context in try await createToken(request, context) }
        group.on(.token, method: .delete) { request, context in try await revokeToken(request, context) }
    }

    func summary(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .read)
        guard let corpus = try await storage.corpora(named: grant.corpus).first(where: { $0.id == grant.corpusID }) else {
            throw APIError(.notFound, .notFound, "no such corpus for this token; check the corpus name (gloss remote set --corpus)")
        }
        let answer = CorpusSummary(
            name: corpus.name, createdAt: corpus.createdAt, changes: corpus.changes, user: grant.user, scope: grant.scope)
        return Body.response(Array(CanonicalJSON.string(answer.json).utf8), request: request, limits: limits)
    }

    func delete(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        guard request.uri.queryParameters[DeleteCorpusQuery.confirm[...]].map(String.init) == grant.corpus else {
            throw APIError(
                .badRequest, .confirmationNeeded,
                "deleting corpus '\(grant.corpus)' removes every change in it; confirm with ?\(DeleteCorpusQuery.confirm)=\(grant.corpus)")
        }
        let corpus: Corpus
        do {
            corpus = try await storage.deleteCorpus(name: grant.corpus)
        } catch let error as StorageError {
            throw APIError.from(error)
        }
        let answer = DeletedCorpus(name: corpus.name, changes: corpus.changes)
        return Body.response(Array(CanonicalJSON.string(answer.json).utf8), request: request, limits: limits)
    }

    func listTokens(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        let tokens = try await storage.tokens(corpus: grant.corpus)
        let answer = TokenList(tokens: tokens.map(Self.info))
        return Body.response(Array(CanonicalJSON.string(answer.json).utf8), request: request, limits: limits)
    }

    func createToken(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        let asked: CreateTokenRequest
        do {
            asked = try CreateTokenRequest(json: try await Body.json(request, limits: limits))
        } catch let error as WireError {
            throw APIError.badRequest(error)
        }
        let secret = Tokens.generate()
        let record: TokenRecord
        do {
            record = try await storage.createToken(corpus: grant.corpus, user: asked.user, scope: asked.scope, hash: Tokens.hash(secret))
        } catch let error as StorageError {
            throw APIError.from(error)
        }
        var answer = Self.info(record)
        answer.secret = secret
        return Body.response(Array(CanonicalJSON.string(answer.json).utf8), status: .created, request: request, limits: limits)
    }

    func revokeToken(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        let notFound = APIError(.notFound, .notFound, "this corpus has no such token; list them with GET …/tokens")
        guard let text = context.parameters.get(WireRoute.tokenParameter), let id = Int64(text) else { throw notFound }
        // Only this corpus's tokens: another corpus's ids answer as if they did not exist.
        guard try await storage.tokens(corpus: grant.corpus).contains(where: { $0.id == id }) else { throw notFound }
        let record: TokenRecord
        do {
            record = try await storage.revokeToken(id: id)
        } catch let error as StorageError {
            throw APIError.from(error)
        }
        return Body.response(Array(CanonicalJSON.string(Self.info(record).json).utf8), request: request, limits: limits)
    }

    static func info(_ token: TokenRecord) -> TokenInfo {
        TokenInfo(id: token.id, user: token.user, scope: token.scope, createdAt: token.createdAt, revokedAt: token.revokedAt)
    }
}
