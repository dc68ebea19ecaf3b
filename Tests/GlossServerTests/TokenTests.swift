import GlossServer
import Testing

@Suite struct TokenTests {
    @Test func tokensAre256RandomBitsInHex() {
        let tokens = (0..<200).map { _ in Tokens.generate() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.hasPrefix("gloss_"))
            let hex = token.dropFirst("gloss_".count)
            #expect(hex.count == 64 && hex.allSatisfy(\.isHexDigit), "\(token)")
        }
        // Every hex digit position varies: no fixed bits.
        for position in 0..<64 {
            let digits = Set(tokens.map { Array($0.dropFirst(6))[position] })
            #expect(digits.count > 4, "position \(position) barely varies")
        }
    }

    @Test func theStoredHashIsSHA256Hex() {
        #expect(Tokens.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func constantTimeEqualityIsEquality() {
        let hash = Tokens.hash(Tokens.generate())
        #expect(Tokens.constantTimeEqual(hash, hash))
        #expect(!Tokens.constantTimeEqual(hash, String(hash.dropLast())))
        #expect(!Tokens.constantTimeEqual(hash, hash + "0"))
        #expect(!Tokens.constantTimeEqual("", "a"))
        #expect(Tokens.constantTimeEqual("", ""))
        var chars = Array(hash)
        for index in [0, 31, 63] {
            let original = chars[index]
            chars[index] = original == "0" ? "1" : "0"
            #expect(!Tokens.constantTimeEqual(hash, String(chars)), "differs at \(index)")
            chars[index] = original
        }
    }
}
