import GlossCore
import Testing

/// The merge bug the simulation found (seeds 665 and 279), pinned down without the harness.
@Suite("Merge regressions found by the simulation")
struct MergeRegressionTests {
    let a = ReplicaID(high: 1, low: 1)
    let b = ReplicaID(high: 2, low: 2)

    func version(_ replica: ReplicaID, _ seq: UInt64, clock: [ReplicaID: UInt64], note: String?) -> Version {
        var content: EntityContent = ["article": "x"]
        if let note { content["note"] = .string(note) }
        return Version(
            dot: Dot(replica: replica, seq: seq), clock: VectorClock(clock), timestamp: HybridTimestamp(wallMilliseconds: Int64(seq)),
            content: content)
    }

    /// Seed 665: replica A creates an annotation without a note, writes a note, removes it
    /// again; replica B, having seen only the creation, writes a note. A's removal is an
    /// edit of the note concurrent with B's: both stay visible as a conflict.
    @Test func anEditSetBackToTheAncestorsValueStillConflicts() {
        let created = version(a, 1, clock: [a: 1], note: nil)
        let written = version(a, 2, clock: [a: 2], note: "kuşatma")
        let removed = version(a, 3, clock: [a: 3], note: nil)
        let theirs = version(b, 1, clock: [a: 1, b: 1], note: "İstanbul'dan")
        let view = Merge.view(of: Frontier([removed, theirs]), history: [created, written, removed, theirs])
        let conflict = view.conflict(for: "note")
        #expect(conflict != nil, "the note removed on A and written on B must conflict")
        #expect(Set(conflict?.candidates.map(\.value) ?? []) == [nil, .string("İstanbul'dan")])
    }

    /// A side that never touched the field still loses to one that did (no false conflict).
    @Test func anUntouchedFieldTakesTheOtherSidesEdit() {
        let created = version(a, 1, clock: [a: 1], note: nil)
        let untouched = version(a, 2, clock: [a: 2], note: nil)
        let theirs = version(b, 1, clock: [a: 1, b: 1], note: "İstanbul'dan")
        let view = Merge.view(of: Frontier([untouched, theirs]), history: [created, untouched, theirs])
        #expect(view.conflict(for: "note") == nil)
        #expect(view.content?["note"] == .string("İstanbul'dan"))
    }
}
