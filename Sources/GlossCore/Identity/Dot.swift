/// The globally unique id of one change: the replica that made it and that replica's
/// sequence number for it (1, 2, 3 … without gaps).
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let replica: ReplicaID
    public let seq: UInt64

    public init(replica: ReplicaID, seq: UInt64) {
        self.replica = replica
        self.seq = seq
    }

    /// `REPLICA:SEQ`, the form used on the command line and in JSON.
    public var description: String { "\(replica):\(seq)" }

    /// Parses `REPLICA:SEQ`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let replica = ReplicaID(parts[0]), let seq = UInt64(parts[1]), seq > 0 else {
            return nil
        }
        self.init(replica: replica, seq: seq)
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.seq) < (rhs.replica, rhs.seq)
    }
}
