import Foundation
import GlossCore
import GlossServer
import HummingbirdTesting
import NIOCore
import Testing

/// The storage through its own API (on each backend, see TestBackend).
@Suite struct StorageTests {
    @Test(arguments: TestBackend.enabled) func checkFindsNothingWrongWithAHealthyStore(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            #expect(try await server.storage.check() == [], "a new store")

            var ayse = ReplicaLog()
            var bora = ReplicaLog()
            let article = sampleArticle()
            let annotation = try sampleAnnotation(on: article)
            let ayseChanges = [ayse.put(article), ayse.put(annotation)]
            let boraChanges = [bora.put(sampleArticle(1))]
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: ayseChanges), stored: 2, duplicates: 0, maxSeq: 2)
            try expectPushed(try await client.push(token: server.bora, replica: bora.replica, changes: boraChanges), stored: 1, duplicates: 0, maxSeq: 1)
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: ayseChanges), stored: 0, duplicates: 2, maxSeq: 2)
            // Refused pushes leave nothing half-written behind.
            _ = try await client.push(token: server.bora, replica: ayse.replica, changes: [ayse.put(sampleArticle(2))])
            _ = try await client.push(token: server.ayse, body: "{")

            #expect(try await server.storage.check() == [], "after pushes, retries and refusals")
            let corpora = try await server.storage.corpora()
            #expect(corpora.map(\.name) == [TestServer.corpus, TestServer.otherCorpus])
            #expect(corpora.first { $0.name == TestServer.corpus }?.changes == 3)
            #expect(corpora.first { $0.name == TestServer.otherCorpus }?.changes == 0)
            #expect(try await server.storage.latestPosition(corpusID: corpusID(server)) == 3)

            // The same data read by a second storage, as another server process would.
            let reopened = try await server.reopen()
            #expect(try await reopened.check() == [])
            let page = try await reopened.pull(corpusID: corpusID(server), after: 0, limit: 10, maxBytes: 1 << 20, excluding: nil)
            #expect(page.count == 3)
            var body = page.body
            body.writeString("]}")
            #expect(try JSONParser.parse(bytes: Array(body.readableBytesView))["changes"]?.arrayValue?.count == 3)
            #expect(page.cursor == 3)
            #expect(page.more == false)
            await reopened.shutdown()
        }
    }

    @Test(arguments: TestBackend.enabled) func corpusAndUserNamesAreValidated(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, _ in
            let storage = server.storage
            for name in ["bad name", "", String(repeating: "a", count: 65), "a/b", "çay", "news\n", "../x"] {
                await #expect(throws: StorageError.invalidName(name), "corpus name \(name.debugDescription)") {
                    _ = try await storage.createCorpus(name: name)
                }
            }
            let valid = try await storage.createCorpus(name: "Haber-2016_12.v1")
            #expect(valid.name == "Haber-2016_12.v1")
            #expect(valid.changes == 0)
            let longest = String(repeating: "z", count: 64)
            #expect(try await storage.createCorpus(name: longest).name == longest)
            await #expect(throws: StorageError.corpusExists(TestServer.corpus)) {
                _ = try await storage.createCorpus(name: TestServer.corpus)
            }

            await #expect(throws: StorageError.invalidName("bad user")) {
                _ = try await storage.createToken(corpus: TestServer.corpus, user: "bad user", scope: .read, hash: Tokens.hash(Tokens.generate()))
            }
            await #expect(throws: StorageError.unknownCorpus("nowhere")) {
                _ = try await storage.createToken(corpus: "nowhere", user: "ayse", scope: .read, hash: Tokens.hash(Tokens.generate()))
            }
            #expect(try await storage.corpora().map(\.name).sorted() == ["Haber-2016_12.v1", TestServer.corpus, TestServer.otherCorpus, longest].sorted())
            #expect(try await storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func tokensAreStoredOnlyAsTheirHash(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let token = Tokens.generate()
            #expect(token.hasPrefix("gloss_") && token.count == 6 + 64)
            #expect(Tokens.generate() != token)
            let hash = Tokens.hash(token)
            #expect(hash.count == 64 && hash != token)
            let record = try await server.storage.createToken(corpus: TestServer.corpus, user: "emre", scope: .admin, hash: hash)
            #expect(record.user == "emre")
            #expect(record.scope == .admin)
            #expect(record.revokedAt == nil)
            #expect(try await server.storage.tokens(corpus: TestServer.corpus).map(\.user) == ["ayse", "bora", "cem", "deniz", "emre"])

            // The token works, by its hash only.
            let grant = try #require(await server.storage.grant(forTokenHash: hash))
            #expect(grant.user == "emre")
            #expect(grant.corpus == TestServer.corpus)
            #expect(grant.scope == .admin)
            #expect(try await server.storage.grant(forTokenHash: token) == nil, "the secret itself is not a key")
            #expect(try await client.pullPage(token: token).changes.isEmpty)

            // Neither this token nor any other appears in the database's files (main file,
            // WAL and shared memory); the hash does, so the search is not vacuous.
            guard server.backend == .sqlite else { return }
            let files = try FileManager.default.contentsOfDirectory(atPath: server.directory.path).filter { $0.hasPrefix("gloss.sqlite") }
            #expect(files.contains("gloss.sqlite"))
            var bytes = Data()
            for file in files { bytes += try Data(contentsOf: server.directory.appendingPathComponent(file)) }
            for secret in [token, server.ayse, server.bora, server.reader, server.sportsWriter] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "a token secret is stored in the database")
                #expect(bytes.range(of: Data(secret.dropFirst("gloss_".count).utf8)) == nil, "a token's random part is stored in the database")
            }
            #expect(bytes.range(of: Data(hash.utf8)) != nil, "the hash is stored")
        }
    }
}
