public import GlossStore

/// Where a replica's bearer token is kept. An app keeps it in the platform's keychain
/// (and never in the replica file); the CLI keeps it in the replica, as `gloss remote set`
/// writes it (``ReplicaTokenStore``).
///
/// ``SyncSession`` asks for the token before each sync, so a token renewed or revoked
/// in the keychain takes effect at the next sync.
public protocol TokenStore: Sendable {
    /// The token for `corpus` on the server at `url`, or `nil` when none is kept.
    func token(url: String, corpus: String) throws -> String?
}

/// The token kept in the replica's remote settings (``GlossDatabase/setRemote(url:corpus:token:cacert:)``).
/// The replica file is private to its owner (mode 0600).
public struct ReplicaTokenStore: TokenStore {
    let store: GlossDatabase

    public init(store: GlossDatabase) { self.store = store }

    public func token(url: String, corpus: String) throws -> String? {
        guard let remote = try store.remote(), remote.url == url, remote.corpus == corpus, !remote.token.isEmpty else {
            return nil
        }
        return remote.token
    }
}
