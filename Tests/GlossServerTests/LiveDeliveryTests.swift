import Foundation
import GlossCore
@testable import GlossServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// Live delivery: a parked long poll wakes when a push commits — through this server, or
/// through another server on the same PostgreSQL database — not by re-querying.
@Suite struct LiveDeliveryTests {
    @Test(arguments: TestBackend.enabled) func aParkedPollWakesWhenAPushCommits(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let change = log.put(sampleArticle())
            async let waiting = client.pullPage(token: server.reader, query: "after=0&wait=60")
            try await waitForParkedPolls(server)
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
            let page = try await waiting
            #expect(page.changes.map(\.dot) == [change.dot])
            #expect(page.cursor == 1)
            #expect(parkedPolls(server.metrics) == 0, "the woken poll is no longer counted")
        }
    }

    @Test(arguments: TestBackend.enabled) func aPushToAnotherCorpusLeavesThePollParked(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let elsewhere = log.put(sampleArticle(1))
            async let waiting = client.pullPage(token: server.reader, query: "after=0&wait=60")
            try await waitForParkedPolls(server)
            try expectPushed(
                try await client.push(token: server.sportsWriter, replica: log.replica, changes: [elsewhere], corpus: TestServer.otherCorpus),
                stored: 1, duplicates: 0, maxSeq: 1)
            // notify() runs before the push answers, so a wrong wake would have happened by now.
            #expect(parkedPolls(server.metrics) == 1, "still parked after a push to another corpus")
            var other = ReplicaLog()
            let change = other.put(sampleArticle(2))
            try expectPushed(try await client.push(token: server.ayse, replica: other.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
            #expect(try await waiting.changes.map(\.dot) == [change.dot])
        }
    }

    @Test(arguments: TestBackend.enabled) func aThousandParkedPollsAllWakeOnOnePush(backend: TestBackend) async throws {
        // Waits far beyond the time parking them all may take on a loaded machine, so that
        // no poll answers at its deadline before the push.
        var limits = Limits.default
        limits.maxWaitSeconds = 900
        try await TestServer.with(backend: backend, limits: limits) { server, client in
            let polls = 1_000
            var log = ReplicaLog()
            let change = log.put(sampleArticle())
            try await withThrowingTaskGroup(of: Page.self) { group in
                for _ in 0..<polls {
                    group.addTask { try await client.pullPage(token: server.reader, query: "after=0&wait=900") }
                }
                // In the full suite, beside hundreds of processes, the SQLite server parked none
                // of its 1,000 within 120 s twice (CI); alone it takes about a second. The polls
                // wait 900 s, so waiting longer for them to park tests the same thing.
                try await waitForParkedPolls(server, count: polls, within: .seconds(600))
                try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
                var woken = 0
                for try await page in group {
                    #expect(page.changes.map(\.dot) == [change.dot])
                    woken += 1
                }
                #expect(woken == polls)
            }
            #expect(parkedPolls(server.metrics) == 0)
        }
    }

    @Test(arguments: TestBackend.enabled) func aCancelledPollRemovesItsWaiter(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let poll = Task { try await client.pull(token: server.reader, query: "after=0&wait=60") }
            try await waitForParkedPolls(server)
            poll.cancel()
            _ = await poll.result  // an error or a 500: nobody is left to read it either way
            #expect(parkedPolls(server.metrics) == 0, "the cancelled poll's waiter is gone")
        }
    }

    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.postgresSkipReason))
    func aPollParkedOnOneServerWakesOnAPushThroughAnother() async throws {
        try await TestServer.with(backend: .postgres) { server, client in
            // A second server process on the same database: its own storage, routes and metrics.
            let second = try await server.reopen()
            let metrics = ServerMetrics()
            let app = Application(router: GlossApplication.router(storage: second, limits: server.limits, metrics: metrics))
            try await app.test(.router) { secondClient in
                var log = ReplicaLog()
                let change = log.put(sampleArticle())
                async let waiting = secondClient.pullPage(token: server.reader, query: "after=0&wait=60")
                try await waitForParkedPolls(metrics)
                try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
                #expect(try await waiting.changes.map(\.dot) == [change.dot])
            }
            await second.shutdown()
        }
    }

    @Test(.enabled(if: TestBackend.postgresURL != nil, TestBackend.postgresSkipReason))
    func postgresNotifyAloneWakesAnotherServersPoll() async throws {
        try await TestServer.with(backend: .postgres) { server, client in
            let second = try await server.reopen()
            // Its re-check finds nothing, so only a notification through LISTEN can wake it.
            let notifier = ChangeNotifier(latestPosition: { _ in 0 })
            second.deliverChanges(to: notifier)
            #expect(try await eventually(within: .seconds(120)) { notifier.isFeedLive }, "the LISTEN connection came up")
            let corpus = try await corpusID(server)
            let poll = Task {
                try await notifier.poll(
                    corpusID: corpus, after: 0, until: .now + .seconds(60), read: { try await second.latestPosition(corpusID: corpus) },
                    isAnswer: { $0 > 0 })
            }
            #expect(try await eventually { notifier.parkedCount == 1 })
            var log = ReplicaLog()
            try expectPushed(
                try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(sampleArticle())]), stored: 1, duplicates: 0,
                maxSeq: 1)
            #expect(try await poll.value == 1)
            await second.shutdown()
            #expect(!notifier.isFeedLive, "shut down with the storage")
        }
    }

    @Test func aPushThroughAnotherProcessOnTheSameSQLiteFolderIsFoundByTheRecheck() async throws {
        try await TestServer.with(backend: .sqlite) { server, client in
            let second = try await server.reopen()
            let metrics = ServerMetrics()
            let app = Application(router: GlossApplication.router(storage: second, limits: server.limits, metrics: metrics))
            try await app.test(.router) { secondClient in
                var log = ReplicaLog()
                let change = log.put(sampleArticle())
                async let waiting = secondClient.pullPage(token: server.reader, query: "after=0&wait=60")
                try await waitForParkedPolls(metrics)
                try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
                let pushed = ContinuousClock.now
                #expect(try await waiting.changes.map(\.dot) == [change.dot])
                #expect(ContinuousClock.now - pushed < .seconds(30), "found by the 1 s re-check, not at the end of the wait")
            }
            await second.shutdown()
        }
    }

    @Test func aStoppingServerAnswersParkedPollsAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = try SQLiteStorage(directory: directory)
        _ = try await storage.createCorpus(name: TestServer.corpus)
        let token = try await TestServer.makeToken(storage, corpus: TestServer.corpus, user: "cem", scope: .read)
        let metrics = ServerMetrics()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "live-delivery-tests")
        logger.logLevel = .warning
        // A wait far longer than a loaded machine may take to stop, so "at once" is told
        // from "at the deadline" by a wide margin.
        var limits = Limits.default
        limits.maxWaitSeconds = 900
        let app = try GlossApplication.make(
            configuration: .init(port: 0, limits: limits), storage: storage, metrics: metrics, logger: logger,
            onServerRunning: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let services = ServiceGroup(services: [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let (status, held) = try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(960))) {
                client in
                let request = TestClient.Request(changesURI() + "?after=0&wait=900", method: .get, headers: syncHeaders(token: token))
                async let answer = client.execute(request)
                try await waitForParkedPolls(metrics)
                let stopping = ContinuousClock.now
                await services.triggerGracefulShutdown()
                let response = try await answer
                return (response.status, ContinuousClock.now - stopping)
            }
            #expect(status == .ok)
            #expect(held < .seconds(120), "answered when the stop began, not after the 900 s wait (\(held))")
            try await group.waitForAll()
        }
        await storage.shutdown()
    }
}

/// The notifier on its own: what wakes a parked poll and what does not.
@Suite struct ChangeNotifierTests {
    @Test func aWakeThatBringsNothingParksThePollAgain() async throws {
        let notifier = ChangeNotifier(latestPosition: { _ in 0 })
        let reads = Locked(0)
        let ready = Locked(false)
        let poll = Task {
            try await notifier.poll(
                corpusID: 1, after: 5, until: .now + .seconds(60),
                read: { () -> Int? in
                    let count = reads.update { $0 += 1 }
                    return ready.value ? count : nil
                }, isAnswer: { $0 != nil })
        }
        #expect(try await eventually { notifier.parkedCount == 1 })
        // notify() wakes synchronously, so nothing woken is still counted afterwards.
        notifier.notify(corpusID: 2, position: 10)
        notifier.notify(corpusID: 1, position: 5)
        #expect(notifier.parkedCount == 1 && reads.value == 1, "another corpus, or nothing after the cursor, wakes nothing")
        notifier.notify(corpusID: 1, position: 6)
        #expect(try await eventually { reads.value == 2 && notifier.parkedCount == 1 }, "woken, read nothing, parked again")
        ready.update { $0 = true }
        notifier.notify(corpusID: 1, position: 7)
        #expect(try await poll.value == 3)
        #expect(notifier.parkedCount == 0)
    }

    @Test func aPollWithNothingToSendAnswersAtItsDeadline() async throws {
        let notifier = ChangeNotifier(latestPosition: { _ in 0 })
        let start = ContinuousClock.now
        let answer = try await notifier.poll(
            corpusID: 1, after: 0, until: .now + .milliseconds(300), read: { "empty" }, isAnswer: { _ in false })
        #expect(answer == "empty")
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(notifier.parkedCount == 0)
    }

    @Test func theRecheckWakesWhatNoNotificationTold() async throws {
        let latest = Locked<Int64>(0)
        let notifier = ChangeNotifier(latestPosition: { _ in latest.value })
        let poll = Task {
            try await notifier.poll(
                corpusID: 1, after: 0, until: .now + .seconds(60), read: { latest.value }, isAnswer: { $0 > 0 })
        }
        #expect(try await eventually { notifier.parkedCount == 1 })
        latest.update { $0 = 3 }  // committed elsewhere, and nobody notified
        #expect(try await poll.value == 3)
    }
}

// MARK: - Support

/// The `gloss_long_polls_waiting` gauge of `metrics` (-1 when it is missing).
func parkedPolls(_ metrics: ServerMetrics) -> Int {
    Int(metricValue("gloss_long_polls_waiting", in: String(decoding: metrics.exposition(), as: UTF8.self)) ?? -1)
}

/// Waits until at least `count` long polls are parked (the server's gauge says so), so a
/// test pushes to a poll that really waits rather than sleeping and hoping it does.
func waitForParkedPolls(
    _ metrics: ServerMetrics, count: Int = 1, within limit: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let parked = try await eventually(within: limit) { parkedPolls(metrics) >= count }
    #expect(parked, "\(count) long poll(s) parked (the gauge shows \(parkedPolls(metrics)))", sourceLocation: sourceLocation)
}

func waitForParkedPolls(
    _ server: TestServer, count: Int = 1, within limit: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await waitForParkedPolls(server.metrics, count: count, within: limit, sourceLocation: sourceLocation)
}

/// Whether `condition` holds within `limit`, looking every 10 ms.
func eventually(within limit: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// A value shared between a test and the tasks it starts.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    /// Changes the value; returns the new one.
    @discardableResult
    func update(_ change: (inout Value) -> Void) -> Value {
        lock.withLock {
            change(&stored)
            return stored
        }
    }
}
