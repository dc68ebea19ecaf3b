import Testing

@testable import GlossCore

/// A version by replica `replica` at `seq`, whose clock is `seen` plus its own dot.
func version(
    _ replica: UInt64, _ seq: UInt64, seen: [UInt64: UInt64] = [:], at wall: Int64, _ content: EntityContent?
) -> Version {
    Version(
        dot: dot(replica, seq), clock: clock(seen).including(dot(replica, seq)), timestamp: ts(wall), content: content)
}

/// A version that replaces `replaced` (its clock joins theirs, plus its own dot).
func version(
    _ replica: UInt64, _ seq: UInt64, after replaced: [Version], at wall: Int64, _ content: EntityContent?
) -> Version {
    let joined = replaced.reduce(VectorClock()) { $0.joined(with: $1.clock) }
    return Version(dot: dot(replica, seq), clock: joined.including(dot(replica, seq)), timestamp: ts(wall), content: content)
}

func updated(_ content: EntityContent?, _ changes: [String: JSONValue?]) -> EntityContent {
    var result = content ?? [:]
    for (field, value) in changes { result[field] = value }
    return result
}

@Suite struct FrontierTests {
    let o = version(1, 1, at: 10, ["note": "o"])

    @Test func firstVersionReplacesNothing() {
        var frontier = Frontier()
        #expect(frontier.insert(o) == .replaced([]))
        #expect(frontier.versions == [o])
        #expect(frontier.dots == [o.dot])
        #expect(frontier.joinedClock == o.clock)
    }

    @Test func rule1DominatedIsDropped() {
        let a = version(1, 2, after: [o], at: 20, ["note": "a"])
        var frontier = Frontier([a])
        #expect(frontier.insert(o) == .dominated, "older")
        #expect(frontier.insert(a) == .dominated, "already known")
        #expect(frontier.versions == [a])
    }

    @Test func rule2DominatingReplaces() {
        let a = version(1, 2, after: [o], at: 20, ["note": "a"])
        let b = version(2, 1, after: [o], at: 20, ["note": "b"])
        var frontier = Frontier([o])
        #expect(frontier.insert(a) == .replaced([o.dot]))
        #expect(frontier.versions == [a])
        #expect(frontier.insert(b) == .concurrent)
        let merged = version(3, 1, after: [a, b], at: 30, ["note": "ab"])
        #expect(frontier.insert(merged) == .replaced([a.dot, b.dot]))
        #expect(frontier.versions == [merged])
    }

    @Test func rule3ConcurrentJoins() {
        let a = version(1, 2, after: [o], at: 20, ["note": "a"])
        let b = version(2, 1, after: [o], at: 25, ["note": "b"])
        let c = version(3, 1, after: [o], at: 5, nil)
        var frontier = Frontier([o, a])
        #expect(frontier.insert(b) == .concurrent)
        #expect(frontier.insert(c) == .concurrent)
        #expect(frontier.versions.map(\.dot) == [a.dot, b.dot, c.dot], "kept sorted by dot")
        #expect(frontier.joinedClock == clock([1: 2, 2: 1, 3: 1]))
    }

    @Test func partialReplacementIsConcurrent() {
        // d replaces a but not b: it joins b, and a goes.
        let a = version(1, 2, after: [o], at: 20, ["note": "a"])
        let b = version(2, 1, after: [o], at: 20, ["note": "b"])
        let d = version(1, 3, after: [a], at: 30, ["note": "d"])
        var frontier = Frontier([a, b])
        #expect(frontier.insert(d) == .concurrent)
        #expect(frontier.versions == [d, b].sorted { $0.dot < $1.dot })
    }

    @Test func orderDoesNotMatter() {
        let a = version(1, 2, after: [o], at: 20, ["note": "a"])
        let b = version(2, 1, after: [o], at: 20, ["note": "b"])
        let c = version(3, 1, after: [a], at: 20, ["note": "c"])
        let all = [o, a, b, c]
        let expected = Frontier(all)
        #expect(expected.dots == [b.dot, c.dot].sorted())
        var rng = SplitMix64(seed: 1)
        for _ in 0..<50 {
            var shuffled = all + all.filter { _ in rng.chance(0.5) }
            shuffled.shuffle(using: &rng)
            #expect(Frontier(shuffled) == expected)
        }
    }
}

@Suite struct MergeRuleTests {
    static let base: EntityContent = [
        "note": "first note", "label": "PER", "color": "yellow", "tags": ["iraq", "mosul"],
        "article": .string(KnownIDs.irak),
    ]
    let o = version(1, 1, at: 10, base)

    func view(_ versions: [Version], history: [Version] = []) -> EntityView {
        Merge.view(of: Frontier(versions), history: history + versions)
    }

    // MARK: The frontier of one version

    @Test func singleVersionIsItsContent() {
        let v = view([o])
        #expect(v.content == Self.base)
        #expect(v.conflicts.isEmpty)
        #expect(!v.isConflicted && !v.isDeleted && !v.hasDeleteConflict)
        #expect(v.frontier == [o.dot])
        #expect(v.deletions.isEmpty)
    }

    @Test func emptyFrontier() {
        let v = Merge.view(of: Frontier(), history: [])
        #expect(v.content == nil)
        #expect(v.isDeleted)
        #expect(!v.isConflicted)
        #expect(v.frontier.isEmpty)
    }

    @Test func tagsOfOneVersionAreSortedAndDeduplicated() {
        let v = view([version(1, 1, at: 10, ["tags": ["b", "a", "b"]])])
        #expect(v.content?["tags"] == ["a", "b"])
    }

    // MARK: Disjoint fields

    @Test func disjointFieldsMerge() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "second note"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["color": "blue", "label": nil]))
        let v = view([a, b], history: [o])
        #expect(v.content?["note"] == "second note")
        #expect(v.content?["color"] == "blue")
        #expect(v.content?["label"] == nil, "removing a field is a change too")
        #expect(v.content?["tags"] == ["iraq", "mosul"])
        #expect(v.conflicts.isEmpty)
        #expect(!v.isConflicted)
        #expect(v.frontier == [a.dot, b.dot])
    }

    @Test func revertingToAnOlderValueIsAChangeAgainstTheNearestAncestor() {
        // o → p changes the note; from p, A puts back o's note while B edits the color.
        // Against the nearest common ancestor p, only A changed the note: no conflict.
        let p = version(1, 2, after: [o], at: 15, updated(Self.base, ["note": "from p"]))
        let a = version(1, 3, after: [p], at: 20, updated(Self.base, ["note": "first note"]))
        let b = version(2, 1, after: [p], at: 30, updated(Self.base, ["note": "from p", "color": "red"]))
        let v = view([a, b], history: [o, p])
        #expect(v.content?["note"] == "first note")
        #expect(v.content?["color"] == "red")
        #expect(!v.isConflicted, "\(v.conflicts)")
    }

    @Test func addedFieldsOnBothSidesMerge() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["source": "AA"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["language": "tr"]))
        let v = view([a, b], history: [o])
        #expect(v.content?["source"] == "AA")
        #expect(v.content?["language"] == "tr")
        #expect(!v.isConflicted)
    }

    @Test func threeWayDisjointMerge() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 21, updated(Self.base, ["label": "LOC"]))
        let c = version(3, 1, after: [o], at: 22, updated(Self.base, ["color": "#00f"]))
        let v = view([a, b, c], history: [o])
        #expect(v.content == updated(Self.base, ["note": "A", "label": "LOC", "color": "#00f"]))
        #expect(!v.isConflicted)
    }

    // MARK: Tags as sets

    @Test func tagAddedOnOneSideAndAnotherRemovedOnTheOtherAreBothKept() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["tags": ["iraq", "mosul", "war"]]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["tags": ["iraq"]]))
        let v = view([a, b], history: [o])
        #expect(v.content?["tags"] == ["iraq", "war"])
        #expect(v.conflicts.isEmpty, "tags never conflict")
    }

    @Test func tagSetCases() {
        func merged(_ left: [String], _ right: [String]) -> JSONValue? {
            let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["tags": .array(left.map { .string($0) })]))
            let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["tags": .array(right.map { .string($0) })]))
            return view([a, b], history: [o]).content?["tags"]
        }
        // base is {iraq, mosul}
        #expect(merged(["iraq", "mosul", "x"], ["iraq", "mosul", "x"]) == ["iraq", "mosul", "x"], "both add the same tag")
        #expect(merged(["iraq", "mosul", "x"], ["iraq", "mosul", "y"]) == ["iraq", "mosul", "x", "y"], "both add")
        #expect(merged(["mosul"], ["iraq"]) == [], "each removes one: both removals hold")
        #expect(merged(["iraq"], ["iraq", "mosul"]) == ["iraq"], "a removal against no change holds")
        #expect(merged([], ["iraq", "mosul", "z"]) == ["z"], "clear all on one side, add on the other")
        #expect(merged(["iraq", "mosul"], ["iraq", "mosul"]) == ["iraq", "mosul"])
    }

    @Test func tagsMergeAgainstTheCommonAncestorNotTheOldestVersion() {
        let o2 = version(1, 2, after: [o], at: 15, updated(Self.base, ["tags": ["iraq", "mosul", "kept"]]))
        let a = version(1, 3, after: [o2], at: 20, updated(Self.base, ["tags": ["iraq", "mosul", "kept", "a"]]))
        let b = version(2, 1, after: [o2], at: 30, updated(Self.base, ["tags": ["iraq", "kept"]]))
        let v = view([a, b], history: [o, o2])
        #expect(v.content?["tags"] == ["a", "iraq", "kept"])
    }

    @Test func tagsWithoutAnAncestorAreTheUnion() {
        // Two replicas import the same article with different tags, never having seen each other.
        let a = version(1, 1, at: 20, ["text": "Irak", "tags": ["a", "shared"]])
        let b = version(2, 1, at: 30, ["text": "Irak", "tags": ["b", "shared"]])
        let v = view([a, b])
        #expect(v.content?["tags"] == ["a", "b", "shared"])
        #expect(!v.isConflicted, "identical text is no conflict")
    }

    // MARK: Conflicts

    @Test func sameFieldDifferentValuesIsAConflictWithBothValues() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "from A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "from B"]))
        let v = view([a, b], history: [o])
        #expect(v.isConflicted)
        let conflict = try #require(v.conflict(for: "note"))
        #expect(conflict.candidates.map(\.value) == ["from B", "from A"], "latest timestamp first")
        #expect(conflict.candidates.map(\.origin) == [b.dot, a.dot])
        #expect(conflict.candidates.map(\.timestamp) == [ts(30), ts(20)])
        #expect(v.content?["note"] == "from B", "the winner is displayed meanwhile")
        #expect(v.conflicts.count == 1)
        #expect(v.conflict(for: "label") == nil)
    }

    @Test func winnerIsLatestTimestampRegardlessOfReplica() throws {
        // Replica 2 has the higher id, but replica 1 wrote later.
        let a = version(1, 2, after: [o], at: 40, updated(Self.base, ["note": "from A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "from B"]))
        let v = view([a, b], history: [o])
        #expect(v.content?["note"] == "from A")
        #expect(try #require(v.conflict(for: "note")).candidates.map(\.origin) == [a.dot, b.dot])
    }

    @Test func timestampTieGoesToTheHigherReplicaID() throws {
        let a = version(1, 2, after: [o], at: 30, updated(Self.base, ["note": "from 1"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "from 2"]))
        #expect(view([a, b], history: [o]).content?["note"] == "from 2")
        let c = version(3, 1, after: [o], at: 30, updated(Self.base, ["note": "from 3"]))
        let v = view([a, b, c], history: [o])
        #expect(v.content?["note"] == "from 3")
        #expect(try #require(v.conflict(for: "note")).candidates.map(\.value) == ["from 3", "from 2", "from 1"])
    }

    @Test func counterBreaksWallTies() {
        var a = version(1, 2, after: [o], at: 30, updated(Self.base, ["note": "A"]))
        var b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B"]))
        a.timestamp = ts(30, 5)
        b.timestamp = ts(30, 4)
        #expect(view([a, b], history: [o]).content?["note"] == "A")
    }

    @Test func removedAgainstChangedIsAConflict() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "changed"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": nil]))
        let v = view([a, b], history: [o])
        let conflict = try #require(v.conflict(for: "note"))
        #expect(conflict.candidates.map(\.value) == [nil, "changed"])
        #expect(v.content?["note"] == nil, "the winner removed it")
    }

    @Test func severalFieldsConflictIndependently() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A", "label": "LOC", "color": "red"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B", "label": "ORG"]))
        let v = view([a, b], history: [o])
        #expect(v.conflicts.map(\.field) == ["label", "note"], "sorted by field")
        #expect(v.content?["color"] == "red", "changed on one side only")
        #expect(v.content?["label"] == "ORG")
    }

    @Test func conflictOrderAndWinnerDoNotDependOnArrival() {
        var rng = SplitMix64(seed: 3)
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B", "color": "red"]))
        let c = version(3, 1, after: [o], at: 25, nil)
        let expected = view([a, b, c], history: [o])
        for _ in 0..<30 {
            var all = [o, a, b, c, a]
            all.shuffle(using: &rng)
            var history = all
            history.shuffle(using: &rng)
            #expect(Merge.view(of: Frontier(all), history: history) == expected)
        }
    }

    // MARK: Edit against delete

    @Test func editAgainstDeleteIsAConflictAndTheEntityStaysVisible() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "kept"]))
        let d = version(2, 1, after: [o], at: 30, nil)
        let v = view([a, d], history: [o])
        #expect(v.content?["note"] == "kept", "the edit is never lost")
        #expect(v.deletions == [d.dot])
        #expect(v.hasDeleteConflict)
        #expect(v.isConflicted)
        #expect(!v.isDeleted)
        #expect(v.frontier == [a.dot, d.dot])
    }

    @Test func deleteAgainstUnchangedSiblingStillConflicts() {
        // Even a version that changed nothing is visible beside a concurrent delete.
        let d = version(2, 1, after: [o], at: 30, nil)
        let a = version(1, 2, after: [o], at: 20, Self.base)
        let v = view([a, d], history: [o])
        #expect(v.hasDeleteConflict)
        #expect(v.content == Self.base)
    }

    @Test func deletedEverywhere() {
        let d1 = version(1, 2, after: [o], at: 20, nil)
        let d2 = version(2, 1, after: [o], at: 30, nil)
        let v = view([d1, d2], history: [o])
        #expect(v.isDeleted)
        #expect(!v.hasDeleteConflict)
        #expect(!v.isConflicted)
        #expect(v.deletions == [d1.dot, d2.dot])
        let single = view([d1], history: [o])
        #expect(single.isDeleted && !single.isConflicted)
    }

    @Test func deletionThatSawTheEditWins() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "edited"]))
        let d = version(2, 1, after: [a], at: 30, nil)
        var frontier = Frontier([o, a])
        #expect(frontier.insert(d) == .replaced([a.dot]))
        #expect(Merge.view(of: frontier, history: [o, a, d]).isDeleted)
    }

    @Test func editAndDeleteAgainstAnotherEdit() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B"]))
        let d = version(3, 1, after: [o], at: 40, nil)
        let v = view([a, b, d], history: [o])
        #expect(v.hasDeleteConflict)
        #expect(try #require(v.conflict(for: "note")).candidates.map(\.value) == ["B", "A"])
    }

    // MARK: Identical content

    @Test func identicalContentReachedConcurrentlyIsNoConflict() {
        let changed = updated(Self.base, ["note": "same", "label": "LOC"])
        let a = version(1, 2, after: [o], at: 20, changed)
        let b = version(2, 1, after: [o], at: 30, changed)
        let v = view([a, b], history: [o])
        #expect(v.content == changed)
        #expect(!v.isConflicted)
        #expect(v.frontier.count == 2, "both versions stay in the frontier; only the display merges")
    }

    @Test func identicalContentWithoutAnAncestorIsNoConflict() {
        let content: EntityContent = ["text": "Irak", "title": "Musul", "tags": []]
        let v = view([version(1, 1, at: 20, content), version(2, 1, at: 30, content)])
        #expect(v.content == content)
        #expect(!v.isConflicted)
    }

    @Test func sameValueOnTwoOfThreeSidesIsOneCandidate() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "X"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "X"]))
        let c = version(3, 1, after: [o], at: 25, updated(Self.base, ["note": "Y"]))
        let conflict = try #require(view([a, b, c], history: [o]).conflict(for: "note"))
        #expect(conflict.candidates.map(\.value) == ["X", "Y"])
        #expect(conflict.candidates[0].origin == b.dot, "the latest writer of a value stands for it")
    }

    @Test func differentValuesWithoutAnAncestorConflict() {
        // Without the common ancestor in the history, nothing says which side changed.
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["color": "red"]))
        let v = Merge.view(of: Frontier([a, b]), history: [a, b])
        #expect(v.conflict(for: "note") != nil)
        #expect(v.conflict(for: "color") != nil)
        #expect(v.conflict(for: "label") == nil)
    }

    // MARK: Resolution

    @Test func resolutionDominatesEverySibling() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A", "label": "LOC"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B", "label": "ORG"]))
        let d = version(3, 1, after: [o], at: 25, nil)
        var frontier = Frontier([o, a, b, d])
        let conflicted = Merge.view(of: frontier, history: [o, a, b, d])
        #expect(conflicted.conflicts.count == 2 && conflicted.hasDeleteConflict)

        let content = conflicted.resolvedContent(
            choosing: { $0.field == "note" ? $0.candidates.first { $0.value == "A" } : nil },
            overrides: ["color": "green"])
        #expect(content["note"] == "A", "chosen")
        #expect(content["label"] == "ORG", "winner when the chooser says nil")
        #expect(content["color"] == "green", "override")
        #expect(content["_conflicts"] == nil)
        let resolution = Version(
            dot: dot(4, 1), clock: frontier.joinedClock.including(dot(4, 1)), timestamp: ts(5), content: content)
        #expect(frontier.insert(resolution) == .replaced([a.dot, b.dot, d.dot]))
        #expect(frontier.versions == [resolution])
        let resolved = Merge.view(of: frontier, history: [o, a, b, d, resolution])
        #expect(!resolved.isConflicted)
        #expect(resolved.content == content)

        // Everywhere, in any order: siblings arriving after the resolution are dropped.
        var elsewhere = Frontier([resolution])
        for sibling in [b, d, a, o] { #expect(elsewhere.insert(sibling) == .dominated) }
        #expect(elsewhere.versions == [resolution])
    }

    @Test func resolutionWithAnOverrideOfAConflictedField() throws {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B"]))
        let v = view([a, b], history: [o])
        let content = v.resolvedContent(choosing: { _ in nil }, overrides: ["note": "merged by hand"])
        #expect(content["note"] == "merged by hand")
        let removed = v.resolvedContent(choosing: { _ in nil }, overrides: ["note": JSONValue?.none])
        #expect(removed["note"] == nil)
        #expect(removed.keys.contains("note") == false)
    }

    @Test func resolvingEditAgainstDeleteKeepsTheEntity() {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "kept"]))
        let d = version(2, 1, after: [o], at: 30, nil)
        var frontier = Frontier([a, d])
        let v = Merge.view(of: frontier, history: [o, a, d])
        let content = v.resolvedContent(choosing: { _ in nil }, overrides: [:])
        let resolution = Version(dot: dot(1, 3), clock: frontier.joinedClock.including(dot(1, 3)), timestamp: ts(40), content: content)
        frontier.insert(resolution)
        let after = Merge.view(of: frontier, history: [o, a, d, resolution])
        #expect(!after.hasDeleteConflict && !after.isConflicted)
        #expect(after.content?["note"] == "kept")
    }

    // MARK: Unknown fields

    @Test func unknownFieldsArePreserved() {
        let future: JSONValue = ["spans": [1, 2, 3], "by": "newer client 🙂"]
        let withFuture = updated(Self.base, ["x-future": future])
        let o = version(1, 1, at: 10, withFuture)
        let a = version(1, 2, after: [o], at: 20, updated(withFuture, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(withFuture, ["color": "red"]))
        let v = Merge.view(of: Frontier([a, b]), history: [o, a, b])
        #expect(v.content?["x-future"] == future)
        #expect(v.editedContent(["note": "C"])["x-future"] == future, "an older client's edit passes it on")
        #expect(v.resolvedContent(choosing: { _ in nil }, overrides: [:])["x-future"] == future)
    }

    @Test func unknownFieldChangedOnOneSideMerges() {
        let o = version(1, 1, at: 10, updated(Self.base, ["x-future": 1]))
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["x-future": 2]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["x-future": 1, "note": "B"]))
        let v = Merge.view(of: Frontier([a, b]), history: [o, a, b])
        #expect(v.content?["x-future"] == 2)
        #expect(v.content?["note"] == "B")
        #expect(!v.isConflicted)
    }

    // MARK: Editing a conflicted entity

    func conflicted() -> (view: EntityView, frontier: Frontier, history: [Version]) {
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A", "label": "LOC", "color": "red"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B", "label": "ORG", "color": "blue"]))
        let frontier = Frontier([a, b])
        let history = [o, a, b]
        return (Merge.view(of: frontier, history: history), frontier, history)
    }

    @Test func editSettlesOnlyTheEditedFields() throws {
        var (v, frontier, history) = conflicted()
        #expect(v.conflicts.map(\.field) == ["color", "label", "note"])
        let before = v.conflicts
        let content = v.editedContent(["note": "settled"])
        #expect(content["note"] == "settled")
        #expect(content["_conflicts"]?.objectValue?.keys.sorted() == ["color", "label"])

        let edit = Version(dot: dot(3, 1), clock: frontier.joinedClock.including(dot(3, 1)), timestamp: ts(40), content: content)
        #expect(frontier.insert(edit) == .replaced([dot(1, 2), dot(2, 1)]))
        history.append(edit)
        v = Merge.view(of: frontier, history: history)
        #expect(v.content?["note"] == "settled")
        #expect(v.conflict(for: "note") == nil)
        #expect(v.content?["_conflicts"] == nil, "the reserved field is never displayed")
        #expect(v.conflict(for: "label") == before.first { $0.field == "label" }, "every sibling value, origin and time kept")
        #expect(v.conflict(for: "color") == before.first { $0.field == "color" })
        #expect(v.content?["label"] == "ORG" && v.content?["color"] == "blue", "the same winners")

        // An unrelated edit (a tag) still picks no winner.
        let tagged = v.editedContent(["tags": ["iraq", "mosul", "new"]])
        let tag = Version(dot: dot(1, 3), clock: frontier.joinedClock.including(dot(1, 3)), timestamp: ts(50), content: tagged)
        frontier.insert(tag)
        history.append(tag)
        v = Merge.view(of: frontier, history: history)
        #expect(v.content?["tags"] == ["iraq", "mosul", "new"])
        #expect(v.conflicts.map(\.field) == ["color", "label"])
        #expect(v.conflict(for: "label") == before.first { $0.field == "label" })

        // A later resolution clears everything.
        let resolved = v.resolvedContent(choosing: { $0.candidates.last }, overrides: [:])
        #expect(resolved["_conflicts"] == nil)
        #expect(resolved["label"] == "LOC" && resolved["color"] == "red")
        let resolution = Version(dot: dot(2, 2), clock: frontier.joinedClock.including(dot(2, 2)), timestamp: ts(60), content: resolved)
        #expect(frontier.insert(resolution) == .replaced([tag.dot]))
        history.append(resolution)
        v = Merge.view(of: frontier, history: history)
        #expect(!v.isConflicted)
        #expect(v.content == updated(Self.base, ["note": "settled", "label": "LOC", "color": "red", "tags": ["iraq", "mosul", "new"]]))
    }

    @Test func editCanSettleByRemovingAField() {
        let (v, _, _) = conflicted()
        let content = v.editedContent(["note": JSONValue?.none])
        #expect(content["note"] == nil)
        #expect(content["_conflicts"]?["note"] == nil)
        #expect(content["_conflicts"]?["label"] != nil)
    }

    @Test func editOfAnUnconflictedEntityCarriesNothing() {
        let v = Merge.view(of: Frontier([o]), history: [o])
        let content = v.editedContent(["note": "x"])
        #expect(content == updated(Self.base, ["note": "x"]))
        #expect(content["_conflicts"] == nil)
    }

    @Test func editDropsAStaleConflictsField() {
        // A version whose `_conflicts` is unreadable shows no conflict and an edit drops it.
        let odd = version(1, 1, at: 10, updated(Self.base, ["_conflicts": ["note": "garbage"]]))
        let v = Merge.view(of: Frontier([odd]), history: [odd])
        #expect(!v.isConflicted)
        #expect(v.content?["_conflicts"] == nil)
        #expect(v.editedContent(["color": "red"])["_conflicts"] == nil)
    }

    @Test func carriedConflictSurvivesAWinnerThatRemovedTheField() throws {
        // The winner of the note conflict removed the note; the edit carries both values.
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "kept by A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": nil]))
        var frontier = Frontier([a, b])
        var history = [o, a, b]
        let v = Merge.view(of: frontier, history: history)
        let before = try #require(v.conflict(for: "note"))
        #expect(before.candidates.map(\.value) == [nil, "kept by A"])

        let content = v.editedContent(["tags": ["iraq"]])
        let edit = Version(dot: dot(3, 1), clock: frontier.joinedClock.including(dot(3, 1)), timestamp: ts(40), content: content)
        frontier.insert(edit)
        history.append(edit)
        let after = Merge.view(of: frontier, history: history)
        #expect(after.conflict(for: "note") == before, "\"kept by A\" must not vanish from view")
        #expect(after.content?["note"] == nil)
    }

    @Test func aSideStillCarryingAConflictDoesNotUndoAConcurrentResolution() throws {
        // C edits the label and carries the note conflict {A, B}; concurrently D settles the
        // note. The common ancestors are A and B themselves: C settled nothing, so D's value
        // stands without a conflict (A alone holding another value than {A, B} is no edit).
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B"]))
        let both = Frontier([a, b])
        let v = Merge.view(of: both, history: [o, a, b])
        let carried = Version(
            dot: dot(3, 1), clock: both.joinedClock.including(dot(3, 1)), timestamp: ts(40), content: v.editedContent(["label": "x"]))
        let settled = Version(
            dot: dot(4, 1), clock: both.joinedClock.including(dot(4, 1)), timestamp: ts(50), content: v.editedContent(["note": "settled"]))
        let after = Merge.view(of: Frontier([carried, settled]), history: [o, a, b, carried, settled])
        #expect(after.conflict(for: "note") == nil)
        #expect(after.content?["note"] == "settled")
        #expect(after.content?["label"] == "x")
    }

    @Test func carriedConflictMeetsAConcurrentEditOfTheSameField() throws {
        // E carries the note conflict {A, B}; concurrently F (which saw only A) sets the note.
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B"]))
        let v = Merge.view(of: Frontier([a, b]), history: [o, a, b])
        let e = version(3, 1, after: [a, b], at: 40, v.editedContent(["color": "red"]))
        let f = version(1, 3, after: [a], at: 50, updated(a.content, ["note": "F"]))
        let merged = Merge.view(of: Frontier([e, f]), history: [o, a, b, e, f])
        let values = try #require(merged.conflict(for: "note")).candidates.map(\.value)
        #expect(values.contains("F") && values.contains("B"), "no value anyone still holds is lost: \(values)")
        #expect(merged.content?["color"] == "red")
    }

    @Test func resolutionHoldsAgainstAConcurrentUnrelatedEditOfTheSameConflict() throws {
        // From the same conflicted frontier {A, B}, replica 3 resolves the label while
        // replica 4 only adds a tag (carrying the label conflict it did not settle). Once
        // both sync, the resolution stands and the tag is kept: the unrelated edit neither
        // picks a winner nor brings the settled conflict back.
        let (v, frontier, history) = conflicted()
        let resolution = version(
            3, 1, after: frontier.versions, at: 40,
            v.resolvedContent(choosing: { $0.candidates.last }, overrides: [:]))
        let tagged = version(4, 1, after: frontier.versions, at: 45, v.editedContent(["tags": ["iraq", "mosul", "new"]]))
        for merged in [
            Merge.view(of: Frontier([resolution, tagged]), history: history + [resolution, tagged]),
            Merge.view(of: Frontier([tagged, resolution]), history: [tagged] + history.reversed() + [resolution]),
        ] {
            #expect(!merged.isConflicted, "conflicts came back: \(merged.conflicts)")
            #expect(merged.content?["label"] == "LOC")
            #expect(merged.content?["note"] == "A")
            #expect(merged.content?["color"] == "red")
            #expect(merged.content?["tags"] == ["iraq", "mosul", "new"])
        }
    }

    @Test func editsOnBothSidesOfACarriedConflictStillConflict() throws {
        // Both replicas settle the label from the same conflicted state, differently.
        let (v, frontier, history) = conflicted()
        let left = version(3, 1, after: frontier.versions, at: 40, v.editedContent(["label": "CLAIM"]))
        let right = version(4, 1, after: frontier.versions, at: 45, v.editedContent(["label": "PER"]))
        let merged = Merge.view(of: Frontier([left, right]), history: history + [left, right])
        #expect(try #require(merged.conflict(for: "label")).candidates.map(\.value) == ["PER", "CLAIM"])
        // The note and color stay conflicted with their original values.
        #expect(merged.conflict(for: "note") == v.conflict(for: "note"))
        #expect(merged.conflict(for: "color") == v.conflict(for: "color"))
    }

    @Test func carriedConflictMeetsAConcurrentUnrelatedEdit() throws {
        // E carries the note conflict; concurrently F (which saw only B) changes the color.
        let a = version(1, 2, after: [o], at: 20, updated(Self.base, ["note": "A"]))
        let b = version(2, 1, after: [o], at: 30, updated(Self.base, ["note": "B"]))
        let v = Merge.view(of: Frontier([a, b]), history: [o, a, b])
        let e = version(3, 1, after: [a, b], at: 40, v.editedContent(["label": "LOC"]))
        let f = version(2, 2, after: [b], at: 50, updated(b.content, ["color": "red"]))
        let merged = Merge.view(of: Frontier([e, f]), history: [o, a, b, e, f])
        let values = try #require(merged.conflict(for: "note")).candidates.map(\.value)
        #expect(Set(values) == ["A", "B"])
        #expect(merged.content?["color"] == "red")
        #expect(merged.content?["label"] == "LOC")
    }
}
