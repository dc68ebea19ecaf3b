import Foundation
import GlossCore
import GlossServer
import HTTPTypes
import HummingbirdTesting
import Testing

/// Refusals before anything is stored: protocol version, tokens, scopes, and bodies.
@Suite struct RequestValidationTests {
    @Test(arguments: TestBackend.enabled) func aMissingOrOtherProtocolVersionIsRefused(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let body = Array(pushBody(replica: log.replica, changes: [log.put(sampleArticle())]).utf8)
            for version in [nil, "2", "0", ""] as [String?] {
                let headers = syncHeaders(token: server.ayse, protocolVersion: version)
                let push = try await client.send(.post, changesURI(), headers: headers, body: body)
                expectRefused(push, .badRequest, "protocol_mismatch")
                #expect(try push.json()["error"]?["supported"]?.stringValue == "1", "names the version: \(push.text)")
                let pull = try await client.send(.get, changesURI(), headers: headers)
                expectRefused(pull, .badRequest, "protocol_mismatch")
            }
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored")
        }
    }

    @Test(arguments: TestBackend.enabled) func aMissingOrInvalidBearerTokenIsUnauthorized(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let body = Array(pushBody(replica: log.replica, changes: [log.put(sampleArticle())]).utf8)
            var cases: [HTTPFields] = [syncHeaders(token: nil), syncHeaders(token: Tokens.generate()), syncHeaders(token: "")]
            var basic = syncHeaders(token: nil)
            basic[.authorization] = "Basic \(server.ayse)"
            cases.append(basic)
            var hashAsToken = syncHeaders(token: nil)
            hashAsToken[.authorization] = "Bearer \(Tokens.hash(server.ayse))"
            cases.append(hashAsToken)
            for headers in cases {
                expectRefused(try await client.send(.post, changesURI(), headers: headers, body: body), .unauthorized, "unauthorized")
                expectRefused(try await client.send(.get, changesURI(), headers: headers), .unauthorized, "unauthorized")
            }
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored")
        }
    }

    @Test(arguments: TestBackend.enabled) func aTokenForAnotherCorpusGetsTheSameNotFoundAsAnUnknownCorpus(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let change = log.put(sampleArticle())
            let body = pushBody(replica: log.replica, changes: [change])

            // Ayşe's `sports` token on `news`, which exists.
            let otherPush = try await client.push(token: server.sportsWriter, body: body, corpus: TestServer.corpus)
            expectRefused(otherPush, .notFound, "not_found")
            let otherPull = try await client.pull(token: server.sportsWriter, corpus: TestServer.corpus)
            expectRefused(otherPull, .notFound, "not_found")
            // A corpus that does not exist.
            let unknownPush = try await client.push(token: server.sportsWriter, body: body, corpus: "nowhere")
            expectRefused(unknownPush, .notFound, "not_found")
            let unknownPull = try await client.pull(token: server.sportsWriter, corpus: "nowhere")
            expectRefused(unknownPull, .notFound, "not_found")
            // The very same answer, so a token never learns which corpora exist.
            #expect(otherPush.text == unknownPush.text)
            #expect(otherPull.text == unknownPull.text)

            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored in news")
            #expect(try await client.pullAll(token: server.sportsWriter, corpus: TestServer.otherCorpus).isEmpty, "nor in sports")

            // The token works on its own corpus, and corpora are kept apart.
            try expectPushed(
                try await client.push(token: server.sportsWriter, body: body, corpus: TestServer.otherCorpus), stored: 1, duplicates: 0,
                maxSeq: 1)
            #expect(try await client.pullAll(token: server.sportsWriter, corpus: TestServer.otherCorpus).map(\.dot) == [change.dot])
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }

    @Test(arguments: TestBackend.enabled) func aReadTokenMayPullButNotPush(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let first = log.put(sampleArticle(0))
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [first]), stored: 1, duplicates: 0, maxSeq: 1)

            var readerLog = ReplicaLog()
            let refused = try await client.push(token: server.reader, replica: readerLog.replica, changes: [readerLog.put(sampleArticle(1))])
            expectRefused(refused, .forbidden, "forbidden")

            let page = try await client.pullPage(token: server.reader)
            #expect(page.changes.map(\.dot) == [first.dot], "the read token pulls, and nothing of its push was stored")
        }
    }

    @Test(arguments: TestBackend.enabled) func bodiesThatAreNotJSONAreRefused(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            for body in ["not json", "{\"replica\":", "", "{\"changes\":[]} trailing"] {
                expectRefused(try await client.push(token: server.ayse, body: body), .badRequest, "invalid_json")
            }
            // Invalid UTF-8 inside a string.
            var log = ReplicaLog()
            var bytes = Array("{\"replica\":\"\(log.replica)\",\"changes\":[],\"x\":\"".utf8)
            bytes += [0xC3, 0x28, 0xFF]
            bytes += Array("\"}".utf8)
            let invalidUTF8 = try await client.send(.post, changesURI(), headers: syncHeaders(token: server.ayse), body: bytes)
            expectRefused(invalidUTF8, .badRequest, "invalid_json")
            _ = log.put(sampleArticle())
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }

    @Test(arguments: TestBackend.enabled) func jsonNestedDeeperThan32IsRefused(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            let replica = ReplicaID.random()
            // The body object is level 1; 31 arrays inside it make 32 levels, 32 make 33.
            func body(arrays: Int) -> String {
                "{\"replica\":\"\(replica)\",\"changes\":[],\"x\":" + String(repeating: "[", count: arrays)
                    + String(repeating: "]", count: arrays) + "}"
            }
            let deep = try await client.push(token: server.ayse, body: body(arrays: 32))
            expectRefused(deep, .badRequest, "invalid_json")
            let veryDeep = try await client.push(token: server.ayse, body: body(arrays: 100_000))
            expectRefused(veryDeep, .badRequest, "invalid_json")
            // 32 levels are fine (an empty batch stores nothing).
            try expectPushed(try await client.push(token: server.ayse, body: body(arrays: 31)), stored: 0, duplicates: 0, maxSeq: 0)
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }

    @Test(arguments: TestBackend.enabled) func bodiesOfTheWrongShapeAreBadRequests(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let wire = log.put(sampleArticle()).jsonString
            let bodies = [
                "{\"replica\":\"\(log.replica)\"}",  // no changes
                "{\"replica\":\"\(log.replica)\",\"changes\":{}}",  // changes not an array
                "{\"changes\":[\(wire)]}",  // no replica
                "{\"replica\":\"nope\",\"changes\":[\(wire)]}",  // not a replica id
                "{\"replica\":\"\(log.replica.description.lowercased())\",\"changes\":[\(wire)]}",  // not canonical
                "[\(wire)]",  // not an object
                "42",
            ]
            for body in bodies {
                expectRefused(try await client.push(token: server.ayse, body: body), .badRequest, "bad_request")
            }
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored")
        }
    }

    @Test(arguments: TestBackend.enabled) func aChangeWithABadFieldIsAnInvalidChangeAndNothingOfItsBatchIsStored(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle()
            let good = log.put(article)
            let annotation = try sampleAnnotation(on: article, start: 10, end: 16)
            let second = log.put(annotation)
            let r = log.replica.description
            let other = ReplicaID.random().description

            var badTarget = annotation.content
            badTarget["target"] = ["exact": "çatış", "prefix": "", "suffix": "", "start": 16, "end": 10]
            var emptyTarget = annotation.content
            emptyTarget["target"] = ["exact": "", "prefix": "", "suffix": "", "start": 10, "end": 10]
            var quoteTooShort = annotation.content
            quoteTooShort["target"] = ["exact": "ça", "prefix": "", "suffix": "", "start": 10, "end": 16]
            var badLabel = annotation.content
            badLabel["label"] = "not a label"
            var noArticle = annotation.content
            noArticle.removeValue(forKey: "article")
            var badArticleContent = article.content
            badArticleContent["date"] = "December 2016"
            var emptyText = article.content
            emptyText["text"] = ""

            let cases: [(String, [String: JSONValue?])] = [
                ("clock without its own dot", ["clock": .object([other: 1])]),
                ("clock with another seq of its own", ["clock": .object([r: 5])]),
                ("seq 0", ["seq": 0, "clock": .object([r: 2])]),
                ("negative seq", ["seq": -2]),
                ("kind x", ["kind": "x"]),
                ("op x", ["op": "x"]),
                ("an article id for an annotation", ["entity": .string(article.id)]),
                ("no time", ["time": nil]),
                ("bad time", ["time": "yesterday"]),
                ("replaces a dot its clock lacks", ["replaces": [.string("\(other):1")]]),
                ("a put without content", ["content": nil]),
                ("a delete with content", ["op": "delete"]),
                ("content not an object", ["content": "text"]),
                ("author not a string", ["author": 7]),
                ("end before start", ["content": .object(badTarget)]),
                ("empty span", ["content": .object(emptyTarget)]),
                ("quote of the wrong length", ["content": .object(quoteTooShort)]),
                ("invalid label", ["content": .object(badLabel)]),
                ("annotation without article", ["content": .object(noArticle)]),
                ("article content for an annotation", ["content": .object(article.content)]),
            ]
            for (name, edits) in cases {
                let body = pushBody(replica: log.replica, wires: [good.jsonString, try editedWire(second, edits)])
                let answer = try await client.push(token: server.ayse, body: body)
                expectRefused(answer, .unprocessableContent, "invalid_change")
                #expect(answer.status == .unprocessableContent, "case: \(name)")
            }
            // Invalid article content, as the first change of a batch.
            for content in [badArticleContent, emptyText] {
                let wire = try editedWire(good, ["content": .object(content)])
                let answer = try await client.push(token: server.ayse, body: pushBody(replica: log.replica, wires: [wire]))
                expectRefused(answer, .unprocessableContent, "invalid_change")
            }
            // A change that is not an object.
            expectRefused(
                try await client.push(token: server.ayse, body: pushBody(replica: log.replica, wires: [good.jsonString, "17"])),
                .unprocessableContent, "invalid_change")

            #expect(try await client.pullAll(token: server.ayse).isEmpty, "none of these stored anything")
            #expect(try await server.storage.check() == [])

            // The same batch, valid, is stored.
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [good, second]), stored: 2, duplicates: 0, maxSeq: 2)
        }
    }

    @Test(arguments: TestBackend.enabled) func aBatchOverTheChangeLimitIsTooLarge(backend: TestBackend) async throws {
        var limits = Limits()
        limits.maxBatchChanges = 3
        try await TestServer.with(backend: backend, limits: limits) { server, client in
            var log = ReplicaLog()
            let changes = (0..<4).map { log.put(sampleArticle($0)) }
            let answer = try await client.push(token: server.ayse, replica: log.replica, changes: changes)
            expectRefused(answer, .contentTooLarge, "too_large")
            #expect(answer.headers[.connection] == nil, "the body was read whole: the connection can stay open")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
            try expectPushed(
                try await client.push(token: server.ayse, replica: log.replica, changes: Array(changes.prefix(3))), stored: 3, duplicates: 0,
                maxSeq: 3)
        }
    }

    @Test(arguments: TestBackend.enabled) func aBodyOverTheByteLimitIsTooLarge(backend: TestBackend) async throws {
        var limits = Limits()
        limits.maxBodyBytes = 4_096
        try await TestServer.with(backend: backend, limits: limits) { server, client in
            var log = ReplicaLog()
            let big = log.put(sampleArticle(0, extraText: String(repeating: " Musul.", count: 1_000)))
            let answer = try await client.push(token: server.ayse, replica: log.replica, changes: [big])
            expectRefused(answer, .contentTooLarge, "too_large")
            // The rest of the body is left unread, so the connection closes after the answer.
            #expect(answer.headers[.connection] == "close")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)
        }
    }

    /// protocol.md: "Answers carry the header too" — refusals are answers as well.
    @Test(arguments: TestBackend.enabled) func everyCorpusAnswerCarriesTheProtocolHeader(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let ok = try await client.push(token: server.ayse, replica: log.replica, changes: [log.put(sampleArticle())])
            #expect(ok.status == .ok)
            #expect(ok.headers[.glossProtocol] == "1", "a 200 push")
            let pulled = try await client.pull(token: server.ayse)
            #expect(pulled.headers[.glossProtocol] == "1", "a 200 pull")

            let refusals: [(String, Answer)] = [
                ("401", try await client.pull(token: nil)),
                ("403", try await client.push(token: server.reader, body: pushBody(replica: log.replica, wires: []))),
                ("404", try await client.pull(token: server.ayse, corpus: "nowhere")),
                ("400 invalid_json", try await client.push(token: server.ayse, body: "nope")),
                ("400 protocol_mismatch", try await client.send(.get, changesURI(), headers: syncHeaders(token: server.ayse, protocolVersion: "2"))),
            ]
            for (name, answer) in refusals {
                #expect(answer.status != .ok)
                #expect(answer.headers[.glossProtocol] == "1", "\(name) answer lacks Gloss-Protocol: \(answer.text)")
            }
        }
    }
}
