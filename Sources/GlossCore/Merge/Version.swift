/// One version of an entity: the state one change wrote, with the clock of everything
/// that change had seen.
public struct Version: Sendable, Hashable {
    /// The change that wrote this version.
    public var dot: Dot
    /// Everything this version includes, its own dot among it.
    public var clock: VectorClock
    /// For ordering concurrent versions on screen only.
    public var timestamp: HybridTimestamp
    /// The entity's fields; `nil` for a deletion.
    public var content: EntityContent?

    public init(dot: Dot, clock: VectorClock, timestamp: HybridTimestamp, content: EntityContent?) {
        self.dot = dot
        self.clock = clock
        self.timestamp = timestamp
        self.content = content
    }

    public var isDeletion: Bool { content == nil }

    /// Display order among concurrent versions: latest timestamp first, then replica id.
    /// Never used to decide what survives.
    public static func displayOrder(_ lhs: Version, _ rhs: Version) -> Bool {
        (lhs.timestamp, lhs.dot.replica, lhs.dot.seq) > (rhs.timestamp, rhs.dot.replica, rhs.dot.seq)
    }
}
