import Foundation
import GlossCore
import GlossCurl
import GlossServer
import GlossStore
import GlossSync
import Hummingbird
import Logging
import ServiceLifecycle
import Testing

/// A real gloss-server (embedded SQLite, in this process) on a free loopback port, with a
/// corpus `news` and a write token, for the duration of `body`.
func withGlossServer<T: Sendable>(_ body: @Sendable (_ url: String, _ token: String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-session-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let storage = try SQLiteStorage(directory: directory)
    _ = try await storage.createCorpus(name: "news")
    let token = Tokens.generate()
    _ = try await storage.createToken(corpus: "news", user: "ayse", scope: .write, hash: Tokens.hash(token))
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "sync-session-tests")
    logger.logLevel = .warning
    let app = try GlossApplication.make(
        configuration: .init(port: 0), storage: storage, logger: logger,
        onServerRunning: { port in
            continuation.yield(port)
            continuation.finish()
        })
    let services = ServiceGroup(services: [app], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let result = try await body("http://127.0.0.1:\(port)", token)
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        await storage.shutdown()
        return result
    }
}

/// The transports a session is tried with: libcurl (the CLI's) and URLSession (an app's).
enum TransportKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case curl, urlSession

    var testDescription: String { rawValue }

    var factory: SyncSession.TransportFactory {
        switch self {
        case .curl: return { remote throws(TransportError) in try CurlTransport(baseURL: remote.url) }
        case .urlSession: return { remote in URLSessionTransport(baseURL: remote.url) }
        }
    }
}

/// A replica with the seed article, its remote set to the server.
func sessionReplica(_ name: String, url: String, token: String, transport: TransportKind, options: SyncOptions = SyncOptions())
    throws -> (store: GlossDatabase, article: String, session: SyncSession)
{
    let (store, article) = try SyncFixtures.replica(name: name)
    try store.setRemote(url: url, corpus: "news", token: token, cacert: nil)
    return (store, article, SyncSession(store: store, options: options, makeTransport: transport.factory))
}

/// Waits until `condition` holds, checking every 10 ms, for at most `seconds`.
func eventually(within seconds: Double, _ condition: @Sendable () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}

@Suite("SyncSession: async syncs, progress, cancellation and live mode against a real server")
struct SyncSessionTests {
    @Test("two replicas converge through sync(), and progress reports totals", arguments: TransportKind.allCases)
    func syncConverges(transport: TransportKind) async throws {
        try await withGlossServer { url, token in
            var options = SyncOptions()
            options.batchSize = 50
            options.pageSize = 40
            let a = try sessionReplica("a", url: url, token: token, transport: transport, options: options)
            let b = try sessionReplica("b", url: url, token: token, transport: transport, options: options)
            let quotes = SyncFixtures.quotes
            for index in 0..<120 {
                try SyncFixtures.annotate(a.store, article: a.article, quotes[index % quotes.count], note: "note \(index)")
            }
            let progress = Task { [session = a.session] in
                var seen: [SyncReport] = []
                for await report in session.progress() {
                    seen.append(report)
                    if report.pushed == report.toPush, report.toPush > 0 { break }
                }
                return seen
            }
            // Let the progress subscription start before the sync does.
            try await Task.sleep(for: .milliseconds(50))
            let pushed = try await a.session.sync()
            #expect(pushed.pushed == 121 && pushed.toPush == 121, "\(pushed.summary)")
            let reports = await progress.value
            #expect(reports.count >= 3, "a report after each batch of 50")
            #expect(reports.map(\.pushed) == reports.map(\.pushed).sorted())
            #expect(reports.allSatisfy { $0.toPush == 121 })

            let pulled = try await b.session.sync()
            // B's own seed import is pushed; A's 121 changes come down, paged by 40.
            #expect(pulled.pulled == 121 && pulled.pushed == 1, "\(pulled.summary)")
            #expect(pulled.pullEnd == 122 && pulled.pullCursor == 122, "the pull knew where it ends")
            #expect(try b.store.annotations().count == 120)
            _ = try await a.session.sync()
            #expect(try a.store.export(.jsonl).text == b.store.export(.jsonl).text)
        }
    }

    @Test("cancelling the task aborts the sync; the replica stays consistent and the next sync finishes it", arguments: TransportKind.allCases)
    func cancelMidSync(transport: TransportKind) async throws {
        try await withGlossServer { url, token in
            var options = SyncOptions()
            options.batchSize = 20
            let a = try sessionReplica("a", url: url, token: token, transport: transport, options: options)
            for index in 0..<400 {
                try SyncFixtures.annotate(a.store, article: a.article, SyncFixtures.quotes[index % SyncFixtures.quotes.count], note: "n\(index)")
            }
            let session = a.session
            let firstBatch = Task {
                for await report in session.progress() where report.pushed > 0 { return }
            }
            try await Task.sleep(for: .milliseconds(50))
            let sync = Task { () throws(SyncError) -> SyncReport in try await session.sync() }
            await firstBatch.value
            sync.cancel()
            let outcome = await sync.result
            #expect(throws: SyncError.cancelled) { try outcome.get() }
            let unpushed = try a.store.unpushedCount()
            #expect(unpushed > 0 && unpushed < 401, "cancelled between the first and the last batch: \(unpushed) left")
            #expect(try a.store.doctor().isHealthy)

            let rest = try await session.sync()
            // A batch the server stored whose answer the cancellation cut off comes back as
            // duplicates: at most one batch fewer is newly stored.
            #expect(rest.pushed <= unpushed && rest.pushed >= unpushed - 20, "\(rest.summary)")
            #expect(try a.store.unpushedCount() == 0)
            let b = try sessionReplica("b", url: url, token: token, transport: transport)
            let report = try await b.session.sync()
            #expect(report.pulled == 401, "every change once: \(report.summary)")
        }
    }

    // Timed against the long poll, not the clock: the machine may be loaded by other tests,
    // so each bound is far below the 30 s the poll waits; the latency itself is measured
    // by scripts/bench.
    @Test("live mode pushes a local edit while its long poll is open, pulls another replica's through it, and stops at once",
          arguments: TransportKind.allCases)
    func liveMode(transport: TransportKind) async throws {
        try await withGlossServer { url, token in
            let a = try sessionReplica("a", url: url, token: token, transport: transport)
            let b = try sessionReplica("b", url: url, token: token, transport: transport)
            _ = try await b.session.sync()
            let events = LockedEvents()
            let session = a.session
            let live = Task {
                for try await event in session.live(wait: 30) { events.append(event) }
            }
            #expect(try await eventually(within: 60) { events.synced.count >= 1 }, "the first, complete sync")
            #expect(try a.store.articles().count == 1)

            // A local edit reaches the server while the long poll is open.
            try await Task.sleep(for: .milliseconds(200))
            try SyncFixtures.annotate(a.store, article: a.article, SyncFixtures.quotes[0], note: "live")
            // (The first sync pushed the article: the edit is the second push.)
            #expect(try await eventually(within: 15) { events.synced.filter { $0.pushed == 1 }.count >= 2 }, "pushed: \(events.summary)")

            // Another replica's edit arrives through the open long poll.
            let note = try SyncFixtures.annotate(b.store, article: b.article, SyncFixtures.quotes[1], note: "from b")
            _ = try await b.session.sync()
            #expect(try await eventually(within: 15) { (try? a.store.annotation(note.id)) != nil }, "pulled: \(events.summary)")

            // Ending the loop stops both directions at once, long poll included.
            let stopping = ContinuousClock.now
            live.cancel()
            _ = await live.result
            #expect(ContinuousClock.now - stopping < .seconds(15), "stopped while a 30 s long poll was open")
            // The session is free again.
            let after = try await session.sync()
            #expect(after.pushed == 0)
        }
    }

    @Test("live mode reports an unreachable server and keeps trying; it ends with the error when the token is refused")
    func liveRetriesAndFails() async throws {
        let (store, _) = try SyncFixtures.replica(name: "a")
        // Nothing listens on port 9 of loopback: refused at once.
        try store.setRemote(url: "http://127.0.0.1:9", corpus: "news", token: "gloss_x", cacert: nil)
        var options = SyncOptions()
        options.attempts = 1
        let session = SyncSession(store: store, options: options, makeTransport: TransportKind.curl.factory)
        let retrying = Task {
            var retries: [(SyncError, Double)] = []
            for try await event in session.live() {
                guard case .retrying(let error, let delay) = event else { continue }
                retries.append((error, delay))
                if retries.count == 2 { break }
            }
            return retries
        }
        let retries = try await retrying.value
        #expect(retries.count == 2 && retries.allSatisfy { $0.0.isTransient })
        #expect(retries.map(\.1) == [1, 2], "backing off")

        try await withGlossServer { url, _ in
            try store.setRemote(url: url, corpus: "news", token: "gloss_wrong", cacert: nil)
            await #expect {
                _ = try await collect(session.live())
            } throws: { error in
                if case .unauthorized = error as? SyncError { return true }
                return false
            }
        }
    }
}

/// Tokens kept outside the replica, as an app's keychain keeps them.
struct MemoryTokens: TokenStore {
    let tokens: [String: String]
    func token(url: String, corpus: String) throws -> String? { tokens["\(corpus)@\(url)"] }
}

@Suite("SyncSession: the token comes from a TokenStore")
struct TokenStoreTests {
    @Test func aTokenKeptOutsideTheReplicaSyncs() async throws {
        try await withGlossServer { url, token in
            let (store, _) = try SyncFixtures.replica(name: "app")
            try store.setRemote(url: url, corpus: "news")
            #expect(try store.remote()?.token == "", "the replica keeps no token")
            let keychain = MemoryTokens(tokens: ["news@\(url)": token])
            let session = SyncSession(store: store, tokens: keychain, makeTransport: TransportKind.urlSession.factory)
            #expect(try await session.sync().pushed == 1)

            // Without a token anywhere, the sync says so before any request.
            let bare = SyncSession(store: store, makeTransport: TransportKind.urlSession.factory)
            await #expect(throws: SyncError.noToken(url: url, corpus: "news")) { try await bare.sync() }
            let empty = SyncSession(store: store, tokens: MemoryTokens(tokens: [:]), makeTransport: TransportKind.urlSession.factory)
            await #expect(throws: SyncError.noToken(url: url, corpus: "news")) { try await empty.sync() }
        }
    }
}

/// Collects a live sequence until it ends; returns its events, or throws its error.
func collect(_ sequence: AsyncThrowingStream<SyncSession.LiveEvent, any Error>) async throws -> [SyncSession.LiveEvent] {
    var events: [SyncSession.LiveEvent] = []
    for try await event in sequence { events.append(event) }
    return events
}

/// Live events seen so far, shared with the task that iterates.
final class LockedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SyncSession.LiveEvent] = []

    func append(_ event: SyncSession.LiveEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var synced: [SyncReport] {
        lock.lock()
        defer { lock.unlock() }
        return events.compactMap { if case .synced(let report) = $0 { return report } else { return nil } }
    }

    var summary: String { synced.map(\.summary).joined(separator: "; ") }
}
