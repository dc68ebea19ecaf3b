import Foundation
import NIOCore
import GlossCore
@testable import GlossServer
import Testing

/// Compactions racing pushes: every step of a compaction takes turns with pushes, so at the
/// end the store is consistent and what remains rebuilds every entity's frontier.
struct CompactionConcurrencyTests {
    @Test(arguments: TestBackend.enabled) func compactionsRacingPushesLeaveEveryFrontierWhole(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, _ in
            let id = try await server.corpusID
            let epoch = try await server.epoch
            // Another storage on the same data compacts, as another server process would.
            let compactor = try await server.reopen()
            let article = sampleArticle(0)
            let shared = try sampleAnnotation(on: article, start: 0, end: 3)
            let writers = 3
            let rounds = 25

            let pushed = try await withThrowingTaskGroup(of: [Change].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var log = ReplicaLog()
                        var own: [Annotation] = []
                        for index in 0..<4 { own.append(try sampleAnnotation(on: article, start: 4 + index, end: 6 + index)) }
                        var sent: [Change] = []
                        for round in 0..<rounds {
                            // It pulls up to the latest position (recorded as seen), then pushes
                            // what it made there, saying so.
                            let latest = try await server.storage.latestPosition(corpusID: id)
                            try await server.storage.recordSightings([
                                ReplicaSighting(corpusID: id, replica: log.replica.description, user: "w\(writer)", pulledPosition: latest, at: PlainFormat.now())
                            ])
                            var batch: [Change] = []
                            for step in 0..<3 {
                                var annotation = step == 2 && round % 2 == 0 ? shared : own[(round + step) % own.count]
                                annotation.note = "w\(writer) r\(round) s\(step)"
                                batch.append(log.put(annotation, clock: VectorClock([log.replica: max(log.seq, 1)])))
                            }
                            let result = try await server.storage.push(
                                corpusID: id, user: "w\(writer)", replica: log.replica, seen: PullPosition(after: latest, epoch: epoch),
                                changes: batch.map { IncomingChange(change: $0, wire: $0.jsonString) })
                            #expect(result.stored == 3)
                            sent += batch
                        }
                        return sent
                    }
                }
                // Two compactors, as two servers run them: each step takes turns with pushes, and
                // (PostgreSQL) one finding the other at work skips the corpus.
                let done = ManagedAtomicFlag()
                for storage in [compactor, server.storage] {
                    group.addTask {
                        var runs = 0
                        while !done.isSet || runs == 0 {
                            _ = try await storage.compact(corpus: TestServer.corpus)
                            runs += 1
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        return []
                    }
                }
                var all: [Change] = []
                var finished = 0
                while let changes = try await group.next() {
                    all += changes
                    if !changes.isEmpty {
                        finished += 1
                        if finished == writers { done.set() }
                    }
                }
                return all
            }
            #expect(pushed.count == writers * rounds * 3)
            let last = try await compactor.compact(corpus: TestServer.corpus)
            await compactor.shutdown()
            #expect(try await server.storage.check() == [])
            let corpus = try #require(try await server.storage.corpora(named: TestServer.corpus).first)
            #expect(corpus.latestPosition == Int64(pushed.count) && corpus.floor > 0 && corpus.changes < Int64(pushed.count))
            #expect(last.storedAfter == corpus.changes)

            // What remains, pulled from 0, gives every entity the frontier all the changes give.
            func frontiers(_ changes: [Change]) throws -> [String: Set<Dot>] {
                var result: [String: Frontier] = [:]
                for change in changes { _ = result[change.entity, default: Frontier()].insert(try change.version()) }
                return result.mapValues { Set($0.dots) }
            }
            var remaining: [Change] = []
            var after: Int64 = 0
            while true {
                let page = try await server.storage.pull(corpusID: id, after: after, limit: 50, maxBytes: 1 << 20, excluding: nil)
                var body = page.body
                body.writeString("]}")
                let json = try JSONParser.parse(bytes: Array(body.readableBytesView))
                remaining += try (json["changes"]?.arrayValue ?? []).map { try Change(json: $0) }
                after = page.cursor
                if !page.more { break }
            }
            #expect(Int64(remaining.count) == corpus.changes)
            #expect(try frontiers(remaining) == frontiers(pushed))
        }
    }
}

/// A flag set once, read from other tasks.
final class ManagedAtomicFlag: Sendable {
    private let state = LockedFlag()
    var isSet: Bool { state.value }
    func set() { state.value = true }
}

private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
