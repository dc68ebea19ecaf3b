import Foundation
import Testing

/// `gloss corpus` and `gloss tokens`: what a phone app's admin screen needs, from the client.
@Suite struct RemoteAdminTests {
    /// A replica whose remote token has scope admin (user deniz), holding the seed.
    static func adminReplica(_ server: SyncServer, _ directory: TemporaryDirectory) async throws -> Store {
        let store = Store(path: directory.path("deniz.gloss"))
        try await store.ok(["init", "--name", "deniz"])
        let token = try await server.token(user: "deniz", scope: "admin")
        try await store.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", token])
        try await store.ok(["import", Fixtures.seedPath])
        try await store.sync()
        return store
    }

    @Test(arguments: SyncBackend.enabled) func anAdminSharesTheCorpusWithAReadTokenAndRevokesIt(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let admin = try await Self.adminReplica(server, directory)
            let info = try await admin.object(["corpus", "info"])
            #expect(info["name"] as? String == server.corpus)
            #expect(info["changes"] as? Int == 1)
            #expect(info["scope"] as? String == "admin")
            #expect(info["user"] as? String == "deniz")

            let created = try await admin.object(["tokens", "create", "--user", "bora", "--scope", "read"])
            let secret = try #require(created["token"] as? String)
            let id = try #require(created["id"] as? Int)
            #expect(secret.hasPrefix("gloss_"))
            // Text output prints only the secret, for scripts.
            let plain = try await admin.ok(["tokens", "create", "--user", "cem"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(plain.hasPrefix("gloss_") && !plain.contains(" "))

            // Bora reads with it, but may not write.
            let bora = Store(path: directory.path("bora.gloss"))
            try await bora.ok(["init", "--name", "bora"])
            try await bora.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", secret])
            #expect(try await bora.sync()["pulled"] as? Int == 1)
            #expect(try await bora.object(["corpus", "info"])["scope"] as? String == "read")
            let article = try #require(try await bora.objects(["articles"]).first?["id"] as? String)
            try await bora.annotate(article, ["--quote", "Kudüs"])
            expectOneLineFailure(try await bora.run(["sync"]), mentions: ["read"])

            let listed = try await admin.objects(["tokens", "list"])
            #expect(listed.map { $0["user"] as? String } == ["deniz", "bora", "cem"])
            #expect(!(try await admin.ok(["tokens", "list"]).stdout.contains(secret)), "a secret was listed")

            let revoked = try await admin.object(["tokens", "revoke", String(id)])
            #expect(revoked["revokedAt"] is String)
            expectOneLineFailure(try await bora.run(["sync"]), mentions: ["token"])
            expectOneLineFailure(try await bora.run(["corpus", "info"]), mentions: ["token"])
        }
    }

    @Test(arguments: SyncBackend.enabled) func tokenManagementNeedsScopeAdmin(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let writer = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            #expect(try await writer.object(["corpus", "info"])["scope"] as? String == "write")
            for arguments in [["tokens", "list"], ["tokens", "create", "--user", "eren"], ["tokens", "revoke", "1"], ["corpus", "delete", "news"]] {
                expectOneLineFailure(try await writer.run(arguments), mentions: ["admin"])
            }
            #expect(try await server.admin(["token", "list"]).stdout.split(separator: "\n").count == 1, "no token was created")
        }
    }

    @Test(arguments: SyncBackend.enabled) func deletingTheRemoteCorpusNeedsItsNameAndKeepsTheLocalCopy(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let admin = try await Self.adminReplica(server, directory)
            let before = try await admin.snapshot()
            expectCleanFailure(try await admin.run(["corpus", "delete", "sports"]), mentions: ["news"])
            #expect(try await server.storedChanges() == 1, "nothing deleted")

            let deleted = try await admin.ok(["corpus", "delete", "news"])
            #expect(deleted.stdout.contains("Deleted corpus news"))
            #expect(!(try await server.admin(["corpus", "list"]).stdout.contains("news")))
            #expect(try await admin.snapshot() == before, "the replica keeps its copy")
            #expect(try await server.check().status == 0)
        }
    }

    @Test func withoutARemoteTheCommandsSaySetOne() async throws {
        try await withTemporaryDirectory { directory in
            let store = Store(path: directory.path("a.gloss"))
            try await store.ok(["init"])
            for arguments in [["corpus", "info"], ["tokens", "list"]] {
                expectCleanFailure(try await store.run(arguments), mentions: ["gloss remote set"])
            }
        }
    }
}
