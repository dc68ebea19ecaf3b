import Testing

@testable import GlossCore

/// Random offline editing of one entity by 2–4 replicas that exchange versions at random,
/// replayed from fixed seeds. Every failure names its seed.
@Suite struct MergePropertyTests {
    static let seeds: Range<UInt64> = 0..<300

    /// The simulated histories, made once and shared by the tests that only read them.
    static let runs: [(seed: UInt64, run: Run)] = seeds.map { ($0, simulate(seed: $0)) }

    /// Records at most a few failures per test run, each naming its seed.
    final class Checker {
        let name: String
        var seed: UInt64 = 0
        var failures = 0
        /// How often the interesting case was actually checked.
        var exercised = 0

        init(_ name: String) { self.name = name }

        func expect(_ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard !condition else { return }
            failures += 1
            if failures <= 8 {
                Issue.record(Comment(rawValue: "\(name) failed for seed \(seed): \(message())"), sourceLocation: sourceLocation)
            }
        }
    }

    struct Replica {
        let id: ReplicaID
        var seq: UInt64 = 0
        var latest = HybridTimestamp.zero
        /// Wall clock skew of this machine, in ms.
        let skew: Int64
        var frontier = Frontier()
        var known: [Dot: Version] = [:]

        var history: [Version] { known.values.sorted { $0.dot < $1.dot } }
        var view: EntityView { Merge.view(of: frontier, history: history) }

        mutating func receive(_ version: Version) {
            if latest < version.timestamp { latest = version.timestamp }
            guard known[version.dot] == nil else { return }
            known[version.dot] = version
            frontier.insert(version)
        }

        /// A new local version replacing the whole local frontier.
        mutating func commit(_ content: EntityContent?, now: Int64) -> Version {
            seq += 1
            let dot = Dot(replica: id, seq: seq)
            latest = HybridTimestamp.next(after: latest, now: now + skew)
            let version = Version(dot: dot, clock: frontier.joinedClock.including(dot), timestamp: latest, content: content)
            known[dot] = version
            frontier.insert(version)
            return version
        }
    }

    struct Resolution {
        let version: Version
        let siblings: [Version]
    }

    struct Run {
        var all: [Dot: Version] = [:]
        var resolutions: [Resolution] = []
        var replicas: [Replica] = []
    }

    static let notes: [JSONValue?] = ["note one", "note two", "ş ğ ı İ 🙂", nil]
    static let labels: [JSONValue?] = ["PER", "LOC", "ORG"]
    static let colors: [JSONValue?] = ["yellow", "#f00", nil]
    static let tagPool = ["iraq", "mosul", "war", "claim", "şehir"]
    static let initial: EntityContent = [
        "article": .string(KnownIDs.irak), "note": "note zero", "label": "PER", "color": "yellow",
        "tags": ["iraq", "mosul"], "x-future": ["kept": true, "by": "a newer client"],
    ]

    /// One random history. With `check`, checks every local edit as it goes: it replaces
    /// the local frontier, settles what it sets and carries every other conflict.
    static func simulate(seed: UInt64, _ check: Checker? = nil) -> Run {
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 17)
        var run = Run()
        let count = rng.int(2..<5)
        run.replicas = (0..<count).map { index in
            Replica(id: ReplicaID(high: rng.next(), low: UInt64(index)), skew: Int64(rng.int(-40..<41)))
        }
        var now: Int64 = 1_480_550_400_000
        let first = run.replicas[0].commit(initial, now: now)
        run.all[first.dot] = first
        // Usually everyone starts from the first version; sometimes some learn of it later.
        for index in run.replicas.indices.dropFirst() where rng.chance(0.8) { run.replicas[index].receive(first) }

        for step in 0..<rng.int(20..<60) {
            now += Int64(rng.int(0..<6))
            let actor = rng.int(0..<count)
            let roll = rng.int(0..<100)
            if roll < 25 {
                // Exchange: one replica sends its versions (all, or some) to another.
                let to = rng.int(0..<count)
                let everything = rng.chance(0.75)
                for version in run.replicas[actor].history where everything || rng.chance(0.5) {
                    run.replicas[to].receive(version)
                }
                continue
            }
            guard !run.replicas[actor].frontier.versions.isEmpty else { continue }
            let before = run.replicas[actor].view
            let beforeFrontier = run.replicas[actor].frontier.versions
            let content: EntityContent?
            var changes: [String: JSONValue?] = [:]
            var isResolution = false
            if roll < 30 {
                content = nil
            } else if before.isConflicted, rng.chance(0.3) {
                isResolution = true
                var overrides: [String: JSONValue?] = [:]
                if rng.chance(0.3) { overrides["note"] = rng.pick(notes) }
                var picks: [String: Int] = [:]
                for conflict in before.conflicts { picks[conflict.field] = rng.int(-1..<conflict.candidates.count) }
                content = before.resolvedContent(
                    choosing: { conflict in
                        let pick = picks[conflict.field] ?? -1
                        return pick < 0 ? nil : conflict.candidates[pick]
                    }, overrides: overrides)
            } else {
                guard !before.isDeleted else { continue }
                if rng.chance(0.35) {
                    var tags = Set(before.content?["tags"]?.stringArrayValue ?? [])
                    let tag = rng.pick(tagPool)
                    if tags.contains(tag) { tags.remove(tag) } else { tags.insert(tag) }
                    changes["tags"] = .array(tags.sorted().map { .string($0) })
                } else {
                    for _ in 0..<rng.int(1..<3) {
                        switch rng.int(0..<3) {
                        case 0: changes["note"] = rng.pick(notes)
                        case 1: changes["label"] = rng.pick(labels)
                        default: changes["color"] = rng.pick(colors)
                        }
                    }
                }
                content = before.editedContent(changes)
            }
            let version = run.replicas[actor].commit(content, now: now)
            run.all[version.dot] = version
            if isResolution { run.resolutions.append(Resolution(version: version, siblings: beforeFrontier)) }
            guard let check else { continue }
            let after = run.replicas[actor].view
            let context = "step \(step), \(run.replicas[actor].id) wrote \(version.dot)"

            // A local version replaces the whole local frontier.
            check.expect(run.replicas[actor].frontier.versions == [version], "\(context): frontier is not just the new version")
            for sibling in beforeFrontier {
                check.expect(sibling.clock.compare(version.clock) == .before, "\(context): does not dominate \(sibling.dot)")
            }
            if isResolution {
                check.expect(!after.isConflicted, "\(context): still conflicted after a resolution: \(after.conflicts.map(\.field))")
                check.expect(version.content?[ReservedField.conflicts] == nil, "\(context): a resolution carries conflicts")
            } else if let content {
                // The edited fields are settled to what was written...
                for (field, value) in changes {
                    if field == "tags" {
                        check.expect(after.content?["tags"] == value, "\(context): tags \(String(describing: after.content?["tags"]))")
                    } else {
                        check.expect(after.content?[field] == value, "\(context): \(field) shows \(String(describing: after.content?[field]))")
                        check.expect(after.conflict(for: field) == nil, "\(context): \(field) still conflicted")
                    }
                }
                // ...and every other conflicted field keeps all its sibling values.
                for conflict in before.conflicts where changes[conflict.field] == nil {
                    check.exercised += 1
                    check.expect(
                        after.conflict(for: conflict.field) == conflict,
                        "\(context): conflict on \(conflict.field) was \(conflict.candidates.map(\.value)), now \(String(describing: after.conflict(for: conflict.field)?.candidates.map(\.value)))")
                    check.expect(after.content?[conflict.field] == before.content?[conflict.field], "\(context): \(conflict.field) winner changed")
                }
                // Unknown fields pass through.
                check.expect(content["x-future"] == before.content?["x-future"], "\(context): x-future changed")
                check.expect(after.content?["x-future"] == before.content?["x-future"], "\(context): x-future shows differently")
            } else {
                check.expect(after.isDeleted, "\(context): a local delete leaves the entity visible")
            }
            checkView(after, all: run.all, check, context)
        }
        return run
    }

    /// The view only shows values some version wrote, and is well formed.
    static func checkView(_ view: EntityView, all: [Dot: Version], _ check: Checker, _ context: String) {
        check.expect(view.frontier == view.frontier.sorted(), "\(context): frontier dots unsorted")
        check.expect(view.hasDeleteConflict == (view.content != nil && !view.deletions.isEmpty), "\(context): hasDeleteConflict")
        guard let content = view.content else {
            check.expect(view.conflicts.isEmpty, "\(context): a deleted entity has conflicts")
            return
        }
        check.expect(content[ReservedField.conflicts] == nil, "\(context): _conflicts displayed")
        let written = all.values.compactMap(\.content)
        for (field, value) in content {
            if field == "tags" {
                let allTags = Set(written.flatMap { $0["tags"]?.stringArrayValue ?? [] })
                for tag in value.stringArrayValue ?? [] {
                    check.expect(allTags.contains(tag), "\(context): tag \(tag) was never written")
                }
                check.expect(value.stringArrayValue == value.stringArrayValue?.sorted(), "\(context): tags unsorted")
            } else {
                check.expect(written.contains { $0[field] == value }, "\(context): \(field) = \(value) was never written")
            }
        }
        check.expect(view.conflicts.map(\.field) == view.conflicts.map(\.field).sorted(), "\(context): conflicts unsorted")
        for conflict in view.conflicts {
            let candidates = conflict.candidates
            check.expect(candidates.count >= 2, "\(context): \(conflict.field) has one candidate")
            check.expect(Set(candidates.map(\.value)).count == candidates.count, "\(context): \(conflict.field) repeats a value")
            check.expect(content[conflict.field] == candidates.first?.value, "\(context): \(conflict.field) does not show its winner")
            check.expect(
                candidates == candidates.sorted { ($0.timestamp, $0.origin.replica, $0.origin.seq) > ($1.timestamp, $1.origin.replica, $1.origin.seq) },
                "\(context): \(conflict.field) candidates not in display order")
            for candidate in candidates {
                guard let origin = all[candidate.origin] else {
                    check.expect(false, "\(context): candidate from unknown \(candidate.origin)")
                    continue
                }
                check.expect(origin.content?[conflict.field] == candidate.value, "\(context): \(candidate.origin) never wrote \(String(describing: candidate.value)) to \(conflict.field)")
                check.expect(origin.timestamp == candidate.timestamp, "\(context): candidate time")
            }
        }
    }

    // MARK: Properties

    /// (1) The frontier and the view do not depend on arrival order or repeats.
    @Test func frontierAndViewIgnoreOrderAndDuplicates() {
        let check = Checker("order independence")
        for (seed, run) in Self.runs {
            check.seed = seed
            let versions = run.all.values.sorted { $0.dot < $1.dot }
            let reference = Frontier(versions)
            let referenceView = Merge.view(of: reference, history: versions)
            var rng = SplitMix64(seed: seed)
            for order in 0..<8 {
                var arrivals = versions + versions.filter { _ in rng.chance(0.3) }
                arrivals.shuffle(using: &rng)
                var frontier = Frontier()
                for version in arrivals { frontier.insert(version) }
                check.expect(frontier == reference, "order \(order): frontier \(frontier.dots) vs \(reference.dots)")
                // Inserting one frontier into another (associativity): split, merge halves, merge results.
                let cut = rng.int(0..<(arrivals.count + 1))
                var left = Frontier(Array(arrivals[..<cut]))
                let right = Frontier(Array(arrivals[cut...]))
                for version in right.versions { left.insert(version) }
                check.expect(left == reference, "order \(order): merging halves cut at \(cut)")
                // Idempotence.
                var again = frontier
                for version in arrivals.shuffled(using: &rng) { again.insert(version) }
                check.expect(again == reference, "order \(order): reinserting everything changed the frontier")
                var history = arrivals
                history.shuffle(using: &rng)
                let view = Merge.view(of: frontier, history: history)
                check.expect(view == referenceView, "order \(order): view differs")
            }
        }
    }

    /// (2) Nothing is dropped unless dominated; nothing in the frontier is dominated.
    @Test func onlyDominatedVersionsAreDropped() {
        let check = Checker("dominance")
        for (seed, run) in Self.runs {
            check.seed = seed
            let versions = Array(run.all.values)
            let frontier = Frontier(versions.shuffled())
            let kept = Set(frontier.dots)
            for version in versions where !kept.contains(version.dot) {
                check.expect(
                    frontier.versions.contains { version.clock.compare($0.clock) == .before },
                    "\(version.dot) was dropped but no frontier version dominates it")
            }
            for a in frontier.versions {
                for b in frontier.versions where a.dot != b.dot {
                    check.expect(a.clock.compare(b.clock) == .concurrent, "frontier holds \(a.dot) and \(b.dot), which are ordered")
                }
            }
            // The frontier is exactly the maximal versions.
            let maximal = versions.filter { v in !versions.contains { v.clock.compare($0.clock) == .before } }
            check.expect(Set(maximal.map(\.dot)) == kept, "frontier \(frontier.dots) is not the maximal set \(maximal.map(\.dot).sorted())")
        }
    }

    /// (3) A resolution dominates every sibling it saw, in any order of arrival.
    @Test func resolutionsDominateTheirSiblings() {
        let check = Checker("resolution")
        var total = 0
        for (seed, run) in Self.runs {
            check.seed = seed
            var rng = SplitMix64(seed: seed ^ 0xFF)
            for resolution in run.resolutions {
                total += 1
                var arrivals = resolution.siblings + [resolution.version]
                arrivals.shuffle(using: &rng)
                let frontier = Frontier(arrivals)
                check.expect(frontier.versions == [resolution.version], "resolution \(resolution.version.dot) left \(frontier.dots)")
                let view = Merge.view(of: frontier, history: Array(run.all.values))
                check.expect(!view.isConflicted, "resolution \(resolution.version.dot) shows a conflict")
                for sibling in resolution.siblings {
                    check.expect(sibling.clock.isDominated(by: resolution.version.clock), "\(sibling.dot) not dominated")
                }
            }
            // No sibling of a resolution survives in the final frontier.
            let final = Set(Frontier(Array(run.all.values)).dots)
            for resolution in run.resolutions {
                for sibling in resolution.siblings {
                    check.expect(!final.contains(sibling.dot), "\(sibling.dot) survived resolution \(resolution.version.dot)")
                }
            }
        }
        #expect(total > 100, "the simulation must actually resolve conflicts (\(total) resolutions)")
    }

    /// (4) Every displayed value was written by some version; and replicas that have seen
    /// the same versions show the same thing.
    @Test func viewsShowOnlyWrittenValuesAndConverge() {
        let check = Checker("provenance and convergence")
        var conflicted = 0, deleteConflicts = 0
        for (seed, run) in Self.runs {
            check.seed = seed
            var run = run
            let versions = run.all.values.sorted { $0.dot < $1.dot }
            let view = Merge.view(of: Frontier(versions), history: versions)
            Self.checkView(view, all: run.all, check, "final view")
            if !view.conflicts.isEmpty { conflicted += 1 }
            if view.hasDeleteConflict { deleteConflicts += 1 }
            // Full exchange: everyone ends up with every version and the same view.
            for from in run.replicas.indices {
                for to in run.replicas.indices { for version in run.replicas[from].history { run.replicas[to].receive(version) } }
            }
            for replica in run.replicas {
                check.expect(replica.frontier == Frontier(versions), "\(replica.id) frontier differs")
                check.expect(replica.view == view, "\(replica.id) shows a different view")
            }
        }
        #expect(conflicted > 20, "the simulation must leave some field conflicts (\(conflicted) seeds)")
        #expect(deleteConflicts > 5, "and some edit-against-delete conflicts (\(deleteConflicts) seeds)")
    }

    /// (5) A local edit replaces the local frontier, settles exactly the fields it sets,
    /// and carries every other conflicted field with all its sibling values, origins and
    /// times (design: "Editing a conflicted entity settles only the fields the edit sets").
    @Test func editsOfConflictedEntitiesSettleOnlyWhatTheySet() {
        let check = Checker("editing a conflicted entity")
        for seed in Self.seeds {
            check.seed = seed
            _ = Self.simulate(seed: seed, check)
        }
        #expect(check.exercised > 100, "edits of conflicted entities must actually happen (\(check.exercised))")
    }
}
