import Foundation
import Testing

@testable import GlossCore

/// `PlainFormat` writes what Foundation's formatters write, checked against them as the
/// oracle on random values (seeded).
@Suite struct PlainFormatTests {
    @Test func timesMatchISO8601DateFormatter() {
        let whole = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var random = SplitMix64(seed: 8601)
        // 1600-01-01 to 9999-12-31, and the edges of days, years and leap days.
        var samples: [Int64] = [0, -1, 1, 999, 1_000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_107_542_399_999]
        for _ in 0..<5_000 { samples.append(Int64.random(in: -11_676_096_000_000...253_402_300_799_999, using: &random)) }
        for milliseconds in samples {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1_000)
            #expect(PlainFormat.iso8601(milliseconds: milliseconds) == whole.string(from: date), "\(milliseconds)")
            #expect(
                PlainFormat.iso8601(milliseconds: milliseconds, fractionalSeconds: true) == fractional.string(from: date),
                "\(milliseconds)")
        }
    }

    @Test func hexMatchesPrintf() {
        var random = SplitMix64(seed: 16)
        for value in [UInt64.min, 1, 0xff, UInt64.max] + (0..<1_000).map({ _ in random.next() }) {
            #expect(PlainFormat.hex(value) == String(format: "%016llx", value))
        }
        let bytes: [UInt8] = [0, 1, 0x0f, 0x10, 0xab, 0xff]
        #expect(PlainFormat.hex(bytes) == "00010f10abff")
    }

    @Test func decimalsMatchPrintfAwayFromTies() {
        var random = SplitMix64(seed: 2)
        for _ in 0..<5_000 {
            let value = Double.random(in: -1e6...1e6, using: &random)
            for digits in 0...3 {
                // printf rounds the exact binary value; values this close to a tie may differ.
                let scaled = abs(value) * pow(10, Double(digits))
                guard abs(scaled - scaled.rounded(.down) - 0.5) > 1e-6 else { continue }
                #expect(PlainFormat.fixed(value, digits: digits) == String(format: "%.\(digits)f", value), "\(value) \(digits)")
            }
        }
        #expect(PlainFormat.fixed(0, digits: 2) == "0.00")
        #expect(PlainFormat.fixed(-0.001, digits: 2) == "0.00")
        #expect(PlainFormat.fixed(22.395, digits: 0) == "22")
        #expect(PlainFormat.fixed(.infinity, digits: 2) == "inf")
    }
}
