import GlossCore
import GlossServer
import HTTPTypes
import Testing

/// A pushed clock must tell a history the corpus can have given its replica.
@Suite struct CausalCheckTests {
    @Test(arguments: TestBackend.enabled) func aClockNamingChangesTheCorpusDoesNotHoldIsRefusedAndStoresNothing(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var bora = ReplicaLog()
            let article = sampleArticle(0)
            let first = bora.put(article)
            try expectPushed(try await client.push(token: server.bora, replica: bora.replica, changes: [first]), stored: 1, duplicates: 0, maxSeq: 1)
            let boraSecond = bora.put(sampleArticle(1))
            let boraThird = bora.put(sampleArticle(2))

            // Ayşe claims to have seen Bora's third change, which Bora has not pushed yet.
            var ayse = ReplicaLog()
            let annotation = try sampleAnnotation(on: article)
            let ahead = ayse.put(annotation, clock: VectorClock([bora.replica: 3]))
            let refused = try await client.push(token: server.ayse, replica: ayse.replica, changes: [ahead])
            expectRefused(refused, .unprocessableContent, "unseen_dot")
            #expect(refused.errorMessage?.contains("\(bora.replica):3") == true, "names the unseen dot: \(refused.text)")
            #expect(try await client.pullAll(token: server.ayse).map(\.dot) == [first.dot], "nothing of the batch stored")

            // Once the corpus holds Bora's changes up to 3, the same change is fine.
            try expectPushed(
                try await client.push(token: server.bora, replica: bora.replica, changes: [boraSecond, boraThird]),
                stored: 2, duplicates: 0, maxSeq: 3)
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: [ahead]), stored: 1, duplicates: 0, maxSeq: 1)
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aClockNamingAReplicaTheCorpusNeverSawIsRefused(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var ayse = ReplicaLog()
            let stranger = ReplicaID.random()
            let article = sampleArticle(0)
            let change = ayse.next(kind: .article, entity: article.id, content: article.content, clock: VectorClock([stranger: 1]))
            let refused = try await client.push(token: server.ayse, replica: ayse.replica, changes: [change])
            expectRefused(refused, .unprocessableContent, "unseen_dot")
            #expect(try await client.pullAll(token: server.ayse).isEmpty)

            // The same clock entry seen in another corpus counts for nothing here: corpora are apart.
            var other = ReplicaLog(stranger)
            try expectPushed(
                try await client.push(token: server.sportsWriter, replica: stranger, changes: [other.put(article)], corpus: TestServer.otherCorpus),
                stored: 1, duplicates: 0, maxSeq: 1)
            expectRefused(try await client.push(token: server.ayse, replica: ayse.replica, changes: [change]), .unprocessableContent, "unseen_dot")
        }
    }

    @Test(arguments: TestBackend.enabled) func aReplicasClockForAnEntityNeverGoesBackwards(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var bora = ReplicaLog()
            var ayse = ReplicaLog()
            let article = sampleArticle(0)
            let annotation = try sampleAnnotation(on: article)
            let created = bora.put(annotation)
            try expectPushed(try await client.push(token: server.bora, replica: bora.replica, changes: [bora.put(article), created].sorted { $0.dot.seq < $1.dot.seq }), stored: 2, duplicates: 0, maxSeq: 2)

            // Ayşe edits Bora's annotation (her clock includes Bora's version) …
            var edited = annotation
            edited.note = "Musul"
            let edit = ayse.put(edited, clock: VectorClock([bora.replica: created.dot.seq]), replaces: [created.dot])
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: [edit]), stored: 1, duplicates: 0, maxSeq: 1)

            // … then writes a version that forgets what her own earlier one had seen.
            edited.note = "Musul, Irak"
            let backwards = ayse.put(edited, replaces: [edit.dot])
            let refused = try await client.push(token: server.ayse, replica: ayse.replica, changes: [backwards])
            expectRefused(refused, .unprocessableContent, "clock_backwards")
            #expect(try await client.pullAll(token: server.ayse).count == 3, "nothing of the batch stored")
            #expect(try await server.storage.check() == [])
        }
    }

    @Test(arguments: TestBackend.enabled) func aFollowUpVersionThatKeepsItsHistoryIsAccepted(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var bora = ReplicaLog()
            var ayse = ReplicaLog()
            let article = sampleArticle(0)
            let annotation = try sampleAnnotation(on: article)
            let put = bora.put(article)
            let created = bora.put(annotation)
            try expectPushed(try await client.push(token: server.bora, replica: bora.replica, changes: [put, created]), stored: 2, duplicates: 0, maxSeq: 2)
            var edited = annotation
            edited.note = "Musul"
            let edit = ayse.put(edited, clock: VectorClock([bora.replica: 2]), replaces: [created.dot])
            edited.note = "Musul, Irak"
            let again = ayse.put(edited, clock: VectorClock([bora.replica: 2, ayse.replica: 1]), replaces: [edit.dot])
            try expectPushed(try await client.push(token: server.ayse, replica: ayse.replica, changes: [edit, again]), stored: 2, duplicates: 0, maxSeq: 2)
        }
    }
}
