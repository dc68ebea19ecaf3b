public import GlossCore

/// What one compaction of a corpus did (`gloss-server compact`, `serve --compact-every`).
public struct CompactionReport: Sendable, Hashable {
    public var corpus: String
    /// The corpus's horizon when the compaction began: what every active replica has seen.
    public var horizon: Int64
    /// The floor before and after: the highest horizon a compaction ran at.
    public var floorBefore: Int64
    public var floorAfter: Int64
    /// Entities whose stored changes were looked at.
    public var entities: Int
    /// Changes dropped: versions at or below the floor that a later version there supersedes.
    public var dropped: Int
    /// Changes the corpus stored before and after (other processes' pushes count too).
    public var storedBefore: Int64
    public var storedAfter: Int64
    /// Whether there was anything to do: `false` when the horizon has not moved past the
    /// floor since the last compaction finished, or when another compaction of the corpus
    /// runs (``busy``).
    public var ran: Bool
    /// Another process was compacting the corpus (PostgreSQL), so this one did nothing.
    public var busy: Bool
    /// Whether the corpus's snapshot was deleted, being below the new floor (a replica
    /// adopting it would be behind the floor).
    public var snapshotDeleted: Bool
    public var seconds: Double

    public init(
        corpus: String, horizon: Int64, floorBefore: Int64, floorAfter: Int64, entities: Int = 0, dropped: Int = 0,
        storedBefore: Int64, storedAfter: Int64, ran: Bool, busy: Bool = false, snapshotDeleted: Bool = false,
        seconds: Double = 0
    ) {
        self.corpus = corpus
        self.horizon = horizon
        self.floorBefore = floorBefore
        self.floorAfter = floorAfter
        self.entities = entities
        self.dropped = dropped
        self.storedBefore = storedBefore
        self.storedAfter = storedAfter
        self.ran = ran
        self.busy = busy
        self.snapshotDeleted = snapshotDeleted
        self.seconds = seconds
    }

    public var json: JSONValue {
        .object([
            "corpus": .string(corpus), "horizon": .int(horizon), "floorBefore": .int(floorBefore), "floorAfter": .int(floorAfter),
            "entities": .int(Int64(entities)), "dropped": .int(Int64(dropped)), "storedBefore": .int(storedBefore),
            "storedAfter": .int(storedAfter), "ran": .bool(ran), "busy": .bool(busy),
            "snapshotDeleted": .bool(snapshotDeleted),
            "seconds": .double((seconds * 1000).rounded() / 1000),
        ])
    }

    /// One line for people and logs.
    public var summary: String {
        if busy { return "corpus \(corpus): another compaction of it is running; nothing done" }
        if !ran {
            return "corpus \(corpus): nothing to compact (horizon \(horizon), floor \(floorAfter)); \(storedAfter) changes stored"
        }
        let seconds = (self.seconds * 1000).rounded() / 1000
        return "corpus \(corpus): compacted through position \(floorAfter) (horizon \(horizon), floor was \(floorBefore)): "
            + "dropped \(dropped) of \(storedBefore) changes, \(storedAfter) stored, \(entities) entities looked at, in \(seconds) s"
    }
}
