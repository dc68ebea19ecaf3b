import Testing

@testable import GlossCore

@Suite struct HybridTimestampTests {
    @Test func ordersByWallThenCounter() {
        #expect(ts(1, 5) < ts(2, 0))
        #expect(ts(2, 0) < ts(2, 1))
        #expect(!(ts(2, 1) < ts(2, 1)))
        #expect(HybridTimestamp.zero == ts(0, 0))
        #expect([ts(3), ts(1, 2), ts(1, 1), ts(2)].sorted() == [ts(1, 1), ts(1, 2), ts(2), ts(3)])
    }

    @Test func wallClockAheadResetsTheCounter() {
        #expect(HybridTimestamp.next(after: ts(100, 7), now: 200) == ts(200, 0))
        #expect(HybridTimestamp.next(after: .zero, now: 1_480_550_400_000) == ts(1_480_550_400_000, 0))
    }

    @Test func sameOrEarlierWallClockBumpsTheCounter() {
        #expect(HybridTimestamp.next(after: ts(100, 7), now: 100) == ts(100, 8))
        #expect(HybridTimestamp.next(after: ts(100, 7), now: 50) == ts(100, 8), "a clock set back never goes backwards")
        #expect(HybridTimestamp.next(after: ts(100, 7), now: -5) == ts(100, 8))
    }

    @Test func neverGoesBackwardsEvenAtTheCounterLimit() {
        let latest = ts(100, .max)
        let next = HybridTimestamp.next(after: latest, now: 100)
        #expect(latest < next, "\(next) must come after \(latest)")
        #expect(latest < HybridTimestamp.next(after: latest, now: 0))
        #expect(HybridTimestamp.next(after: latest, now: 100) == ts(101, 0), "borrows the next millisecond")
        // The very last timestamp saturates instead of trapping or wrapping.
        #expect(HybridTimestamp.next(after: ts(.max, .max), now: 0) == ts(.max, .max))
        #expect(HybridTimestamp.next(after: ts(.max, 3), now: 0) == ts(.max, 4))
    }

    @Test func strictlyIncreasingUnderARandomWallClock() {
        var rng = SplitMix64(seed: 99)
        for seed in 0..<50 {
            var latest = HybridTimestamp.zero
            var wall: Int64 = Int64(seed) * 1000
            for _ in 0..<500 {
                wall += Int64(rng.int(-20..<21))  // skews both ways
                let next = HybridTimestamp.next(after: latest, now: wall)
                #expect(latest < next, "seed \(seed): \(next) after \(latest)")
                #expect(next.wallMilliseconds >= wall || next.wallMilliseconds == latest.wallMilliseconds)
                latest = next
            }
        }
    }

    @Test func textRoundTrip() {
        let t = ts(1_480_550_400_000, 3)
        #expect(t.description == "1480550400000.3")
        #expect(HybridTimestamp(t.description) == t)
        #expect(HybridTimestamp("0.0") == .zero)
        for text in ["+1.0", "-0.0", "01.0", "1.01", "1.+1", " 1.0", "1.0 ", "1e3.0", "9223372036854775808.0", "1.4294967296"] {
            #expect(HybridTimestamp(text) == nil, "\(text) is not canonical")
        }
        #expect(HybridTimestamp("9223372036854775807.4294967295") == ts(.max, .max))
    }

    @Test(arguments: ["", "1", "1.", ".1", "-1.0", "1.-1", "1.4294967296", "a.b", "1.2.3", "1,2", " 1.2"])
    func rejectsBadText(_ text: String) {
        #expect(HybridTimestamp(text) == nil)
    }
}
