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

    /// Parses `REPLICA:SEQ` in its one canonical spelling (uppercase replica, seq in
    /// decimal digits without sign or leading zeros), so a dot has one text only.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let replica = ReplicaID(parts[0]), replica.description == parts[0],
            let seq = CanonicalDecimal.parse(parts[1]), seq > 0
        else { return nil }
        self.init(replica: replica, seq: seq)
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.seq) < (rhs.replica, rhs.seq)
    }
}

/// Unsigned decimal numbers in their canonical spelling: digits only, no leading zeros.
enum CanonicalDecimal {
    static func parse(_ text: some StringProtocol) -> UInt64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ (48...57).contains($0) }), bytes.count == 1 || bytes[0] != 48 else { return nil }
        return UInt64(String(text))
    }
}
