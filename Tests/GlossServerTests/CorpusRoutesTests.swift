import GlossCore
import GlossServer
import HTTPTypes
import Testing

/// The corpus's own administration over HTTP: scopes decide who may do what.
@Suite struct CorpusRoutesTests {
    static let corpusURI = "/v1/corpora/\(TestServer.corpus)"
    static let tokensURI = corpusURI + "/tokens"

    @Test(arguments: TestBackend.enabled) func anyTokenOfTheCorpusSeesItsSummaryAndItsOwnScope(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            try expectPushed(
                try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(sampleArticle(0)), log.put(sampleArticle(1))]),
                stored: 2, duplicates: 0, maxSeq: 2)
            for (token, user, scope) in [(server.reader, "cem", "read"), (server.ayse, "ayse", "write"), (server.admin, "deniz", "admin")] {
                let answer = try await client.send(.get, Self.corpusURI, headers: syncHeaders(token: token))
                #expect(answer.status == .ok, "\(answer.text)")
                let json = try answer.json()
                #expect(json["name"]?.stringValue == TestServer.corpus)
                #expect(json["changes"]?.intValue == 2)
                #expect(json["user"]?.stringValue == user)
                #expect(json["scope"]?.stringValue == scope)
            }
            // Another corpus's token, even an admin one, learns nothing about this one.
            expectRefused(try await client.send(.get, Self.corpusURI, headers: syncHeaders(token: server.sportsAdmin)), .notFound, "not_found")
            expectRefused(try await client.send(.get, Self.corpusURI, headers: syncHeaders(token: nil)), .unauthorized, "unauthorized")
        }
    }

    @Test(arguments: TestBackend.enabled) func onlyAdminTokensManageTokensAndNeverSeeSecrets(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            for token in [server.reader, server.ayse] {
                expectRefused(try await client.send(.get, Self.tokensURI, headers: syncHeaders(token: token)), .forbidden, "forbidden")
                let create = try await client.send(
                    .post, Self.tokensURI, headers: syncHeaders(token: token), body: Array(#"{"user":"eren","scope":"admin"}"#.utf8))
                expectRefused(create, .forbidden, "forbidden")
                expectRefused(try await client.send(.delete, Self.tokensURI + "/1", headers: syncHeaders(token: token)), .forbidden, "forbidden")
            }
            let before = try await server.storage.tokens(corpus: nil)

            let list = try await client.send(.get, Self.tokensURI, headers: syncHeaders(token: server.admin))
            #expect(list.status == .ok, "\(list.text)")
            let tokens = try #require(try list.json()["tokens"]?.arrayValue)
            #expect(tokens.compactMap { $0["user"]?.stringValue } == ["ayse", "bora", "cem", "deniz"], "only this corpus's tokens")
            for secret in [server.ayse, server.bora, server.reader, server.admin] {
                #expect(!list.text.contains(secret) && !list.text.contains(Tokens.hash(secret)), "a secret or its hash leaked")
            }
            #expect(try await server.storage.tokens(corpus: nil) == before, "nothing changed")
        }
    }

    @Test(arguments: TestBackend.enabled) func anAdminCreatesAReadTokenThatPullsButCannotPushAndRevokesIt(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let created = try await client.send(
                .post, Self.tokensURI, headers: syncHeaders(token: server.admin), body: Array(#"{"user":"eren","scope":"read"}"#.utf8))
            #expect(created.status == .created, "\(created.text)")
            let json = try created.json()
            let secret = try #require(json["token"]?.stringValue)
            let id = try #require(json["id"]?.intValue)
            #expect(json["scope"]?.stringValue == "read")
            #expect(json["user"]?.stringValue == "eren")

            _ = try await client.pullPage(token: secret)
            var log = ReplicaLog()
            expectRefused(try await client.push(token: secret, replica: log.replica, changes: [log.put(sampleArticle(0))]), .forbidden, "forbidden")

            // The other corpus's admin cannot revoke it: to it, the token does not exist.
            expectRefused(
                try await client.send(.delete, "/v1/corpora/\(TestServer.otherCorpus)/tokens/\(id)", headers: syncHeaders(token: server.sportsAdmin)),
                .notFound, "not_found")
            _ = try await client.pullPage(token: secret)

            let revoked = try await client.send(.delete, Self.tokensURI + "/\(id)", headers: syncHeaders(token: server.admin))
            #expect(revoked.status == .ok, "\(revoked.text)")
            #expect(try revoked.json()["revokedAt"]?.stringValue != nil)
            expectRefused(try await client.pull(token: secret), .unauthorized, "unauthorized")
            expectRefused(try await client.send(.delete, Self.tokensURI + "/999999", headers: syncHeaders(token: server.admin)), .notFound, "not_found")
            expectRefused(try await client.send(.delete, Self.tokensURI + "/x", headers: syncHeaders(token: server.admin)), .notFound, "not_found")
        }
    }

    @Test(arguments: TestBackend.enabled) func badTokenRequestsAreRefusedAndCreateNothing(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let before = try await server.storage.tokens(corpus: nil)
            let bodies = [#"{"scope":"read"}"#, #"{"user":"eren","scope":"root"}"#, #"{"user":"eren","scope":1}"#, #"{"user":7}"#, "[]"]
            for body in bodies {
                let answer = try await client.send(.post, Self.tokensURI, headers: syncHeaders(token: server.admin), body: Array(body.utf8))
                expectRefused(answer, .badRequest, "bad_request")
            }
            let badName = try await client.send(
                .post, Self.tokensURI, headers: syncHeaders(token: server.admin), body: Array(#"{"user":"two words"}"#.utf8))
            expectRefused(badName, .badRequest, "bad_request")
            expectRefused(
                try await client.send(.post, Self.tokensURI, headers: syncHeaders(token: server.admin), body: Array("{".utf8)),
                .badRequest, "invalid_json")
            #expect(try await server.storage.tokens(corpus: nil) == before)
        }
    }

    @Test(arguments: TestBackend.enabled) func deletingACorpusNeedsAnAdminTokenAndItsNameAsConfirmation(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(sampleArticle(0))]), stored: 1, duplicates: 0, maxSeq: 1)

            expectRefused(try await client.send(.delete, Self.corpusURI + "?confirm=news", headers: syncHeaders(token: server.ayse)), .forbidden, "forbidden")
            expectRefused(
                try await client.send(.delete, Self.corpusURI + "?confirm=news", headers: syncHeaders(token: server.sportsAdmin)), .notFound, "not_found")
            for query in ["", "?confirm=sports", "?confirm=NEWS", "?confirm="] {
                expectRefused(
                    try await client.send(.delete, Self.corpusURI + query, headers: syncHeaders(token: server.admin)), .badRequest, "confirmation_needed")
            }
            #expect(try await client.pullAll(token: server.ayse).count == 1, "nothing deleted yet")

            let deleted = try await client.send(.delete, Self.corpusURI + "?confirm=news", headers: syncHeaders(token: server.admin))
            #expect(deleted.status == .ok, "\(deleted.text)")
            #expect(try deleted.json()["changes"]?.intValue == 1)
            #expect(try await server.storage.corpora().map(\.name) == [TestServer.otherCorpus])
            expectRefused(try await client.pull(token: server.ayse), .unauthorized, "unauthorized")
            // The other corpus is untouched.
            _ = try await client.pullPage(token: server.sportsWriter, corpus: TestServer.otherCorpus)
            #expect(try await server.storage.check() == [])
        }
    }
}
