import Foundation
import HTTPTypes
import GlossCore
@testable import GlossServer
import HummingbirdTesting
import Testing

/// A replica behind a corpus's compaction floor is refused with `410 resync_required` and
/// retired; everyone else syncs as before (docs/protocol.md, "Compaction and the floor").
struct CompactionRefusalTests {
    /// Pushes the history and compacts through position 13; returns the history.
    static func compacted(_ server: TestServer, _ client: some TestClientProtocol) async throws -> CompactionHistory {
        var history = CompactionHistory()
        try await history.push(client, server)
        try await server.sawPulled([history.a.replica, history.b.replica], upTo: 13)
        let report = try await server.storage.compact(corpus: TestServer.corpus)
        #expect(report.floorAfter == 13)
        return history
    }

    @Test(arguments: TestBackend.enabled) func aPullBehindTheFloorIsRefusedAndItsReplicaRetired(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let history = try await Self.compacted(server, client)
            let epoch = try await server.epoch
            let a = history.a.replica
            let refused = try await client.pull(token: server.ayse, query: "after=3&exclude=\(a)&epoch=\(epoch)")
            expectRefused(refused, .gone, "resync_required")
            #expect(refused.errorMessage?.contains("compacted") == true && refused.errorMessage?.contains("13") == true)
            let report = try await server.storage.replicaReport(corpus: TestServer.corpus)
            #expect(report.replicas.first { $0.replica == a.description }?.retiredAt != nil, "the refused replica is retired")
            #expect(report.replicas.first { $0.replica == history.b.replica.description }?.retiredAt == nil)
            // Another epoch below the floor: refused too.
            let otherEpoch = String(repeating: "0f", count: 16)
            expectRefused(try await client.pull(token: server.reader, query: "after=12&epoch=\(otherEpoch)"), .gone, "resync_required")

            // From 0, at or past the floor, and pages fetched ahead (no epoch): served.
            for query in ["after=0", "after=0&epoch=\(epoch)", "after=13&epoch=\(epoch)", "after=14&epoch=\(epoch)", "after=3"] {
                let page = try await client.pull(token: server.reader, query: query)
                #expect(page.status == .ok, "\(query): \(page.text)")
                #expect(try page.json()["floor"]?.intValue == 13, "\(query)")
            }
            // A long poll from below the floor is refused at once, not held.
            let start = ContinuousClock.now
            expectRefused(try await client.pull(token: server.reader, query: "after=5&epoch=\(epoch)&wait=30"), .gone, "resync_required")
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test(arguments: TestBackend.enabled) func aPushBehindTheFloorIsRefusedStoresNothingAndRetiresItsReplica(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var history = try await Self.compacted(server, client)
            let epoch = try await server.epoch
            let id = try await server.corpusID
            let article = sampleArticle(7)
            let next = history.b.put(article)
            let refusals: [(PullPosition?, String)] = [
                (nil, "did not say"),
                (PullPosition(after: 12, epoch: epoch), "only up to position 12"),
                (PullPosition(after: 40, epoch: String(repeating: "0f", count: 16)), "earlier history"),
            ]
            for (seen, words) in refusals {
                let answer = try await client.push(token: server.bora, replica: history.b.replica, seen: seen, changes: [next])
                expectRefused(answer, .gone, "resync_required")
                #expect(answer.errorMessage?.contains(words) == true, "\(answer.text)")
                #expect(answer.errorMessage?.contains("'gloss sync'") == true)
                #expect(try await server.storage.latestPosition(corpusID: id) == 15, "nothing stored")
            }
            let report = try await server.storage.replicaReport(corpus: TestServer.corpus)
            #expect(report.replicas.first { $0.replica == history.b.replica.description }?.retiredAt != nil)

            // At or past the floor: stored. A replica that never pulled (after 0) pushes what it created.
            try expectPushed(
                try await client.push(token: server.bora, replica: history.b.replica, seen: PullPosition(after: 13, epoch: epoch), changes: [next]),
                stored: 1, duplicates: 0, maxSeq: 3)
            var fresh = ReplicaLog()
            try expectPushed(
                try await client.push(
                    token: server.bora, replica: fresh.replica, seen: PullPosition(after: 0, epoch: epoch), changes: [fresh.put(sampleArticle(8))]),
                stored: 1, duplicates: 0, maxSeq: 1)
            // One that never pulled has no epoch to name.
            var newcomer = ReplicaLog()
            try expectPushed(
                try await client.push(
                    token: server.bora, replica: newcomer.replica, seen: PullPosition(after: 0, epoch: nil), changes: [newcomer.put(sampleArticle(10))]),
                stored: 1, duplicates: 0, maxSeq: 1)
            // A retried batch that stores nothing new is answered as before, whatever it says it has seen.
            try expectPushed(
                try await client.push(token: server.bora, replica: history.b.replica, seen: nil, changes: [next]), stored: 0, duplicates: 1, maxSeq: 3)
            #expect(try await server.storage.latestPosition(corpusID: id) == 18)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func renewingEpochsKeepsTheFloorAndRefusesCursorsOfTheOldHistory(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var history = try await Self.compacted(server, client)
            let old = try await server.epoch
            _ = try await server.storage.renewEpochs()
            let new = try await server.epoch
            #expect(new != old)
            let corpus = try #require(try await server.storage.corpora(named: TestServer.corpus).first)
            #expect(corpus.floor == 13 && corpus.changes == 13, "the floor is part of the data")
            #expect(try await server.storage.check() == [])
            let change = history.a.put(sampleArticle(3))
            expectRefused(
                try await client.push(token: server.ayse, replica: history.a.replica, seen: PullPosition(after: 15, epoch: old), changes: [change]),
                .gone, "resync_required")
            try expectPushed(
                try await client.push(token: server.ayse, replica: history.a.replica, seen: PullPosition(after: 15, epoch: new), changes: [change]),
                stored: 1, duplicates: 0, maxSeq: 14)
            // What replicas had seen was reset: nothing more to compact until they pull again.
            #expect(try await !server.storage.compact(corpus: TestServer.corpus).ran)
        }
    }

    @Test(arguments: TestBackend.enabled) func beforeAnyCompactionPushesWithoutSeenAndOldCursorsWorkAsBefore(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var history = CompactionHistory()
            try await history.push(client, server)
            let epoch = try await server.epoch
            let page = try await client.pull(token: server.reader, query: "after=3&epoch=\(epoch)")
            #expect(page.status == .ok)
            #expect(try page.json()["floor"]?.intValue == 0)
            try expectPushed(
                try await client.push(token: server.bora, replica: history.b.replica, seen: nil, changes: [history.b.put(sampleArticle(9))]),
                stored: 1, duplicates: 0, maxSeq: 3)
        }
    }
}


