import Foundation
import Testing

@testable import GlossCore

@Suite struct ReplicaIDTests {
    static let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    @Test func zeroAndMaxEncodeTo26Symbols() {
        #expect(ReplicaID(high: 0, low: 0).description == String(repeating: "0", count: 26))
        #expect(ReplicaID(high: .max, low: .max).description == "7" + String(repeating: "Z", count: 25))
        #expect(ReplicaID(high: 0, low: 1).description == String(repeating: "0", count: 25) + "1")
        #expect(ReplicaID(high: 0, low: 31).description == String(repeating: "0", count: 25) + "Z")
        #expect(ReplicaID(high: 0, low: 32).description == String(repeating: "0", count: 24) + "10")
    }

    @Test func bitsCrossTheHalfBoundary() {
        // low's top 4 bits and high's lowest bit share the 13th symbol from the right.
        let id = ReplicaID(high: 1, low: 0)
        // 2^64 = 16 * 32^12, so symbol 13 from the right is 'G' (16).
        #expect(id.description == String(repeating: "0", count: 13) + "G" + String(repeating: "0", count: 12))
        #expect(ReplicaID(id.description) == id)
        let top = ReplicaID(high: 1 << 63, low: 0)
        #expect(top.description.first == "4")
        #expect(ReplicaID(top.description) == top)
    }

    @Test func randomIDsRoundTripAndUseTheAlphabet() throws {
        var seen = Set<ReplicaID>()
        for _ in 0..<500 {
            let id = ReplicaID.random()
            seen.insert(id)
            let text = id.description
            #expect(text.utf8.count == 26)
            #expect(text.allSatisfy { Self.alphabet.contains($0) })
            #expect(ReplicaID(text) == id)
            #expect(ReplicaID(text.lowercased()) == id)
        }
        #expect(seen.count == 500, "128 random bits should not collide")
    }

    @Test func specificBitPatternsRoundTrip() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let id = ReplicaID(high: rng.next(), low: rng.next())
            #expect(ReplicaID(id.description) == id)
        }
        for shift in 0..<64 {
            for id in [ReplicaID(high: 1 << shift, low: 0), ReplicaID(high: 0, low: 1 << shift)] {
                #expect(ReplicaID(id.description) == id, "bit \(shift)")
            }
        }
    }

    @Test func textOrderIsBitOrder() {
        var rng = SplitMix64(seed: 11)
        let ids = (0..<300).map { _ in ReplicaID(high: rng.next() >> (rng.next() % 64), low: rng.next()) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
        #expect(ReplicaID(high: 0, low: .max) < ReplicaID(high: 1, low: 0))
        #expect(!(ReplicaID(high: 1, low: 0) < ReplicaID(high: 1, low: 0)))
    }

    @Test func confusableSymbolsReadAsDigits() {
        let canonical = "01" + String(repeating: "0", count: 24)
        #expect(ReplicaID("0I" + String(repeating: "O", count: 24)) == ReplicaID(canonical))
        #expect(ReplicaID("0l" + String(repeating: "o", count: 24)) == ReplicaID(canonical))
        #expect(ReplicaID("0L" + String(repeating: "0", count: 24)) == ReplicaID(canonical))
    }

    @Test(arguments: [
        "",
        "0000000000000000000000000",  // 25
        "000000000000000000000000000",  // 27
        "8" + String(repeating: "0", count: 25),  // 131st bit set: overflows 128 bits
        "Z" + String(repeating: "0", count: 25),
        "0000000000000000000000000U",  // U is not in the alphabet
        "000000000000000000000000-0",
        "00000000000000000000000 00",
        "0000000000000000000000000ş",  // 26 characters, 27 bytes
        "0000000000000000000000000\u{0}",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(ReplicaID(text) == nil)
    }

    @Test func firstSymbolLimit() {
        #expect(ReplicaID("7" + String(repeating: "Z", count: 25)) == ReplicaID(high: .max, low: .max))
        #expect(ReplicaID("8" + String(repeating: "0", count: 25)) == nil)
    }

    @Test func codableUsesTheText() throws {
        let id = ReplicaID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(id.description)\"]")
        #expect(try JSONDecoder().decode([ReplicaID].self, from: data) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ReplicaID].self, from: Data("[\"not-a-replica\"]".utf8))
        }
        #expect(ReplicaID(Substring(id.description)) == id)
    }

    @Test func dotsParseAndPrint() throws {
        let replica = ReplicaID(high: 5, low: 9)
        let dot = Dot(replica: replica, seq: 42)
        #expect(dot.description == "\(replica):42")
        #expect(Dot(dot.description) == dot)
        #expect(Dot("\(replica):0") == nil, "seq starts at 1")
        #expect(Dot("\(replica):-1") == nil)
        #expect(Dot("\(replica)") == nil)
        #expect(Dot("\(replica):1:2") == nil)
        #expect(Dot(":1") == nil)
        #expect(Dot("\(replica):") == nil)
        #expect(Dot("\(replica):x") == nil)
        // One spelling per dot: no lowercase replica, sign or leading zero.
        #expect(Dot("\(replica.description.lowercased()):2") == nil)
        #expect(Dot("\(replica):+2") == nil)
        #expect(Dot("\(replica):02") == nil)
        #expect(Dot("\(replica): 2") == nil)
        #expect(Dot("\(replica):2") == Dot(replica: replica, seq: 2))
        let other = ReplicaID(high: 6, low: 0)
        #expect(Dot(replica: replica, seq: 9) < Dot(replica: replica, seq: 10))
        #expect(Dot(replica: replica, seq: 999) < Dot(replica: other, seq: 1))
    }
}
