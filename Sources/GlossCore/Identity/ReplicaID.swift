import Foundation

/// The identity of one replica: 128 random bits, minted offline by `gloss init`.
///
/// Printed as 26 characters of Crockford base32 (`0-9A-Z` without `I L O U`), which
/// sort in the same order as the bits, read well aloud and survive case changes.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The high and low 64 bits.
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A new random replica id from the system's cryptographic generator.
    public static func random() -> ReplicaID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new id from `generator` (a seeded one makes a simulation replay exactly).
    public static func random(using generator: inout some RandomNumberGenerator) -> ReplicaID {
        ReplicaID(high: generator.next(), low: generator.next())
    }

    /// Parses 26 Crockford base32 characters (case-insensitive; `I`/`L` read as 1, `O` as 0).
    public init?(_ text: some StringProtocol) {
        guard let bits = CrockfordBase32.decode128(text) else { return nil }
        self.init(high: bits.high, low: bits.low)
    }

    public var description: String { CrockfordBase32.encode128(high: high, low: low) }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension ReplicaID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ReplicaID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a replica id (26 Crockford base32 characters): \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Crockford's base32 for 128-bit values: 26 symbols, the first carrying only 3 bits.
enum CrockfordBase32 {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func encode128(high: UInt64, low: UInt64) -> String {
        var symbols = [UInt8](repeating: 0, count: 26)
        var hi = high, lo = low
        for index in stride(from: 25, through: 0, by: -1) {
            symbols[index] = alphabet[Int(lo & 31)]
            lo = (lo >> 5) | ((hi & 31) << 59)
            hi >>= 5
        }
        return String(decoding: symbols, as: UTF8.self)
    }

    static func value(of symbol: UInt8) -> UInt64? {
        switch symbol {
        case UInt8(ascii: "0"), UInt8(ascii: "o"), UInt8(ascii: "O"): return 0
        case UInt8(ascii: "1"), UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"): return 1
        case UInt8(ascii: "2")...UInt8(ascii: "9"): return UInt64(symbol - UInt8(ascii: "0"))
        default:
            let upper = (symbol >= UInt8(ascii: "a") && symbol <= UInt8(ascii: "z")) ? symbol - 32 : symbol
            guard let index = alphabet.firstIndex(of: upper) else { return nil }
            return UInt64(index)
        }
    }

    static func decode128(_ text: some StringProtocol) -> (high: UInt64, low: UInt64)? {
        let bytes = Array(text.utf8)
        guard bytes.count == 26 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            guard let value = value(of: byte) else { return nil }
            // The first symbol holds only the top 3 of 130 bits' worth of room.
            if index == 0 && value > 7 { return nil }
            hi = (hi << 5) | (lo >> 59)
            lo = (lo << 5) | value
        }
        return (hi, lo)
    }
}
