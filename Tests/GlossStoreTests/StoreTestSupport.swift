import Foundation
import GlossCore
@testable import GlossStore

/// A clock tests can move, so timestamps (and the display winner) are deterministic.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    init(_ start: Int64 = 1_480_550_400_000) { now = start }

    func advance(by milliseconds: Int64 = 1_000) {
        lock.lock()
        now += milliseconds
        lock.unlock()
    }

    var read: @Sendable () -> Int64 {
        { [self] in
            lock.lock()
            defer { lock.unlock() }
            return now
        }
    }
}

enum Fixtures {
    /// The package root, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let seedPath = packageRoot.appendingPathComponent("examples/corpus/musul-2016-12.txt").path

    static var seedText: String {
        get throws { try String(contentsOfFile: seedPath, encoding: .utf8) }
    }

    /// A replica in memory holding the seed article.
    static func storeWithSeed(name: String = "ayşe", clock: TestClock = TestClock()) throws -> (GlossDatabase, String) {
        let store = try GlossDatabase.inMemory(name: name, clock: clock.read)
        let article = try SeedFormat.parse(try seedText, source: "musul-2016-12.txt")
        _ = try store.importItems([.article(article, authoritative: false)])
        return (store, article.id)
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Exchanges changes between in-memory replicas directly, standing in for a server.
struct Exchange {
    /// Sends every change `source` has that `target` may lack.
    @discardableResult
    static func send(from source: GlossDatabase, to target: GlossDatabase) throws -> ApplySummary {
        let changes = try source.changes(afterPosition: 0, limit: 1_000_000).map(\.change)
        return try target.applyRemote(changes)
    }

    /// Both ways, until both hold the same log.
    static func sync(_ replicas: GlossDatabase...) throws {
        // Sending a replica its own changes is harmless (all duplicates), so no pair is skipped.
        for source in replicas {
            for target in replicas { try send(from: source, to: target) }
        }
    }
}

/// SplitMix64: a tiny seeded generator, so every random test replays from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
