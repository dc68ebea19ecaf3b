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
        group.get { request, context in try await summary(request, context) }
        group.delete { request, context in try await delete(request, context) }
        group.get("tokens") { request, context in try await listTokens(request, context) }
        group.post("tokens") { request, context in try await createToken(request, context) }
        group.delete("tokens/:id") { request, context in try await revokeToken(request, context) }
    }

    func summary(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .read)
        guard let corpus = try await storage.corpora().first(where: { $0.id == grant.corpusID }) else {
            throw APIError(.notFound, "not_found", "no such corpus for this token; check the corpus name (gloss remote set --corpus)")
        }
        let answer: JSONValue = [
            "name": .string(corpus.name), "createdAt": .string(corpus.createdAt), "changes": .int(corpus.changes),
            "user": .string(grant.user), "scope": .string(grant.scope.rawValue),
        ]
        return Body.response(Array(CanonicalJSON.string(answer).utf8), request: request, limits: limits)
    }

    func delete(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        guard request.uri.queryParameters["confirm"].map(String.init) == grant.corpus else {
            throw APIError(
                .badRequest, "confirmation_needed",
                "deleting corpus '\(grant.corpus)' removes every change in it; confirm with ?confirm=\(grant.corpus)")
        }
        let corpus: Corpus
        do {
            corpus = try await storage.deleteCorpus(name: grant.corpus)
        } catch let error as StorageError {
            throw APIError.from(error)
        }
        let answer: JSONValue = ["deleted": .string(corpus.name), "changes": .int(corpus.changes)]
        return Body.response(Array(CanonicalJSON.string(answer).utf8), request: request, limits: limits)
    }

    func listTokens(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        let tokens = try await storage.tokens(corpus: grant.corpus)
        let answer: JSONValue = ["tokens": .array(tokens.map(Self.json))]
        return Body.response(Array(CanonicalJSON.string(answer).utf8), request: request, limits: limits)
    }

    func createToken(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        let body = try await Body.json(request, limits: limits)
        guard let object = body.objectValue, let user = object["user"]?.stringValue else {
            throw APIError.badRequest("the body must be an object {\"user\": NAME, \"scope\": \"read\"|\"write\"|\"admin\"}")
        }
        let scope: Scope
        switch object["scope"] {
        case nil: scope = .write
        case .string(let text)? where Scope(rawValue: text) != nil: scope = Scope(rawValue: text)!
        default: throw APIError.badRequest("'scope' must be \"read\", \"write\" or \"admin\"")
        }
        let secret = Tokens.generate()
        let record: TokenRecord
        do {
            record = try await storage.createToken(corpus: grant.corpus, user: user, scope: scope, hash: Tokens.hash(secret))
        } catch let error as StorageError {
            throw APIError.from(error)
        }
        guard case .object(var answer) = Self.json(record) else { preconditionFailure("a token record is an object") }
        answer["token"] = .string(secret)
        return Body.response(Array(CanonicalJSON.string(.object(answer)).utf8), status: .created, request: request, limits: limits)
    }

    func revokeToken(_ request: Request, _ context: GlossRequestContext) async throws -> Response {
        let grant = try context.grant(needs: .admin)
        let notFound = APIError(.notFound, "not_found", "this corpus has no such token; list them with GET …/tokens")
        guard let text = context.parameters.get("id"), let id = Int64(text) else { throw notFound }
        // Only this corpus's tokens: another corpus's ids answer as if they did not exist.
        guard try await storage.tokens(corpus: grant.corpus).contains(where: { $0.id == id }) else { throw notFound }
        let record: TokenRecord
        do {
            record = try await storage.revokeToken(id: id)
        } catch let error as StorageError {
            throw APIError.from(error)
        }
        return Body.response(Array(CanonicalJSON.string(Self.json(record)).utf8), request: request, limits: limits)
    }

    static func json(_ token: TokenRecord) -> JSONValue {
        [
            "id": .int(token.id), "user": .string(token.user), "scope": .string(token.scope.rawValue),
            "createdAt": .string(token.createdAt), "revokedAt": token.revokedAt.map(JSONValue.string) ?? .null,
        ]
    }
}
