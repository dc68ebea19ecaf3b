/// What a change does to its entity.
public enum ChangeOperation: String, Sendable, Hashable, Codable {
    /// Writes the entity's full new state.
    case put
    /// Deletes the entity (a tombstone; its history stays).
    case delete
}

/// One entry of the change log, as kept on every replica and the server and sent over
/// the wire.
///
/// The content is kept as its canonical JSON text, encoded once when the change is made,
/// so storing, pushing and pulling pass the same bytes along instead of re-encoding them.
public struct Change: Sendable, Hashable {
    public var dot: Dot
    public var kind: EntityKind
    public var entity: String
    public var operation: ChangeOperation
    public var clock: VectorClock
    public var timestamp: HybridTimestamp
    /// The versions this change replaces (the frontier it saw).
    public var replaces: [Dot]
    /// Canonical JSON of the entity's new state for `put`; `nil` for `delete`.
    public var content: String? {
        didSet { parsedContent = nil }
    }
    /// The user the server recorded as having pushed it (from the token, not the client).
    public var author: String?
    /// `content` already parsed, when the change was read from JSON that held it parsed
    /// (a pushed batch, a pulled page): ``version()`` then need not parse it again.
    /// Not part of the change's identity.
    var parsedContent: EntityContent?

    public init(
        dot: Dot, kind: EntityKind, entity: String, operation: ChangeOperation, clock: VectorClock,
        timestamp: HybridTimestamp, replaces: [Dot], content: String?, author: String? = nil
    ) {
        self.dot = dot
        self.kind = kind
        self.entity = entity
        self.operation = operation
        self.clock = clock
        self.timestamp = timestamp
        self.replaces = replaces
        self.content = content
        self.author = author
    }

    /// A change whose content is `fields`, encoded canonically now. The fields are kept
    /// as the parse of that text when reading it back would give them (see
    /// ``CanonicalJSON/roundTrips(_:)``), so ``version()`` need not parse it.
    public init(
        dot: Dot, kind: EntityKind, entity: String, operation: ChangeOperation, clock: VectorClock,
        timestamp: HybridTimestamp, replaces: [Dot], fields: EntityContent?, author: String? = nil
    ) {
        self.init(
            dot: dot, kind: kind, entity: entity, operation: operation, clock: clock, timestamp: timestamp,
            replaces: replaces, content: fields.map { CanonicalJSON.string(.object($0)) }, author: author)
        if let fields, CanonicalJSON.roundTrips(.object(fields)) { parsedContent = fields }
    }

    /// The version this change writes, with its content parsed.
    public func version() throws(ChangeError) -> Version {
        guard let content else { return Version(dot: dot, clock: clock, timestamp: timestamp, content: nil) }
        if let parsedContent { return Version(dot: dot, clock: clock, timestamp: timestamp, content: parsedContent) }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(content)
        } catch {
            throw .malformed(dot: dot, reason: error.description)
        }
        guard let object = parsed.objectValue else { throw .malformed(dot: dot, reason: "content is not a JSON object") }
        return Version(dot: dot, clock: clock, timestamp: timestamp, content: object)
    }

    /// Checks the change's own shape: its clock includes its dot and nothing of its own
    /// replica beyond it, a put has content and a delete has none.
    public func validateShape() throws(ChangeError) {
        guard clock[dot.replica] == dot.seq else {
            throw .malformed(dot: dot, reason: "its clock must hold its own seq \(dot.seq) for its replica")
        }
        switch operation {
        case .put where content == nil: throw .malformed(dot: dot, reason: "a put needs content")
        case .delete where content != nil: throw .malformed(dot: dot, reason: "a delete has no content")
        default: break
        }
        for replaced in replaces where !clock.contains(replaced) || replaced == dot {
            throw .malformed(dot: dot, reason: "it replaces \(replaced), which its clock does not include")
        }
    }
}

extension Change {
    public static func == (lhs: Change, rhs: Change) -> Bool {
        lhs.dot == rhs.dot && lhs.kind == rhs.kind && lhs.entity == rhs.entity && lhs.operation == rhs.operation
            && lhs.clock == rhs.clock && lhs.timestamp == rhs.timestamp && lhs.replaces == rhs.replaces
            && lhs.content == rhs.content && lhs.author == rhs.author
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(dot)
        hasher.combine(kind)
        hasher.combine(entity)
        hasher.combine(operation)
        hasher.combine(clock)
        hasher.combine(timestamp)
        hasher.combine(replaces)
        hasher.combine(content)
        hasher.combine(author)
    }
}

/// A change that cannot be accepted.
public enum ChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case malformed(dot: Dot, reason: String)
    case invalidContent(dot: Dot, ValidationError)

    public var description: String {
        switch self {
        case .unreadable(let reason): return "a change is unreadable: \(reason)"
        case .malformed(let dot, let reason): return "change \(dot) is malformed: \(reason)"
        case .invalidContent(let dot, let error): return "change \(dot) has invalid content: \(error)"
        }
    }
}
