import Foundation
import GlossCore
import GlossServer
import HTTPTypes
import HummingbirdTesting
import Testing

/// Concurrent versions, metrics, health, and long polls.
@Suite struct ConcurrencyAndMetricsTests {
    @Test(arguments: TestBackend.enabled) func concurrentEditsOfOneAnnotationAreBothStoredAndCounted(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var ayse = ReplicaLog()
            var bora = ReplicaLog()
            let article = sampleArticle()
            var annotation = try sampleAnnotation(on: article, note: "ilk not")
            let created = [ayse.put(article), ayse.put(annotation)]
            let createdDot = created[1].dot
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: created), stored: 2, duplicates: 0, maxSeq: 2)

            // Bora pulled that and edits the note; Ayşe edits it too, without having seen Bora's edit.
            let seen = VectorClock([ayse.replica: 2])
            annotation.note = "Bora'nın notu"
            let boraEdit = bora.put(annotation, clock: seen, replaces: [createdDot])
            annotation.note = "Ayşe'nin notu"
            let ayseEdit = ayse.put(annotation, clock: seen, replaces: [createdDot])
            #expect(boraEdit.clock.compare(ayseEdit.clock) == .concurrent)

            try expectPushed(try await client.push(token: server.bora, replica: bora.replica, changes: [boraEdit]), stored: 1, duplicates: 0, maxSeq: 1)
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: [ayseEdit]), stored: 1, duplicates: 0, maxSeq: 3)

            let pulled = try await client.pullAll(token: server.reader)
            #expect(pulled.map(\.dot) == (created + [boraEdit, ayseEdit]).map(\.dot), "both concurrent versions are stored")
            #expect(pulled.suffix(2).map(\.content) == [boraEdit.content, ayseEdit.content])
            #expect(pulled.suffix(2).map(\.author) == ["bora", "ayse"])
            #expect(try await server.storage.check() == [])

            // A resolution joining both replaces them; it is no conflict.
            annotation.note = "ortak not"
            let resolution = ayse.put(annotation, clock: boraEdit.clock.joined(with: ayseEdit.clock), replaces: [boraEdit.dot, ayseEdit.dot])
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: [resolution]), stored: 1, duplicates: 0, maxSeq: 4)
            // A retried batch is counted as duplicates, never stored again.
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: [resolution]), stored: 0, duplicates: 1, maxSeq: 4)

            let metrics = try await client.send(.get, "/metrics", headers: [:])
            #expect(metrics.status == .ok)
            let text = metrics.text
            let conflicts = try #require(metricValue("gloss_conflicts_total", in: text), "in:\n\(text)")
            #expect(conflicts >= 1)
            #expect(metricValue("gloss_changes_stored_total", in: text) == 5, "in:\n\(text)")
            #expect(metricValue("gloss_changes_duplicate_total", in: text) == 1, "in:\n\(text)")
            #expect(metricValue("gloss_pushes_total", in: text) == 5, "in:\n\(text)")
            #expect(text.contains("gloss_requests_total"), "requests are counted")
        }
    }

    @Test(arguments: TestBackend.enabled) func concurrentPushersGetContiguousPositionsAndNoPullSkipsAChange(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let tokens = [server.ayse, server.bora, server.ayse, server.bora]
            let batches: [(ReplicaID, [Change])] = (0..<4).map { index in
                var log = ReplicaLog()
                return (log.replica, (0..<5).map { log.put(sampleArticle(index * 10 + $0)) })
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, (replica, changes)) in batches.enumerated() {
                    group.addTask {
                        // Each batch in two pushes, the second retried once.
                        try expectPushed(
                            try await client.push(token: tokens[index], replica: replica, changes: Array(changes.prefix(2))), stored: 2,
                            duplicates: 0, maxSeq: 2)
                        let rest = Array(changes.dropFirst(2))
                        let answers = [
                            try await client.push(token: tokens[index], replica: replica, changes: rest),
                            try await client.push(token: tokens[index], replica: replica, changes: rest),
                        ]
                        try expectPushed(answers[0], stored: 3, duplicates: 0, maxSeq: 5)
                        try expectPushed(answers[1], stored: 0, duplicates: 3, maxSeq: 5)
                    }
                }
                // A reader pulling meanwhile, page by page.
                group.addTask {
                    var seen: [Dot] = []
                    var cursor: Int64 = 0
                    while seen.count < 20 {
                        let page = try await client.pullPage(token: server.reader, query: "after=\(cursor)&limit=3")
                        seen += page.changes.map(\.dot)
                        #expect(page.cursor == Int64(seen.count), "positions are contiguous")
                        cursor = page.cursor
                        if page.changes.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    #expect(Set(seen).count == 20)
                }
                try await group.waitForAll()
            }
            let all = try await client.pullAll(token: server.reader)
            #expect(Set(all.map(\.dot)) == Set(batches.flatMap { $0.1.map(\.dot) }))
            #expect(all.count == 20)
            for (_, changes) in batches {
                let order = all.filter { $0.dot.replica == changes[0].dot.replica }.map(\.dot.seq)
                #expect(order == [1, 2, 3, 4, 5], "a replica's changes are pulled in seq order")
            }
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func healthzAndMetricsNeedNoHeaders(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let health = try await client.send(.get, "/v1/healthz", headers: [:])
            #expect(health.status == .ok)
            #expect(try health.json() == ["status": "ok"])
            #expect(health.headers[.contentType]?.hasPrefix("application/json") == true)

            let metrics = try await client.send(.get, "/metrics", headers: [:])
            #expect(metrics.status == .ok)
            #expect(metricValue("gloss_changes_stored_total", in: metrics.text) == 0, "in:\n\(metrics.text)")
            #expect(metricValue("gloss_conflicts_total", in: metrics.text) == 0, "in:\n\(metrics.text)")
        }
    }

    @Test(arguments: TestBackend.enabled) func aLongPollOnAnEmptyCorpusReturnsAnEmptyPageAfterTheWait(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let start = ContinuousClock.now
            let page = try await client.pullPage(token: server.ayse, query: "wait=2")
            let elapsed = ContinuousClock.now - start
            #expect(page.changes.isEmpty)
            #expect(page.cursor == 0)
            #expect(page.more == false)
            #expect(elapsed >= .milliseconds(1_500), "held for the wait, took \(elapsed)")
        }
    }

    @Test(arguments: TestBackend.enabled) func aLongPollReturnsAChangePushedWhileItWaits(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let change = log.put(sampleArticle())
            async let waiting = client.pullPage(token: server.reader, query: "after=0&wait=60")
            try await waitForParkedPolls(server)
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
            // Timed from the push's answer, so a slow push on a loaded machine cannot count.
            let start = ContinuousClock.now
            let page = try await waiting
            let elapsed = ContinuousClock.now - start
            #expect(page.changes.map(\.dot) == [change.dot])
            #expect(page.changes.first?.author == "ayse")
            #expect(page.cursor == 1)
            #expect(page.more == false)
            #expect(elapsed < .seconds(30), "returned when the change arrived, not after the 60 s wait (\(elapsed))")
        }
    }

    @Test(arguments: TestBackend.enabled) func aLongPollWithSomethingToSendAnswersAtOnce(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let change = log.put(sampleArticle())
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
            let start = ContinuousClock.now
            let page = try await client.pullPage(token: server.ayse, query: "wait=30")
            #expect(page.changes.map(\.dot) == [change.dot])
            #expect(ContinuousClock.now - start < .seconds(30))
        }
    }
}
