import GlossCore
import GlossServer
import HummingbirdTesting
import Testing

/// Pull pages name the corpus's epoch; renewing epochs (after a restore) changes it.
@Suite struct EpochTests {
    static func epoch(_ client: some TestClientProtocol, token: String, corpus: String = TestServer.corpus) async throws -> String {
        let answer = try await client.pull(token: token, corpus: corpus)
        return try #require(try answer.json()["epoch"]?.stringValue)
    }

    @Test(arguments: TestBackend.enabled) func pagesCarryAStableEpochPerCorpusUntilItIsRenewed(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let news = try await Self.epoch(client, token: server.ayse)
            #expect(news.count == 32 && news.allSatisfy(\.isHexDigit))
            #expect(try await Self.epoch(client, token: server.reader) == news, "stable across requests and tokens")
            let sports = try await Self.epoch(client, token: server.sportsWriter, corpus: TestServer.otherCorpus)
            #expect(sports != news, "each corpus has its own")

            var log = ReplicaLog()
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(sampleArticle(0))]), stored: 1, duplicates: 0, maxSeq: 1)
            #expect(try await Self.epoch(client, token: server.ayse) == news, "pushes do not change it")

            let corpora = try await server.storage.renewEpochs()
            #expect(corpora.map(\.name) == [TestServer.corpus, TestServer.otherCorpus])
            let renewed = try await Self.epoch(client, token: server.ayse)
            #expect(renewed != news)
            #expect(try await Self.epoch(client, token: server.sportsWriter, corpus: TestServer.otherCorpus) != sports)
            #expect(try await client.pullAll(token: server.ayse).count == 1, "nothing else changes")
            #expect(try await server.storage.check() == [])
        }
    }
}
