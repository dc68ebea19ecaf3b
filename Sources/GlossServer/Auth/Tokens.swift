import Crypto
import GlossCore
import Foundation

/// Bearer tokens: 256 random bits, shown once; the server keeps only their SHA-256.
///
/// A request's token is found by the SHA-256 of what it sent, through an index. The index
/// search's timing can only tell how a *hash* compares with stored hashes, which says
/// nothing about any token (finding a token from its hash means inverting SHA-256); the
/// found hash is then compared with the sent one in constant time all the same, so no
/// comparison of secret-derived bytes ever stops at the first difference.
public enum Tokens {
    /// A new token: `gloss_` and 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<4).map { _ in generator.next() as UInt64 }
        return "gloss_" + words.map { PlainFormat.hex($0) }.joined()
    }

    /// Whether two byte strings are equal, taking the same time wherever they differ.
    public static func constantTimeEqual(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// The stored form of a token: hex of its SHA-256.
    public static func hash(_ token: String) -> String {
        PlainFormat.hex(SHA256.hash(data: Data(token.utf8)))
    }
}
