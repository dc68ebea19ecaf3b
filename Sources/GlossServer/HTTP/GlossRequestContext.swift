public import Hummingbird
import GlossCore

/// The request context of every route: Hummingbird's core storage plus who the request
/// is from once the bearer token has been checked.
public struct GlossRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``TokenAuthenticator`` for the corpus routes.
    public var grant: Grant?

    public init(source: Source) {
        coreContext = .init(source: source)
        grant = nil
    }

    /// Bodies are read by the routes themselves, with ``Limits``.
    public var maxUploadSize: Int { Limits.default.maxBodyBytes }
}

extension GlossRequestContext {
    /// The request's grant, checked against the corpus in the path and the scope needed.
    /// A token for another corpus gets the same 404 as an unknown corpus: a token never
    /// learns which other corpora exist.
    func grant(needs scope: Scope) throws -> Grant {
        guard let grant, let corpus = parameters.get(WireRoute.corpusParameter), grant.corpus == corpus else {
            throw APIError(.notFound, .notFound, "no such corpus for this token; check the corpus name (gloss remote set --corpus)")
        }
        guard grant.scope >= scope else {
            throw APIError(
                .forbidden, .forbidden,
                "this token has scope \(grant.scope.rawValue), and this needs \(scope.rawValue); ask the corpus's admin for such a token")
        }
        return grant
    }
}
