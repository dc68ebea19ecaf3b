public import Hummingbird

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
