import Testing

@testable import GlossCore

@Suite struct VectorClockTests {
    @Test func missingEntriesCountAsZero() {
        let c = clock([1: 3])
        #expect(c[r(1)] == 3)
        #expect(c[r(2)] == 0)
        #expect(VectorClock([r(1): 0, r(2): 2]) == clock([2: 2]), "zero entries are dropped")
        #expect(VectorClock([r(1): 0]).entries.isEmpty)
        #expect(VectorClock() == VectorClock([:]))
    }

    @Test func containsDots() {
        let c = clock([1: 3, 2: 1])
        #expect(c.contains(dot(1, 1)))
        #expect(c.contains(dot(1, 3)))
        #expect(!c.contains(dot(1, 4)))
        #expect(c.contains(dot(2, 1)))
        #expect(!c.contains(dot(3, 1)))
    }

    @Test func compareCases() {
        #expect(clock([1: 1, 2: 2]).compare(clock([1: 1, 2: 2])) == .equal)
        #expect(VectorClock().compare(VectorClock()) == .equal)
        #expect(clock([1: 1]).compare(clock([1: 2])) == .before)
        #expect(clock([1: 2]).compare(clock([1: 1])) == .after)
        #expect(clock([1: 1]).compare(clock([1: 1, 2: 1])) == .before)
        #expect(clock([1: 1, 2: 1]).compare(clock([1: 1])) == .after)
        #expect(VectorClock().compare(clock([1: 1])) == .before)
        #expect(clock([1: 2]).compare(clock([2: 1])) == .concurrent)
        #expect(clock([1: 2, 2: 1]).compare(clock([1: 1, 2: 2])) == .concurrent)
        // A missing entry is 0, so {1:1} vs {2:1} is concurrent, not ordered.
        #expect(clock([1: 1]).compare(clock([2: 1])) == .concurrent)
    }

    @Test func dominance() {
        #expect(clock([1: 1]).isDominated(by: clock([1: 1])), "≤ is reflexive")
        #expect(clock([1: 1]).isDominated(by: clock([1: 2, 3: 4])))
        #expect(!clock([1: 3]).isDominated(by: clock([1: 2, 3: 4])))
        #expect(!clock([5: 1]).isDominated(by: clock([1: 2, 3: 4])))
        #expect(VectorClock().isDominated(by: clock([1: 1])))
        #expect(!clock([1: 1]).isDominated(by: VectorClock()))
    }

    @Test func joinMeetAndIncluding() {
        let a = clock([1: 3, 2: 1])
        let b = clock([2: 4, 3: 2])
        #expect(a.joined(with: b) == clock([1: 3, 2: 4, 3: 2]))
        #expect(a.met(with: b) == clock([2: 1]))
        #expect(a.including(dot(1, 7)) == clock([1: 7, 2: 1]))
        #expect(a.including(dot(1, 2)) == a, "an older dot changes nothing")
        #expect(a.including(dot(4, 1)) == clock([1: 3, 2: 1, 4: 1]))
        #expect(a.including(dot(1, 7)).contains(dot(1, 7)))
    }

    static func randomClock(_ rng: inout SplitMix64) -> VectorClock {
        var entries: [ReplicaID: UInt64] = [:]
        for replica in 1...4 where rng.chance(0.6) {
            entries[r(UInt64(replica))] = UInt64(rng.int(0..<5))
        }
        return VectorClock(entries)
    }

    @Test func latticeLaws() {
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<2000 {
            let a = Self.randomClock(&rng), b = Self.randomClock(&rng), c = Self.randomClock(&rng)
            let ab = a.joined(with: b)
            // The join is an upper bound, and the least one.
            #expect(a.isDominated(by: ab) && b.isDominated(by: ab))
            if a.isDominated(by: c) && b.isDominated(by: c) { #expect(ab.isDominated(by: c)) }
            // Commutative, associative, idempotent.
            #expect(ab == b.joined(with: a))
            #expect(ab.joined(with: c) == a.joined(with: b.joined(with: c)))
            #expect(a.joined(with: a) == a)
            // The meet is a lower bound, and the greatest one.
            let meet = a.met(with: b)
            #expect(meet.isDominated(by: a) && meet.isDominated(by: b))
            if c.isDominated(by: a) && c.isDominated(by: b) { #expect(c.isDominated(by: meet)) }
            #expect(meet == b.met(with: a))
            // compare agrees with isDominated and is antisymmetric.
            let order = a.compare(b)
            switch order {
            case .equal: #expect(a == b)
            case .before: #expect(a.isDominated(by: b) && a != b && b.compare(a) == .after)
            case .after: #expect(b.isDominated(by: a) && a != b && b.compare(a) == .before)
            case .concurrent:
                #expect(!a.isDominated(by: b) && !b.isDominated(by: a) && b.compare(a) == .concurrent)
            }
            // Transitivity.
            if a.isDominated(by: b) && b.isDominated(by: c) { #expect(a.isDominated(by: c)) }
        }
    }

    @Test func sortedEntriesAndDescription() {
        let c = clock([3: 1, 1: 5, 2: 2])
        #expect(c.sortedEntries.map(\.replica) == [r(1), r(2), r(3)])
        #expect(c.sortedEntries.map(\.seq) == [5, 2, 1])
        #expect(c.description == "{\(r(1)):5, \(r(2)):2, \(r(3)):1}")
        #expect(VectorClock().description == "{}")
    }

    @Test func jsonRoundTrip() throws {
        let c = clock([1: 5, 2: 9_000_000_000])
        let json = c.json
        #expect(CanonicalJSON.string(json) == "{\"\(r(1))\":5,\"\(r(2))\":9000000000}")
        #expect(VectorClock(json: json) == c)
        #expect(VectorClock(json: try JSONParser.parse(CanonicalJSON.string(json))) == c)
        #expect(VectorClock(json: [:]) == VectorClock())
    }

    @Test func jsonRejectsBadClocks() {
        let id = r(1).description
        #expect(VectorClock(json: [id: 0]) == nil, "seqs are positive")
        #expect(VectorClock(json: [id: -1]) == nil)
        #expect(VectorClock(json: [id: .double(1.5)]) == nil)
        #expect(VectorClock(json: [id: "1"]) == nil)
        #expect(VectorClock(json: ["nope": 1]) == nil)
        let lettered = ReplicaID(high: 0xABC, low: 0xDEF_CAFE).description
        #expect(lettered != lettered.lowercased())
        #expect(VectorClock(json: [lettered: 1]) != nil)
        #expect(VectorClock(json: .object([lettered.lowercased(): 1])) == nil, "keys must be canonical, or one replica could appear twice")
        #expect(VectorClock(json: .object([String(lettered.map { $0 == "0" ? "O" : $0 }): 1])) == nil)
        #expect(VectorClock(json: [1, 2]) == nil)
        #expect(VectorClock(json: .null) == nil)
    }
}
