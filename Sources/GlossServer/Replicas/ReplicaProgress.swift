public import GlossCore

/// What the server knows of one replica of a corpus: who it acts for, what it has sent
/// and seen, and when it was last heard of (`gloss-server replicas list`).
public struct ReplicaProgress: Sendable, Hashable {
    public var replica: String
    /// The user of the token it last used.
    public var user: String
    /// The highest seq of its own changes the corpus stores; 0 when it never pushed.
    public var pushedSeq: Int64
    /// The highest position it has said it holds (the `after` of a pull in the corpus's
    /// current epoch); 0 when it never said.
    public var pulledPosition: Int64
    /// When it last pushed or pulled (ISO 8601, UTC).
    public var lastSeenAt: String
    /// When it was retired, by hand or for its silence; `nil` while it is active.
    public var retiredAt: String?

    public init(replica: String, user: String, pushedSeq: Int64, pulledPosition: Int64, lastSeenAt: String, retiredAt: String?) {
        self.replica = replica
        self.user = user
        self.pushedSeq = pushedSeq
        self.pulledPosition = pulledPosition
        self.lastSeenAt = lastSeenAt
        self.retiredAt = retiredAt
    }

    public var isActive: Bool { retiredAt == nil }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "replica": .string(replica), "user": .string(user), "pushedSeq": .int(pushedSeq),
            "pulledPosition": .int(pulledPosition), "lastSeen": .string(lastSeenAt), "active": .bool(isActive),
        ]
        if let retiredAt { object["retired"] = .string(retiredAt) }
        return .object(object)
    }
}

/// The replicas of a corpus and its stability horizon.
public struct ReplicaReport: Sendable, Hashable {
    public var corpus: String
    /// The corpus's latest position.
    public var latestPosition: Int64
    /// Every replica, active ones first, then by replica id.
    public var replicas: [ReplicaProgress]

    public init(corpus: String, latestPosition: Int64, replicas: [ReplicaProgress]) {
        self.corpus = corpus
        self.latestPosition = latestPosition
        self.replicas = replicas.sorted { ($0.isActive ? 0 : 1, $0.replica) < ($1.isActive ? 0 : 1, $1.replica) }
    }

    /// The position up to which every active replica has seen the corpus: history at or
    /// below it is causally stable. With no active replica, the latest position (nobody
    /// is left to need anything older).
    public var horizon: Int64 {
        replicas.filter(\.isActive).map(\.pulledPosition).min().map { min($0, latestPosition) } ?? latestPosition
    }

    public var json: JSONValue {
        .object([
            "corpus": .string(corpus), "latestPosition": .int(latestPosition), "horizon": .int(horizon),
            "replicas": .array(replicas.map(\.json)),
        ])
    }
}

/// One sighting of a replica by a push or a pull, recorded in batches (``ReplicaBookkeeping``).
public struct ReplicaSighting: Sendable, Hashable {
    public var corpusID: Int64
    public var replica: String
    public var user: String
    /// The `after` of a pull that named the corpus's current epoch; `nil` for a push, or a
    /// pull that did not.
    public var pulledPosition: Int64?
    /// ISO 8601, UTC.
    public var at: String

    public init(corpusID: Int64, replica: String, user: String, pulledPosition: Int64?, at: String) {
        self.corpusID = corpusID
        self.replica = replica
        self.user = user
        self.pulledPosition = pulledPosition
        self.at = at
    }

    /// This sighting and a later one of the same replica, as one: the latest time and
    /// user, the highest position.
    func merged(with later: ReplicaSighting) -> ReplicaSighting {
        var merged = later
        merged.at = max(at, later.at)
        merged.pulledPosition = [pulledPosition, later.pulledPosition].compactMap { $0 }.max()
        return merged
    }
}
