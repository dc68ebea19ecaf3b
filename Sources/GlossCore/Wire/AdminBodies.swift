/// `GET /v1/corpora/{corpus}`: the corpus, and who the caller's token acts as.
public struct CorpusSummary: Sendable, Hashable {
    public var name: String
    /// When it was created, ISO 8601 in UTC.
    public var createdAt: String
    /// How many changes it holds (its latest position).
    public var changes: Int64
    /// The user the caller's token acts as.
    public var user: String
    public var scope: Scope

    public init(name: String, createdAt: String, changes: Int64, user: String, scope: Scope) {
        self.name = name
        self.createdAt = createdAt
        self.changes = changes
        self.user = user
        self.scope = scope
    }

    public var json: JSONValue {
        [
            "name": .string(name), "createdAt": .string(createdAt), "changes": .int(changes), "user": .string(user),
            "scope": .string(scope.rawValue),
        ]
    }

    public init(bytes: [UInt8]) throws(WireError) {
        let object = try JSONValue.wireObject(bytes, shape: #"{"name", "createdAt", "changes", "user", "scope"}"#)
        name = try object.wireString("name")
        createdAt = try object.wireString("createdAt")
        changes = try object.wireInt("changes")
        user = try object.wireString("user")
        scope = try object.wireScope("scope")
    }
}

/// A corpus's token as the server shows it: never its secret, but once, when created.
public struct TokenInfo: Sendable, Hashable {
    public var id: Int64
    public var user: String
    public var scope: Scope
    public var createdAt: String
    public var revokedAt: String?
    /// The secret itself, only in the answer that created it.
    public var secret: String?

    public init(id: Int64, user: String, scope: Scope, createdAt: String, revokedAt: String?, secret: String? = nil) {
        self.id = id
        self.user = user
        self.scope = scope
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.secret = secret
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(id), "user": .string(user), "scope": .string(scope.rawValue), "createdAt": .string(createdAt),
            "revokedAt": revokedAt.map(JSONValue.string) ?? .null,
        ]
        if let secret { object["token"] = .string(secret) }
        return .object(object)
    }

    static let shape = #"{"id", "user", "scope", "createdAt", "revokedAt"}"#

    public init(json: JSONValue) throws(WireError) {
        guard let object = json.objectValue else { throw .notAnObject(shape: Self.shape) }
        id = try object.wireInt("id")
        user = try object.wireString("user")
        scope = try object.wireScope("scope")
        createdAt = try object.wireString("createdAt")
        switch object["revokedAt"] {
        case .null?, nil: revokedAt = nil
        case .string(let text)?: revokedAt = text
        default: throw .invalidMember("revokedAt", expected: "a string or null")
        }
        switch object["token"] {
        case nil: secret = nil
        case .string(let text)?: secret = text
        default: throw .invalidMember("token", expected: "a string")
        }
    }

    public init(bytes: [UInt8]) throws(WireError) {
        try self.init(json: .object(try JSONValue.wireObject(bytes, shape: Self.shape)))
    }
}

/// `GET /v1/corpora/{corpus}/tokens`: `{"tokens": [...]}`.
public struct TokenList: Sendable, Hashable {
    public var tokens: [TokenInfo]

    public init(tokens: [TokenInfo]) { self.tokens = tokens }

    public var json: JSONValue { ["tokens": .array(tokens.map(\.json))] }

    public init(bytes: [UInt8]) throws(WireError) {
        var tokens: [TokenInfo] = []
        for item in try JSONValue.wireObject(bytes, shape: #"{"tokens"}"#).wireArray("tokens") {
            tokens.append(try TokenInfo(json: item))
        }
        self.tokens = tokens
    }
}

/// `POST /v1/corpora/{corpus}/tokens`: `{"user", "scope"}`; the scope is `write` when left out.
public struct CreateTokenRequest: Sendable, Hashable {
    public var user: String
    public var scope: Scope

    public init(user: String, scope: Scope = .write) {
        self.user = user
        self.scope = scope
    }

    public var json: JSONValue { ["user": .string(user), "scope": .string(scope.rawValue)] }

    public init(json: JSONValue) throws(WireError) {
        guard let object = json.objectValue else {
            throw .notAnObject(shape: #"{"user": NAME, "scope": "read"|"write"|"admin"}"#)
        }
        user = try object.wireString("user")
        scope = object["scope"] == nil ? .write : try object.wireScope("scope")
    }
}

/// `DELETE /v1/corpora/{corpus}?confirm={corpus}`: `{"deleted", "changes"}`.
public struct DeletedCorpus: Sendable, Hashable {
    /// The deleted corpus's name.
    public var name: String
    /// How many changes went with it.
    public var changes: Int64

    public init(name: String, changes: Int64) {
        self.name = name
        self.changes = changes
    }

    public var json: JSONValue { ["deleted": .string(name), "changes": .int(changes)] }

    public init(bytes: [UInt8]) throws(WireError) {
        let object = try JSONValue.wireObject(bytes, shape: #"{"deleted", "changes"}"#)
        name = try object.wireString("deleted")
        changes = try object.wireInt("changes")
    }
}

/// `GET /v1/healthz`: `{"status": "ok"}` while the server runs.
public enum HealthResponse {
    public static let body = #"{"status":"ok"}"#
}
