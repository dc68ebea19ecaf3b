import Foundation
import GlossCore
import GlossStore
import Testing
@testable import GlossSync

/// A pull names the epoch of its cursor (so the server records the cursor as seen) only on
/// its first request, only once it knows an epoch, and only with nothing left to push.
struct SeenPositionTests {
    static func epochs(of transport: ScriptedTransport) -> [String?] {
        transport.requests.filter { $0.method == .get && $0.path.contains("/changes") }.map { request in
            request.path.split(separator: "?").last?.split(separator: "&")
                .first { $0.hasPrefix("epoch=") }.map { String($0.dropFirst("epoch=".count)) }
        }
    }

    static func replica(_ name: String, on server: FakeServer) throws -> GlossDatabase {
        let store = try GlossDatabase.inMemory(name: name, clock: StepClock().read)
        server.users["t-\(name)"] = name
        try store.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-\(name)", cacert: nil)
        return store
    }

    @Test func theFirstRequestNamesTheEpochOnceKnownAndPagesFetchedAheadNever() throws {
        let server = FakeServer()
        let (writer, article) = try SyncFixtures.replica(name: "ayse")
        server.users["t-ayse"] = "ayse"
        try writer.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-ayse", cacert: nil)
        for quote in SyncFixtures.quotes.prefix(5) { try SyncFixtures.annotate(writer, article: article, quote) }
        try sync(writer, server.transport())

        let reader = try Self.replica("bora", on: server)
        let first = server.transport()
        try sync(reader, first, options: testOptions(pageSize: 2))
        // Its first pull knows no epoch yet; the pages after it are fetched ahead.
        #expect(Self.epochs(of: first).count == 3 && Self.epochs(of: first).allSatisfy { $0 == nil }, "\(first.requests.map(\.path))")

        let second = server.transport()
        try sync(reader, second, options: testOptions(pageSize: 2))
        #expect(Self.epochs(of: second) == [server.epoch], "\(second.requests.map(\.path))")
    }

    @Test func aReplicaWithChangesLeftToPushDoesNotNameIt() throws {
        let server = FakeServer()
        let (store, article) = try SyncFixtures.replica(name: "ayse")
        server.users["t-ayse"] = "ayse"
        try store.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-ayse", cacert: nil)
        try sync(store, server.transport())
        // A change made after the last push: the pull alone runs (as a long poll of
        // `sync --watch` can, between pushes), and must not claim the cursor as seen.
        try SyncFixtures.annotate(store, article: article, SyncFixtures.quotes[0])
        #expect(try store.unpushedCount() == 1)
        let transport = server.transport()
        let remote = try #require(try store.remote())
        _ = try SyncEngine(store: store, transport: transport, remote: remote, options: testOptions()).pull()
        #expect(Self.epochs(of: transport) == [nil], "\(transport.requests.map(\.path))")
        // Pushed, the next pull names it again.
        let after = server.transport()
        try sync(store, after)
        #expect(Self.epochs(of: after) == [server.epoch], "\(after.requests.map(\.path))")
    }
}
