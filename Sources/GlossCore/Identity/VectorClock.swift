/// How two vector clocks relate.
public enum ClockOrder: Sendable, Equatable {
    case equal
    /// The left clock is strictly older: everything it saw, the right one saw too.
    case before
    /// The left clock strictly dominates the right one.
    case after
    /// Neither saw everything the other saw.
    case concurrent
}

/// A map from replica to the highest sequence number of that replica whose effects a
/// version includes. Missing entries count as 0.
public struct VectorClock: Hashable, Sendable, CustomStringConvertible {
    public private(set) var entries: [ReplicaID: UInt64]

    public init(_ entries: [ReplicaID: UInt64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    public subscript(replica: ReplicaID) -> UInt64 {
        entries[replica] ?? 0
    }

    /// Whether this clock includes the change `dot`.
    public func contains(_ dot: Dot) -> Bool {
        self[dot.replica] >= dot.seq
    }

    /// `self ≤ other`: every entry of self is at most the same entry of other.
    public func isDominated(by other: VectorClock) -> Bool {
        entries.allSatisfy { other[$0.key] >= $0.value }
    }

    public func compare(_ other: VectorClock) -> ClockOrder {
        let below = isDominated(by: other)
        let above = other.isDominated(by: self)
        switch (below, above) {
        case (true, true): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (false, false): return .concurrent
        }
    }

    /// The least clock that dominates both.
    public func joined(with other: VectorClock) -> VectorClock {
        var result = self
        for (replica, seq) in other.entries where seq > result[replica] {
            result.entries[replica] = seq
        }
        return result
    }

    /// The greatest clock both dominate.
    public func met(with other: VectorClock) -> VectorClock {
        var result: [ReplicaID: UInt64] = [:]
        for (replica, seq) in entries {
            let common = min(seq, other[replica])
            if common > 0 { result[replica] = common }
        }
        return VectorClock(result)
    }

    /// This clock advanced to include `dot`.
    public func including(_ dot: Dot) -> VectorClock {
        var result = self
        if dot.seq > result[dot.replica] { result.entries[dot.replica] = dot.seq }
        return result
    }

    /// Entries in replica order, for stable output.
    public var sortedEntries: [(replica: ReplicaID, seq: UInt64)] {
        entries.sorted { $0.key < $1.key }.map { (replica: $0.key, seq: $0.value) }
    }

    public var description: String {
        "{" + sortedEntries.map { "\($0.replica):\($0.seq)" }.joined(separator: ", ") + "}"
    }
}
