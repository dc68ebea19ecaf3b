/// The versions of one entity that no other known version dominates.
///
/// Inserting follows the design's three rules, so the frontier is the same set whatever
/// order versions arrive in and however often each arrives:
/// 1. a version dominated by the frontier is dropped (already known or older);
/// 2. a version that dominates frontier versions replaces them;
/// 3. a version concurrent with the rest joins them.
public struct Frontier: Sendable, Hashable {
    /// The frontier, sorted by dot so equal frontiers are equal values.
    public private(set) var versions: [Version]

    public init(_ versions: [Version] = []) {
        self.versions = []
        for version in versions { insert(version) }
    }

    /// What inserting a version did.
    public enum Outcome: Sendable, Equatable {
        /// Already known, or older than what is known.
        case dominated
        /// It replaced these versions (possibly none: the first version of an entity).
        case replaced([Dot])
        /// It joined the frontier beside versions it is concurrent with: a conflict candidate.
        case concurrent
    }

    @discardableResult
    public mutating func insert(_ version: Version) -> Outcome {
        if versions.contains(where: { version.clock.isDominated(by: $0.clock) }) {
            return .dominated
        }
        let replaced = versions.filter { $0.clock.isDominated(by: version.clock) }.map(\.dot)
        let hadConcurrent = versions.count > replaced.count
        versions.removeAll { $0.clock.isDominated(by: version.clock) }
        let index = versions.firstIndex { version.dot < $0.dot } ?? versions.endIndex
        versions.insert(version, at: index)
        return hadConcurrent ? .concurrent : .replaced(replaced)
    }

    /// The join of every frontier clock: what a version replacing them all must include.
    public var joinedClock: VectorClock {
        versions.reduce(VectorClock()) { $0.joined(with: $1.clock) }
    }

    public var dots: [Dot] { versions.map(\.dot) }
}
