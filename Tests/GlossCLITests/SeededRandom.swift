import Foundation

/// A seeded SplitMix64 generator: the same seed gives the same faults and the same workload.
/// Every test that draws at random (chaos, crash and scale-out tests) draws from one, so a
/// failure replays from the seed it printed.
struct ChaosRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `$variable`, else a fresh random seed.
    static func seed(from variable: String = "GLOSS_CHAOS_SEED") -> UInt64 {
        if let text = ProcessInfo.processInfo.environment[variable], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }

    /// What a failure message says so the run can be replayed.
    static func replayHint(_ seed: UInt64) -> String {
        "chaos seed \(seed); replay with GLOSS_CHAOS_SEED=\(seed) swift test --filter ChaosTests"
    }

    /// The generator of a test that kills processes at random moments, seeded from
    /// `$GLOSS_CRASH_SEED` or afresh. Prints the seed (`label` names the test case) with the
    /// command that replays it (the test's `filter`) and returns that hint for failure
    /// messages. A replay makes the same draws (kill points, sleeps); where a kill lands
    /// still depends on the machine's speed.
    static func crash(_ filter: String, _ label: String = "") -> (random: ChaosRandom, hint: String) {
        let seed = seed(from: "GLOSS_CRASH_SEED")
        let hint = "crash seed \(seed); replay with GLOSS_CRASH_SEED=\(seed) swift test --filter \(filter)"
        print("\(filter)\(label.isEmpty ? "" : " " + label): \(hint)")
        return (ChaosRandom(seed: seed), hint)
    }
}
