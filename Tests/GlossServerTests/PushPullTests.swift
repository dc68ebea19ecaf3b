import Foundation
import GlossCore
import GlossServer
import HTTPTypes
import HummingbirdTesting
import Testing

/// Push and pull: round trips, paging, idempotence, seq gaps and replica ownership.
@Suite struct PushPullTests {
    @Test(arguments: TestBackend.enabled) func pushThenPullRoundTripsEveryChangeWithTheTokensUserAsAuthor(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let article = sampleArticle()
            let annotation = try sampleAnnotation(on: article, start: 0, end: 5)
            // The client claims to be someone else: the server must not believe it.
            let pushed = [
                log.put(article, author: "mallory"),
                log.put(annotation),
                log.next(kind: .annotation, entity: annotation.id, operation: .delete, content: nil, replaces: [Dot(replica: log.replica, seq: 2)]),
            ]
            let answer = try await client.push(token: server.ayse, replica: log.replica, changes: pushed)
            try expectPushed(answer, stored: 3, duplicates: 0, maxSeq: 3)
            #expect(answer.headers[.glossProtocol] == "1", "answers carry Gloss-Protocol")

            let page = try await client.pullPage(token: server.ayse)
            #expect(page.cursor == 3)
            #expect(page.more == false)
            #expect(page.changes.map(\.dot) == pushed.map(\.dot))
            #expect(page.changes.map(\.content) == pushed.map(\.content))
            for change in page.changes { #expect(change.author == "ayse", "author of \(change.dot)") }
            // Apart from the author, each pulled change is exactly the pushed one.
            let expected = pushed.map { change -> Change in
                var change = change
                change.author = "ayse"
                return change
            }
            #expect(page.changes == expected)

            // Another user (a read token) sees the same, with the same authors.
            let seenByReader = try await client.pullPage(token: server.reader)
            #expect(seenByReader.changes == expected)

            // From the last cursor there is nothing more.
            let rest = try await client.pullPage(token: server.ayse, query: "after=3")
            #expect(rest.changes.isEmpty)
            #expect(rest.cursor == 3)
            #expect(rest.more == false)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func pullPagesAreBoundedByLimitAndMoreHoldsUntilTheEnd(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var first = ReplicaLog()
            var second = ReplicaLog()
            let firstChanges = (0..<4).map { first.put(sampleArticle($0)) }
            let secondChanges = (4..<7).map { second.put(sampleArticle($0)) }
            try expectPushed(try await client.push(token: server.ayse, replica: first.replica, changes: firstChanges), stored: 4, duplicates: 0, maxSeq: 4)
            try expectPushed(try await client.push(token: server.bora, replica: second.replica, changes: secondChanges), stored: 3, duplicates: 0, maxSeq: 3)
            let all = firstChanges + secondChanges

            var cursor: Int64 = 0
            var pulled: [Change] = []
            var pages: [Page] = []
            while true {
                let page = try await client.pullPage(token: server.ayse, query: "after=\(cursor)&limit=3")
                pages.append(page)
                #expect(page.changes.count <= 3)
                pulled += page.changes
                #expect(page.cursor == Int64(pulled.count), "the cursor is the position of the page's last change")
                cursor = page.cursor
                if !page.more || pages.count > 10 { break }
            }
            #expect(pages.map(\.changes.count) == [3, 3, 1])
            #expect(pages.map(\.more) == [true, true, false])
            #expect(pulled.map(\.dot) == all.map(\.dot), "pages hold the changes in the order they were stored")
            #expect(pulled.map(\.author) == Array(repeating: "ayse", count: 4) + Array(repeating: "bora", count: 3))

            // A page that ends exactly at the last change says there is no more.
            let exact = try await client.pullPage(token: server.ayse, query: "after=4&limit=3")
            #expect(exact.changes.map(\.dot) == secondChanges.map(\.dot))
            #expect(exact.cursor == 7)
            #expect(exact.more == false)

            let end = try await client.pullPage(token: server.ayse, query: "after=\(cursor)&limit=3")
            #expect(end.changes.isEmpty)
            #expect(end.cursor == 7)
            #expect(end.more == false)

            // Past the end (a cursor from a server that was since restored) is empty too.
            let beyond = try await client.pullPage(token: server.ayse, query: "after=100")
            #expect(beyond.changes.isEmpty)
            #expect(beyond.cursor == 100)
            #expect(beyond.more == false)
        }
    }

    @Test(arguments: TestBackend.enabled) func pullPagesAreBoundedByBytesButAlwaysHoldOneChange(backend: TestBackend) async throws {
        var limits = Limits()
        limits.pageBytes = 2_000
        let pageBytes = limits.pageBytes
        try await TestServer.with(backend: backend, limits: limits) { server, client in
            var log = ReplicaLog()
            let small = (0..<6).map { log.put(sampleArticle($0)) }
            let huge = log.put(sampleArticle(6, extraText: String(repeating: " Musul.", count: 500)))
            #expect(huge.jsonString.utf8.count > pageBytes)
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: small + [huge]), stored: 7, duplicates: 0, maxSeq: 7)

            var pages: [Page] = []
            var cursor: Int64 = 0
            repeat {
                let page = try await client.pullPage(token: server.ayse, query: "after=\(cursor)")
                pages.append(page)
                cursor = page.cursor
                #expect(!page.changes.isEmpty, "every page until the end holds a change")
                let size = page.changes.reduce(0) { $0 + $1.jsonString.utf8.count }
                #expect(page.changes.count == 1 || size <= pageBytes, "page of \(page.changes.count) changes, \(size) bytes")
            } while pages.last!.more && pages.count < 20
            #expect(pages.count > 2, "the byte bound split the pull")
            #expect(pages.flatMap(\.changes).map(\.dot) == (small + [huge]).map(\.dot))
            #expect(pages.last?.changes.map(\.dot) == [huge.dot], "a change over the byte bound comes alone")
            #expect(pages.last?.more == false)
        }
    }

    @Test(arguments: TestBackend.enabled) func unknownContentFieldsArePassedOnUnchanged(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let future: JSONValue = ["nested": ["list": [1, .double(2.5), "üç", true, .null]], "ölçü": "değer"]
            let article = Article(title: "Başlık", date: "2016-12", text: "Gelecekten bir alan.", otherFields: ["x-future": future])
            let change = log.put(article)
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
            let pulled = try #require(try await client.pullPage(token: server.bora).changes.first)
            #expect(pulled.content == change.content, "the same canonical bytes")
            let content = try #require(pulled.version().content)
            #expect(content["x-future"] == future)
        }
    }

    @Test(arguments: TestBackend.enabled) func pullRefusesBadQueryParameters(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            for query in ["limit=0", "limit=10001", "limit=abc", "after=-1", "after=x", "wait=61", "wait=-1"] {
                let answer = try await client.pull(token: server.ayse, query: query)
                expectRefused(answer, .badRequest, "bad_request")
            }
        }
    }

    @Test(arguments: TestBackend.enabled) func pushingTheSameBatchTwiceStoresItOnce(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let changes = (0..<3).map { log.put(sampleArticle($0)) }
            let body = pushBody(replica: log.replica, changes: changes)
            try expectPushed(try await client.push(token: server.ayse, body: body), stored: 3, duplicates: 0, maxSeq: 3)
            try expectPushed(try await client.push(token: server.ayse, body: body), stored: 0, duplicates: 3, maxSeq: 3)

            // A batch overlapping what is stored stores only the new tail.
            let fourth = log.put(sampleArticle(3))
            let overlapping = Array(changes[1...]) + [fourth]
            try expectPushed(
                try await client.push(token: server.ayse, replica: log.replica, changes: overlapping), stored: 1, duplicates: 2, maxSeq: 4)

            let pulled = try await client.pullAll(token: server.ayse)
            #expect(pulled.map(\.dot) == (changes + [fourth]).map(\.dot), "each change once, in order")
            #expect(Set(pulled.map(\.dot)).count == pulled.count)
            #expect(try await server.storage.latestPosition(corpusID: corpusID(server)) == 4)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aSeqGapIsRefusedSayingWhichSeqIsExpected(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let changes = (0..<4).map { log.put(sampleArticle($0)) }

            // Seq 3 first, when 1 is expected.
            let gap = try await client.push(token: server.ayse, replica: log.replica, changes: [changes[2], changes[3]])
            expectRefused(gap, .conflict, "seq_gap")
            #expect(try gap.json()["error"]?["expected"]?.intValue == 1, "\(gap.text)")
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored")

            // A gap inside the batch (1, 2, 4).
            let inside = try await client.push(token: server.ayse, replica: log.replica, changes: [changes[0], changes[1], changes[3]])
            #expect((400..<500).contains(inside.status.code), "\(inside.status): \(inside.text)")
            #expect(inside.errorCode != nil, "\(inside.text)")
            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing of the batch stored")

            // Changes out of order are no better.
            let reversed = try await client.push(token: server.ayse, replica: log.replica, changes: [changes[1], changes[0]])
            #expect((400..<500).contains(reversed.status.code), "\(reversed.status): \(reversed.text)")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)

            // After 1 and 2 are stored, 4 is a gap that expects 3.
            try expectPushed(
                try await client.push(token: server.ayse, replica: log.replica, changes: [changes[0], changes[1]]), stored: 2, duplicates: 0,
                maxSeq: 2)
            let later = try await client.push(token: server.ayse, replica: log.replica, changes: [changes[3]])
            expectRefused(later, .conflict, "seq_gap")
            #expect(try later.json()["error"]?["expected"]?.intValue == 3, "\(later.text)")
            #expect(try await client.pullAll(token: server.ayse).map(\.dot) == [changes[0].dot, changes[1].dot])
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aReplicaBelongsToTheUserWhoFirstPushedIt(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var log = ReplicaLog()
            let first = log.put(sampleArticle(0))
            let second = log.put(sampleArticle(1))
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [first]), stored: 1, duplicates: 0, maxSeq: 1)

            // Bora's token pushing the replica's next seq.
            let next = try await client.push(token: server.bora, replica: log.replica, changes: [second])
            expectRefused(next, .forbidden, "replica_owned")
            // Nor may Bora "retry" what Ayşe pushed.
            let retry = try await client.push(token: server.bora, replica: log.replica, changes: [first])
            expectRefused(retry, .forbidden, "replica_owned")

            let pulled = try await client.pullAll(token: server.ayse)
            #expect(pulled.map(\.dot) == [first.dot])
            #expect(pulled.map(\.author) == ["ayse"])

            // Ayşe's token still pushes it.
            try expectPushed(try await client.push(token: server.ayse, replica: log.replica, changes: [second]), stored: 1, duplicates: 0, maxSeq: 2)
        }
    }

    @Test(arguments: TestBackend.enabled) func aBatchHoldingAnotherReplicasDotIsForbidden(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var mine = ReplicaLog()
            var theirs = ReplicaLog()
            let own = mine.put(sampleArticle(0))
            let forged = theirs.put(sampleArticle(1))

            let mixed = try await client.push(token: server.ayse, replica: mine.replica, changes: [own, forged])
            expectRefused(mixed, .forbidden, "forbidden_dot")
            // Only another replica's change, under this replica's name.
            let only = try await client.push(token: server.ayse, body: pushBody(replica: mine.replica, changes: [forged]))
            expectRefused(only, .forbidden, "forbidden_dot")

            #expect(try await client.pullAll(token: server.ayse).isEmpty, "nothing stored")
            #expect(try await server.storage.check() == [])
        }
    }
}

/// The id of the test corpus, through a grant.
func corpusID(_ server: TestServer) async throws -> Int64 {
    try #require(await server.storage.grant(forTokenHash: Tokens.hash(server.ayse))).corpusID
}
