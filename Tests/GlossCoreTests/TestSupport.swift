@testable import GlossCore

/// SplitMix64: a tiny seeded generator, so every random test replays from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }
}

/// Fixed replica ids, in a known order: `r(1) < r(2) < …`.
func r(_ n: UInt64) -> ReplicaID { ReplicaID(high: 0, low: n) }

func dot(_ replica: UInt64, _ seq: UInt64) -> Dot { Dot(replica: r(replica), seq: seq) }

/// A clock from `(replica number, seq)` pairs.
func clock(_ entries: [UInt64: UInt64]) -> VectorClock {
    VectorClock(Dictionary(uniqueKeysWithValues: entries.map { (r($0.key), $0.value) }))
}

func ts(_ wall: Int64, _ counter: UInt32 = 0) -> HybridTimestamp {
    HybridTimestamp(wallMilliseconds: wall, counter: counter)
}
