import Foundation
import Testing

/// The deterministic simulation (issue: "deterministic simulation of replicas, server and
/// a faulty network over thousands of seeds").
///
/// Environment: `GLOSS_SIM_SEEDS` (how many, default 1,000), `GLOSS_SIM_FIRST` (first seed,
/// default 1), `GLOSS_SIM_SEED` (replay one seed, printing its trace), `GLOSS_SIM_OPS`
/// (operations per seed instead of the seed's own count), `GLOSS_SIM_JOBS` (seeds run at
/// once, default 2), `GLOSS_SIM_COMPACTION_SEEDS` (how many seeds also run with compaction,
/// default 300), `GLOSS_SIM_COMPACTION=1` (with `GLOSS_SIM_SEED`: replay a compaction run).
/// `scripts/simulate` sets them.
@Suite("Deterministic simulation")
struct SimulationTests {
    static let environment = ProcessInfo.processInfo.environment

    static func number(_ name: String) -> UInt64? { environment[name].flatMap { UInt64($0) } }

    @Test("seeds converge and keep every invariant under faults")
    func seeds() async throws {
        try await Self.runSeeds(count: Self.number("GLOSS_SIM_SEEDS") ?? 1_000, compaction: Self.number("GLOSS_SIM_COMPACTION") == 1)
    }

    /// The same with compaction: the server compacts below its horizon, replicas compact
    /// their logs and are retired, and come back from behind the floor (issue 17).
    @Test("seeds with compaction, retired replicas and rebuilds converge and keep every invariant")
    func compactionSeeds() async throws {
        guard Self.number("GLOSS_SIM_SEED") == nil else { return }
        try await Self.runSeeds(count: Self.number("GLOSS_SIM_COMPACTION_SEEDS") ?? 300, compaction: true)
    }

    static func runSeeds(count: UInt64, compaction: Bool) async throws {
        func config(_ seed: UInt64, _ operations: Int?) -> SimulationConfig {
            var config = SimulationConfig(seed: seed, operations: operations)
            config.compaction = compaction
            return config
        }
        let operations = Self.number("GLOSS_SIM_OPS").map(Int.init)
        if let seed = Self.number("GLOSS_SIM_SEED") {
            let result = await Simulation.run(config(seed, operations))
            print(result.trace.joined(separator: "\n"))
            print("seed \(seed): \(result.counts)")
            if !result.passed { Issue.record(Comment(rawValue: await Self.report(result, operations: operations, compaction: compaction))) }
            return
        }
        let first = Self.number("GLOSS_SIM_FIRST") ?? 1
        let jobs = Int(Self.number("GLOSS_SIM_JOBS") ?? 2)
        let start = Date()
        var totals = FaultCounts()
        var failed: [SimulationResult] = []
        var operationsRun = 0
        var phases = [0.0, 0.0, 0.0, 0.0]
        await withTaskGroup(of: SimulationResult.self) { group in
            var next = first
            let end = first + count
            for _ in 0..<jobs where next < end {
                let seed = next
                group.addTask { await Simulation.run(config(seed, operations)) }
                next += 1
            }
            while let result = await group.next() {
                totals.add(result.counts)
                operationsRun += result.operations
                for index in phases.indices { phases[index] += result.phases[index] }
                if !result.passed { failed.append(result) }
                if next < end {
                    let seed = next
                    group.addTask { await Simulation.run(config(seed, operations)) }
                    next += 1
                }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(
            "simulation\(compaction ? " with compaction" : ""): seeds \(first)…\(first + count - 1), \(operationsRun) operations, \(failed.count) failed, "
                + String(format: "%.1f s", seconds) + "; faults: \(totals)")
        print(String(format: "simulation time by phase (summed over jobs): setup %.1f s, workload %.1f s, final syncs %.1f s, invariants %.1f s", phases[0], phases[1], phases[2], phases[3]))
        let issues = compaction ? Self.knownCompactionIssues : Self.knownIssues
        let known = failed.filter { issues[$0.seed] != nil && operations == nil }
        failed.removeAll { result in known.contains { $0.seed == result.seed } }
        for result in known {
            let report = await Self.report(result, operations: operations)
            withKnownIssue(Comment(rawValue: issues[result.seed]!)) { Issue.record(Comment(rawValue: report)) }
        }
        for result in failed.sorted(by: { $0.seed < $1.seed }).prefix(3) {
            Issue.record(Comment(rawValue: await Self.report(result, operations: operations, compaction: compaction)))
        }
        if failed.count > 3 { Issue.record("… and \(failed.count - 3) more failing seeds: \(failed.map(\.seed).sorted())") }
    }

    /// Seeds that found bugs, kept as regression tests (`nil`: the seed's own operation count).
    /// - 665, 279: a side that set a field and set it back (A → B → A, here a note removed
    ///   after being written) counted as unchanged, so a concurrent edit of the field won
    ///   silently instead of showing a conflict (fixed in `Merge.mergeRegister`).
    /// - 227, 433: an entity created twice with the same content (the same article, or an
    ///   imported export) is not a conflicting edit (kept for the oracle of the invariant).
    /// - 811: a line break added next to a paragraph moved concurrently; the merge keeps both,
    ///   and the text invariant's re-merge aligned the inserted "\n" elsewhere in the run of
    ///   "\n" (fixed in the invariant: ``Invariants/onlyLengthensARun``).
    static let regressions: [(seed: UInt64, operations: Int?)] = [(665, nil), (279, nil), (227, nil), (433, nil), (811, nil)]

    /// Seeds whose failure is understood and not yet resolved: reported as known issues (the
    /// run still shows them), so that everything else the seeds check keeps failing loudly.
    /// None at present.
    static let knownIssues: [UInt64: String] = [:]

    /// The same for runs with compaction. Both fail alike with the compactions skipped
    /// (`GLOSS_SIM_NOCOMPACT=1`): the longer runs reach histories of concurrent article
    /// corrections the runs without compaction do not, and the text oracle (or the text
    /// merge) is at fault there, not compaction. Outside the suite's 300 seeds.
    /// - 304: a correction (6TEDHCH7…:7) is reported lost from the merged text, no conflict shown.
    /// - 347: a text conflict candidate is a merged text that a tag edit carried (r0 merged two
    ///   corrections locally, then edited tags); the oracle counts only values a change set.
    static let knownCompactionIssues: [UInt64: String] = [
        304: "a correction is lost from a merged article text without a conflict (also without compaction)",
        347: "a text conflict candidate is a locally merged text carried by a tag edit (also without compaction)",
    ]

    @Test("regression seeds", arguments: regressions.indices)
    func regression(_ index: Int) async {
        let (seed, operations) = Self.regressions[index]
        let result = await Simulation.run(SimulationConfig(seed: seed, operations: operations))
        if !result.passed { Issue.record(Comment(rawValue: await Self.report(result, operations: operations))) }
    }

    /// Replaying a seed gives the same run: every operation, fault and annotation id in its
    /// trace. (Annotation ids come from each replica's seeded bits, not the system's.)
    @Test("a seed replays exactly", arguments: [7, 665] as [UInt64])
    func replaysExactly(_ seed: UInt64) async {
        let first = await Simulation.run(SimulationConfig(seed: seed, operations: nil))
        let second = await Simulation.run(SimulationConfig(seed: seed, operations: nil))
        #expect(first.trace.contains { $0.contains(" made ") }, "the run annotated something")
        #expect(first.trace == second.trace)
        #expect("\(first.counts)" == "\(second.counts)")
    }

    /// The failure, how to replay it exactly, and the shortest workload of the same seed that fails.
    static func report(_ result: SimulationResult, operations: Int?, compaction: Bool = false) async -> String {
        var shortest = result.operations
        if operations == nil || operations! > 1 {
            for length in 1..<result.operations {
                var config = SimulationConfig(seed: result.seed, operations: length)
                config.compaction = compaction
                if !(await Simulation.run(config)).passed {
                    shortest = length
                    break
                }
            }
        }
        return """
            simulation seed \(result.seed) failed (\(result.replicas) replicas, \(result.operations) operations):
              \(result.failures.prefix(5).joined(separator: "\n  "))
            replay:  \(compaction ? "GLOSS_SIM_COMPACTION=1 " : "")scripts/simulate --seed \(result.seed)
                     (or \(compaction ? "GLOSS_SIM_COMPACTION=1 " : "")GLOSS_SIM_SEED=\(result.seed) swift test --filter GlossSimulationTests)
            shrunk:  scripts/simulate --seed \(result.seed) --ops \(shortest)   (shortest failing workload: \(shortest) operations)
            trace (last 25 lines):
              \(result.trace.suffix(25).joined(separator: "\n  "))
            """
    }
}
