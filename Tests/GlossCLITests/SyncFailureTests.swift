import Foundation
import Testing

/// A sync that cannot happen fails cleanly: exit 1, one line on stderr saying what to do,
/// and nothing changed in the store (nor on the server).
@Suite struct SyncFailureTests {
    /// A replica that synced once and then made a local edit, so it has something to push.
    static func replicaWithAnUnpushedEdit(_ server: SyncServer, _ directory: TemporaryDirectory) async throws -> Store {
        let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
        try await a.ok(["import", Fixtures.seedPath])
        let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
        let annotation = try #require(try await a.annotate(article, ["--quote", "Kudüs", "--note", "ilk"])["id"] as? String)
        try await a.sync()
        try await a.ok(["edit", annotation, "--note", "çevrimdışı düzenleme"])
        #expect(try await a.status()["unpushed"] as? Int == 1)
        return a
    }

    /// Runs `gloss sync ARGUMENTS` and expects a clean one-line failure that changes nothing.
    static func expectSyncRefused(
        _ store: Store, _ arguments: [String] = [], mentions: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await store.snapshot(sourceLocation: sourceLocation)
        let beforeSync = try await store.syncState(sourceLocation: sourceLocation)
        let result = try await store.run(["sync"] + arguments)
        expectCleanFailure(result, mentions: mentions, sourceLocation: sourceLocation)
        #expect(try await store.snapshot(sourceLocation: sourceLocation) == before, "the store changed", sourceLocation: sourceLocation)
        #expect(
            try await store.syncState(sourceLocation: sourceLocation) == beforeSync, "the sync state changed",
            sourceLocation: sourceLocation)
    }

    @Test(arguments: SyncBackend.enabled) func aWrongTokenFailsCleanly(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Self.replicaWithAnUnpushedEdit(server, directory)
            let stored = try await server.storedChanges()
            try await a.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", "gloss_not-a-real-token-0123456789"])
            try await Self.expectSyncRefused(a, mentions: ["token"])
            try await Self.expectSyncRefused(a, ["--json"], mentions: ["token"])
            #expect(try await server.storedChanges() == stored)

            // A real token of another corpus is refused the same way.
            try await server.admin(["corpus", "create", "other"])
            let other = try await server.admin(["token", "create", "--corpus", "other", "--user", "ayse"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try await a.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", other])
            try await Self.expectSyncRefused(a, mentions: [])
            #expect(try await server.storedChanges() == stored)

            // With the right token again, the edit goes through.
            try await a.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", try await server.token(user: "ayse")])
            #expect(try await a.sync()["pushed"] as? Int == 1)
        }
    }

    @Test(arguments: SyncBackend.enabled) func anUnknownCorpusFailsCleanly(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Self.replicaWithAnUnpushedEdit(server, directory)
            let token = try await server.token(user: "ayse")
            try await a.ok(["remote", "set", server.url, "--corpus", "no-such-corpus", "--token", token])
            try await Self.expectSyncRefused(a, mentions: ["no-such-corpus"])
            try await Self.expectSyncRefused(a, ["--json"], mentions: ["no-such-corpus"])
        }
    }

    @Test(arguments: SyncBackend.enabled) func aServerThatIsDownFailsCleanly(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Self.replicaWithAnUnpushedEdit(server, directory)
            try await server.stop()
            #expect(!server.isRunning)
            // The client retries with backoff for a few seconds before it gives up.
            try await Self.expectSyncRefused(a, mentions: [server.url])
            let status = try await a.status()
            let lastResult = (status["remote"] as? [String: Any])?["lastResult"] as? String ?? ""
            #expect(lastResult.hasPrefix("failed"), "lastResult after a failed sync: \(lastResult)")
        }
    }
}
