import GlossCore
import Hummingbird
import HummingbirdTesting
import Testing
@testable import GlossServer

/// Token revocation and corpus deletion: refused at once afterwards, nothing left behind.
struct AdminTests {
    @Test(arguments: TestBackend.enabled) func aRevokedTokenIsRefusedAtOnce(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            #expect(try await client.pull(token: server.ayse).status == .ok)
            let record = try #require(
                try await server.storage.tokens(corpus: TestServer.corpus).first { $0.user == "ayse" })
            let revoked = try await server.storage.revokeToken(id: record.id)
            #expect(revoked.revokedAt != nil)
            expectRefused(try await client.pull(token: server.ayse), .unauthorized, "unauthorized")
            var log = ReplicaLog()
            expectRefused(
                try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(sampleArticle())]),
                .unauthorized, "unauthorized")
            // Other tokens are untouched; revoking twice keeps the first time; unknown ids are an error.
            #expect(try await client.pull(token: server.bora).status == .ok)
            #expect(try await server.storage.revokeToken(id: record.id).revokedAt == revoked.revokedAt)
            await #expect(throws: StorageError.unknownToken(999_999)) { try await server.storage.revokeToken(id: 999_999) }
        }
    }

    @Test(arguments: TestBackend.enabled) func deletingACorpusRemovesItsChangesTokensAndReplicas(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle()
            try expectPushed(
                try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(article)]),
                stored: 1, duplicates: 0, maxSeq: 1)
            var other = ReplicaLog()
            try expectPushed(
                try await client.push(
                    token: server.sportsWriter, replica: other.replica, changes: [other.put(sampleArticle(1))], corpus: TestServer.otherCorpus),
                stored: 1, duplicates: 0, maxSeq: 1)

            let deleted = try await server.storage.deleteCorpus(name: TestServer.corpus)
            #expect(deleted.changes == 1)
            #expect(try await server.storage.corpora().map(\.name) == [TestServer.otherCorpus])
            #expect(try await server.storage.tokens(corpus: TestServer.corpus).isEmpty)
            #expect(try await server.storage.grant(forTokenHash: Tokens.hash(server.ayse)) == nil)
            expectRefused(try await client.pull(token: server.ayse), .unauthorized, "unauthorized")
            #expect(try await server.storage.check().isEmpty)

            // The other corpus is intact; the name can be used again, empty.
            #expect(try await client.pullAll(token: server.sportsWriter, corpus: TestServer.otherCorpus).count == 1)
            let again = try await server.storage.createCorpus(name: TestServer.corpus)
            #expect(again.changes == 0)
            let token = try await TestServer.makeToken(server.storage, corpus: TestServer.corpus, user: "ayse", scope: .write)
            #expect(try await client.pullAll(token: token).isEmpty)
            // The replica id is free again too: its first seq is expected from 1.
            var restart = ReplicaLog(log.replica)
            try expectPushed(
                try await client.push(token: token, replica: restart.replica, changes: [restart.put(article)]),
                stored: 1, duplicates: 0, maxSeq: 1)
            await #expect(throws: StorageError.unknownCorpus("nope")) { try await server.storage.deleteCorpus(name: "nope") }
        }
    }
}
