/// A hybrid logical timestamp: wall-clock milliseconds plus a counter that breaks ties
/// and keeps the order causal when clocks are skewed.
///
/// It only orders concurrent versions for display; it never decides what survives.
public struct HybridTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let wallMilliseconds: Int64
    public let counter: UInt32

    public init(wallMilliseconds: Int64, counter: UInt32 = 0) {
        self.wallMilliseconds = wallMilliseconds
        self.counter = counter
    }

    public static let zero = HybridTimestamp(wallMilliseconds: 0)

    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        (lhs.wallMilliseconds, lhs.counter) < (rhs.wallMilliseconds, rhs.counter)
    }

    /// The next timestamp after `latest` (the greatest this replica has made or seen),
    /// given the current wall clock. Never goes backwards, whatever the wall clock does.
    public static func next(after latest: HybridTimestamp, now: Int64) -> HybridTimestamp {
        if now > latest.wallMilliseconds { return HybridTimestamp(wallMilliseconds: now) }
        if latest.counter < .max {
            return HybridTimestamp(wallMilliseconds: latest.wallMilliseconds, counter: latest.counter + 1)
        }
        // The counter is spent (a peer can send one that is): move on to the next millisecond
        // rather than wrap around to a smaller timestamp.
        if latest.wallMilliseconds < .max { return HybridTimestamp(wallMilliseconds: latest.wallMilliseconds + 1) }
        return latest
    }

    /// `WALL.COUNTER`, e.g. `1480550400000.0`.
    public var description: String { "\(wallMilliseconds).\(counter)" }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let wall = CanonicalDecimal.parse(parts[0]), wall <= UInt64(Int64.max),
            let counter = CanonicalDecimal.parse(parts[1]), counter <= UInt64(UInt32.max)
        else { return nil }
        self.init(wallMilliseconds: Int64(wall), counter: UInt32(counter))
    }
}
