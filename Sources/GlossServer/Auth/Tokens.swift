import Crypto
import Foundation

/// Bearer tokens: 256 random bits, shown once; the server keeps only their SHA-256.
public enum Tokens {
    /// A new token: `gloss_` and 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<4).map { _ in generator.next() as UInt64 }
        return "gloss_" + words.map { String(format: "%016llx", $0) }.joined()
    }

    /// The stored form of a token: hex of its SHA-256.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
