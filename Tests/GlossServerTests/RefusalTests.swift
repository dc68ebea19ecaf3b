import GlossCore
@testable import GlossServer
import HTTPTypes
import Testing

/// Refusals the black-box fuzz suite (scripts/fuzz) found missing or malformed; each is
/// kept here as a regression test.
@Suite struct RefusalTests {
    @Test(arguments: TestBackend.enabled) func aStoredDotPushedAgainWithOtherContentsIsAConflictAndChangesNothing(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle(0)
            let annotation = try sampleAnnotation(on: article, note: "ilk")
            let changes = [log.put(article), log.put(annotation)]
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: changes), stored: 2, duplicates: 0, maxSeq: 2)

            let edits: [(String, [String: JSONValue?])] = [
                ("content", ["content": .object(try sampleAnnotation(on: article, note: "başka", id: annotation.id).content)]),
                ("time", ["time": "1.0"]),
                ("op", ["op": "delete", "content": nil]),
            ]
            for (field, edit) in edits {
                let body = pushBody(replica: log.replica, wires: [changes[0].jsonString, try editedWire(changes[1], edit)])
                let answer = try await client.push(token: server.ayse, body: body)
                expectRefused(answer, .conflict, "dot_conflict")
                #expect(answer.errorMessage?.contains("\(changes[1].dot)") == true, "\(field): \(answer.text)")
            }
            // Identical retries stay harmless, with or without the author the server adds.
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: changes), stored: 0, duplicates: 2, maxSeq: 2)
            var authored = changes
            for index in authored.indices { authored[index].author = "ayse" }
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: authored), stored: 0, duplicates: 2, maxSeq: 2)

            let pulled = try await client.pullAll(token: server.ayse)
            #expect(pulled.map(\.content) == changes.map(\.content), "the stored changes are the first ones")
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aPushToACorpusDeletedAfterItsTokenWasCheckedIsUnknownNotAFault(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, _ in
            let grant = try #require(try await server.storage.grant(forTokenHash: Tokens.hash(server.ayse)))
            _ = try await server.storage.deleteCorpus(name: TestServer.corpus)
            var log = ReplicaLog()
            let change = log.put(sampleArticle(0))
            await #expect(throws: StorageError.unknownCorpus(String(grant.corpusID))) {
                _ = try await server.storage.push(
                    corpusID: grant.corpusID, user: "ayse", replica: log.replica, seen: nil, changes: [IncomingChange(change: change, wire: change.jsonString)])
            }
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func unknownRoutesAndMethodsGetJSONRefusals(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let unknown = try await client.send(.get, "/nope", headers: syncHeaders(token: server.ayse))
            expectRefused(unknown, .notFound, "not_found")

            for (method, path, allow) in [
                (HTTPRequest.Method.put, changesURI(), "GET, POST"), (.delete, changesURI(), "GET, POST"), (.post, "/v1/healthz", "GET"),
                (.patch, "/v1/corpora/news", "GET, DELETE"), (.get, "/v1/corpora/news/tokens/3", "DELETE"),
            ] {
                let answer = try await client.send(method, path, headers: syncHeaders(token: server.ayse))
                expectRefused(answer, .methodNotAllowed, "method_not_allowed")
                #expect(answer.headers[.allow] == allow, "\(method) \(path)")
            }
        }
    }

    @Test(arguments: TestBackend.enabled) func theBearerSchemeIsCaseInsensitive(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var headers = syncHeaders(token: nil)
            headers[.authorization] = "bearer \(server.reader)"
            #expect(try await client.send(.get, changesURI(), headers: headers).status == .ok)
            headers[.authorization] = "BEARER \(server.reader)"
            #expect(try await client.send(.get, changesURI(), headers: headers).status == .ok)
            headers[.authorization] = "Basic \(server.reader)"
            expectRefused(try await client.send(.get, changesURI(), headers: headers), .unauthorized, "unauthorized")
        }
    }
}
