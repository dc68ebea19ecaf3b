import Foundation
import Testing

/// End to end: real `gloss-server` processes on 127.0.0.1 and real `gloss` replicas that
/// edit offline and sync in varied orders (design.md, "Merge rules" and "Sync protocol").
@Suite struct SyncTests {
    /// Two replicas of two users, both holding the seed article and one annotation on
    /// "Kudüs" (note, label, tag) that A made and both have synced.
    struct Pair {
        let a: Store
        let b: Store
        let article: String
        let annotation: String
    }

    static func pair(_ server: SyncServer, _ directory: TemporaryDirectory) async throws -> Pair {
        let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
        let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
        try await a.ok(["import", Fixtures.seedPath])
        let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
        let annotation = try #require(
            try await a.annotate(article, ["--quote", "Kudüs", "--note", "ilk not", "--label", "LOC", "--tag", "şehir"])["id"]
                as? String)
        try await a.sync()
        let pulled = try await b.sync()
        #expect(pulled["pulled"] as? Int == 2)
        #expect(try await b.annotation(annotation)["note"] as? String == "ilk not")
        return Pair(a: a, b: b, article: article, annotation: annotation)
    }

    /// The values of `field` among the candidates of a conflict entry.
    static func candidates(_ entry: [String: Any], field: String) -> Set<String> {
        let fields = (entry["conflicts"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []
        let candidates = fields.first { $0["field"] as? String == field }?["candidates"] as? [[String: Any]] ?? []
        return Set(candidates.map { $0["value"].map { "\($0)" } ?? "(none)" })
    }

    // MARK: 1. Two replicas

    @Test(arguments: SyncBackend.enabled) func concurrentEditsToDifferentFieldsMerge(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await Self.pair(server, directory)
            // Offline on both: A changes the note, B the label and a tag.
            try await pair.a.ok(["edit", pair.annotation, "--note", "Ayşe'nin notu: doğu yakası"])
            try await pair.b.ok(["edit", pair.annotation, "--label", "PER", "--add-tag", "kaynak", "--remove-tag", "şehir"])
            // B syncs first, then A, then B again.
            try await pair.b.sync()
            let atA = try await pair.a.sync()
            #expect(atA["newConflicts"] as? Int == 0, "\(atA)")
            let atB = try await pair.b.sync()
            #expect(atB["newConflicts"] as? Int == 0, "\(atB)")
            for store in [pair.a, pair.b] {
                let annotation = try await store.annotation(pair.annotation)
                #expect(annotation["note"] as? String == "Ayşe'nin notu: doğu yakası", "\(store.path): \(annotation)")
                #expect(annotation["label"] as? String == "PER", "\(store.path): \(annotation)")
                #expect(Set(annotation["tags"] as? [String] ?? []) == ["kaynak"], "\(store.path): \(annotation)")
                #expect(annotation["conflicts"] == nil, "\(store.path): \(annotation)")
                #expect(try await store.conflicts().isEmpty)
            }
        }
    }

    @Test(arguments: SyncBackend.enabled) func concurrentEditsToTheSameFieldAreAConflictOnEveryReplica(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await Self.pair(server, directory)
            try await pair.a.ok(["edit", pair.annotation, "--note", "A: sivil kayıp yok"])
            try await pair.b.ok(["edit", pair.annotation, "--note", "B: iki sivil öldü"])
            // A first this time.
            try await pair.a.sync()
            let atB = try await pair.b.sync()
            #expect(atB["newConflicts"] as? Int == 1, "\(atB)")
            let atA = try await pair.a.sync()
            #expect(atA["newConflicts"] as? Int == 1, "\(atA)")
            var shown: [String] = []
            for store in [pair.a, pair.b] {
                let conflicts = try await store.conflicts()
                #expect(conflicts.count == 1, "\(store.path): \(conflicts)")
                let entry = try #require(conflicts.first)
                #expect(entry["id"] as? String == pair.annotation)
                #expect(Self.candidates(entry, field: "note") == ["A: sivil kayıp yok", "B: iki sivil öldü"], "\(entry)")
                #expect(try await store.status()["openConflicts"] as? Int == 1)
                shown.append(try await store.annotation(pair.annotation)["note"] as? String ?? "?")
            }
            // The value displayed meanwhile is the same deterministic winner everywhere.
            #expect(shown[0] == shown[1], "replicas display different notes: \(shown)")
        }
    }

    @Test(arguments: SyncBackend.enabled) func anEditAgainstADeleteIsAConflict(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await Self.pair(server, directory)
            try await pair.a.ok(["edit", pair.annotation, "--note", "silinmemeli"])
            try await pair.b.ok(["delete", pair.annotation])
            // The deletion reaches the server first.
            try await pair.b.sync()
            try await pair.a.sync()
            try await pair.b.sync()
            for store in [pair.a, pair.b] {
                let conflicts = try await store.conflicts()
                #expect(conflicts.count == 1, "\(store.path): \(conflicts)")
                let entry = try #require(conflicts.first)
                #expect(entry["id"] as? String == pair.annotation)
                let deletedBy = (entry["conflicts"] as? [String: Any])?["deletedBy"] as? [String] ?? []
                #expect(deletedBy.count == 1, "\(entry)")
                let versions = entry["versions"] as? [[String: Any]] ?? []
                #expect(versions.count == 2, "\(entry)")
                #expect(Set(versions.map { $0["deleted"] as? Bool ?? false }) == [true, false], "\(entry)")
                // The edit is not lost: the annotation is still there with the edited note.
                #expect(try await store.annotation(pair.annotation)["note"] as? String == "silinmemeli")
            }
        }
    }

    @Test(arguments: SyncBackend.enabled) func aResolutionOnOneReplicaEndsTheConflictEverywhere(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await Self.pair(server, directory)
            try await pair.a.ok(["edit", pair.annotation, "--note", "A'nın okuması"])
            try await pair.b.ok(["edit", pair.annotation, "--note", "B'nin okuması"])
            try await pair.b.sync()
            try await pair.a.sync()
            try await pair.b.sync()
            #expect(try await pair.a.conflicts().count == 1)
            #expect(try await pair.b.conflicts().count == 1)
            // B settles it with a new value; A has not synced since.
            try await pair.b.ok(["resolve", pair.annotation, "--note", "iki okuma da mümkün"])
            #expect(try await pair.b.conflicts().isEmpty)
            try await pair.b.sync()
            let atA = try await pair.a.sync()
            #expect(atA["newConflicts"] as? Int == 0, "\(atA)")
            try await pair.b.sync()
            // A replica that joins only now never sees the settled conflict.
            let c = try await Store.replica("cem", user: "cem", server: server, in: directory)
            try await c.sync()
            for store in [pair.a, pair.b, c] {
                #expect(try await store.conflicts().isEmpty, "\(store.path) still has the conflict")
                #expect(try await store.status()["openConflicts"] as? Int == 0)
                let annotation = try await store.annotation(pair.annotation)
                #expect(annotation["note"] as? String == "iki okuma da mümkün", "\(store.path): \(annotation)")
                #expect(annotation["conflicts"] == nil, "\(store.path): \(annotation)")
            }
        }
    }

    /// A replica that pulls a conflict together with its resolution ends with no open
    /// conflict, so its sync must not report one ("1 new conflict … see them with 'gloss
    /// conflicts'", which then lists none).
    @Test(arguments: SyncBackend.enabled) func aReplicaPullingAConflictAndItsResolutionReportsNoNewConflict(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await Self.pair(server, directory)
            try await pair.a.ok(["edit", pair.annotation, "--note", "A"])
            try await pair.b.ok(["edit", pair.annotation, "--note", "B"])
            try await pair.a.sync()
            try await pair.b.sync()
            try await pair.b.ok(["resolve", pair.annotation, "--theirs"])
            try await pair.b.sync()

            let c = try await Store.replica("cem", user: "cem", server: server, in: directory)
            let report = try await c.sync()
            #expect(try await c.conflicts().isEmpty)
            #expect(try await c.status()["openConflicts"] as? Int == 0)
            #expect(report["newConflicts"] as? Int == 0, "the sync reported a conflict that is not there: \(report)")
            // The human summary of another newcomer says the same.
            let d = try await Store.replica("deniz", user: "deniz", server: server, in: directory)
            let summary = try await d.ok(["sync"]).stdout
            #expect(summary.contains("0 new conflicts") && !summary.contains("see them with"), "\(summary)")
        }
    }

    // MARK: 2. Three replicas converge

    @Test(arguments: SyncBackend.enabled) func threeReplicasConvergeToByteIdenticalExports(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            let c = try await Store.replica("cem", user: "cem", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            let first = try #require(
                try await a.annotate(article, ["--quote", "güvenlik güçleri", "--label", "ORG", "--tag", "ordu"])["id"] as? String)
            let second = try #require(try await a.annotate(article, ["--quote", "Kudüs", "--note", "semt"])["id"] as? String)
            try await a.sync()
            try await b.sync()
            try await c.sync()

            // Offline work on all three, with Turkish and emoji text.
            let turkish = "İĞDIR, ışık, şüphe; Çağrı ÖZGÜR — ğüşiöç 🙂"
            try await a.ok(["edit", first, "--note", turkish])
            try await b.ok(["edit", first, "--label", "MIL", "--add-tag", "şüpheli"])
            try await b.ok(["annotate", article, "--quote", "DEAŞ", "--occurrence", "2", "--note", "örgüt adı", "--label", "ORG"])
            try await c.ok(["edit", second, "--note", "Cem'in notu"])
            try await c.ok(["edit", first, "--remove-tag", "ordu", "--add-tag", "İstihbarat"])
            try await a.ok(["edit", second, "--note", "Ayşe'nin notu"])  // conflicts with C's

            // Varied order: C, A, B, then C and A again to pick up what came later.
            for store in [c, a, b, c, a] { try await store.sync() }

            let jsonl = try await a.export("jsonl")
            let json = try await a.export("json")
            #expect(!jsonl.isEmpty && !json.isEmpty)
            for store in [b, c] {
                #expect(try await store.export("jsonl") == jsonl, "jsonl export of \(store.path) differs from A's")
                #expect(try await store.export("json") == json, "json export of \(store.path) differs from A's")
                #expect(try await store.status()["annotations"] as? Int == 3)
            }
            for store in [a, b, c] {
                let conflicts = try await store.conflicts()
                #expect(conflicts.count == 1 && conflicts.first?["id"] as? String == second, "\(store.path): \(conflicts)")
            }

            // Turkish text survives byte for byte: the article text is the seed file's content.
            let lines = String(decoding: jsonl, as: UTF8.self).split(separator: "\n")
            let records = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            let exported = try #require(records.first { $0["type"] as? String == "article" })
            #expect(Data((exported["text"] as? String ?? "").utf8) == (try Fixtures.seedData()))
            let merged = try #require(records.first { $0["id"] as? String == first })
            #expect(Data((merged["note"] as? String ?? "").utf8) == Data(turkish.utf8))
            #expect(merged["label"] as? String == "MIL")
            #expect(Set(merged["tags"] as? [String] ?? []) == ["şüpheli", "İstihbarat"], "\(merged)")
            // The raw export holds the scalars themselves, NFC, not escapes or decomposed forms.
            #expect(jsonl.range(of: Data("İĞDIR, ışık".utf8)) != nil)
        }
    }

    // MARK: 3. The same article imported twice

    @Test(arguments: SyncBackend.enabled) func theSameSeedImportedOnTwoReplicasIsOneArticle(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            try await b.ok(["import", Fixtures.seedPath])
            for store in [a, b, a] {
                let report = try await store.sync()
                #expect(report["newConflicts"] as? Int == 0, "\(report)")
            }
            let expected = try await Fixtures.expectedArticleID()
            for store in [a, b] {
                let articles = try await store.objects(["articles"])
                #expect(articles.count == 1, "\(store.path): \(articles)")
                #expect(articles.first?["id"] as? String == expected)
                #expect(try await store.conflicts().isEmpty, "\(store.path)")
                #expect(try await store.status()["openConflicts"] as? Int == 0)
            }
            #expect(try await a.export("jsonl") == (try await b.export("jsonl")))
        }
    }

    // MARK: 4. A sync with nothing new

    @Test(arguments: SyncBackend.enabled) func aSyncWithNothingNewSendsAtMostTwoRequests(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let corpus = try await generatedCorpus(articles: 3, annotations: 300, in: directory)
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            try await a.ok(["import", corpus.path])
            let first = try await a.sync()
            #expect(first["pushed"] as? Int == 303)
            // Its own changes are not sent back: one request for the push, one empty page.
            #expect(first["pulled"] as? Int == 0, "\(first)")
            #expect(first["requests"] as? Int == 2, "\(first)")
            #expect(try await b.sync()["pulled"] as? Int == 303)
            for store in [a, b] {
                let before = try await server.syncRequestsServed()
                let report = try await store.sync()
                let after = try await server.syncRequestsServed()
                #expect(report["pushed"] as? Int == 0 && report["pulled"] as? Int == 0 && report["applied"] as? Int == 0, "\(report)")
                let requests = try #require(report["requests"] as? Int, "\(report)")
                #expect(requests >= 1 && requests <= 2, "\(store.path): \(report)")
                #expect(after - before <= 2, "\(store.path): the server served \(after - before) requests for a sync with nothing new")
                #expect(after - before == requests, "the server counted \(after - before) requests, the client \(requests)")
            }
        }
    }

    // MARK: 8. Status

    @Test(arguments: SyncBackend.enabled) func statusShowsTheRemoteAndWhatIsUnpushed(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            let annotation = try #require(try await a.annotate(article, ["--quote", "Kudüs"])["id"] as? String)
            #expect(try await a.status()["unpushed"] as? Int == 2)
            try await a.sync()

            let synced = try await a.status()
            let remote = try #require(synced["remote"] as? [String: Any], "\(synced)")
            #expect(remote["url"] as? String == server.url)
            #expect(remote["corpus"] as? String == server.corpus)
            let cursor = try #require(remote["cursor"] as? Int, "\(remote)")
            #expect(cursor > 0)
            #expect(synced["unpushed"] as? Int == 0)
            let lastResult = try #require(remote["lastResult"] as? String, "\(remote)")
            #expect(lastResult.hasPrefix("ok"), "\(lastResult)")
            #expect(remote["lastSyncAt"] as? String != nil, "\(remote)")

            try await a.ok(["edit", annotation, "--note", "yerel düzenleme"])
            let edited = try await a.status()
            #expect(edited["unpushed"] as? Int == 1, "\(edited)")
            #expect((edited["remote"] as? [String: Any])?["cursor"] as? Int == cursor)

            try await a.sync()
            let again = try await a.status()
            #expect(again["unpushed"] as? Int == 0)
            #expect(((again["remote"] as? [String: Any])?["cursor"] as? Int ?? 0) > cursor)
        }
    }

    // MARK: 9. Who wrote what

    @Test(arguments: SyncBackend.enabled) func theLogShowsTheUserWhoPushedEachChange(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            // The replica's own name differs from the token's user: the server's word counts.
            let a = try await Store.replica("laptop-of-a", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("desktop-of-b", user: "bora", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            let annotation = try #require(try await a.annotate(article, ["--quote", "Kudüs", "--note", "n"])["id"] as? String)
            try await a.ok(["edit", annotation, "--label", "LOC"])
            try await a.sync()
            try await b.sync()
            try await b.ok(["edit", annotation, "--note", "B"])
            try await b.sync()
            try await a.sync()

            let replicaA = try #require(try await a.status()["replica"] as? String)
            let replicaB = try #require(try await b.status()["replica"] as? String)
            let logB = try await b.log()
            let fromA = logB.filter { $0["replica"] as? String == replicaA }
            #expect(fromA.count == 3, "\(logB)")
            for entry in fromA {
                #expect(entry["author"] as? String == "ayse", "\(entry)")
                #expect(entry["local"] as? Bool == false, "\(entry)")
            }
            // And A sees B's change as bora's.
            let fromB = try await a.log().filter { $0["replica"] as? String == replicaB }
            #expect(fromB.count == 1)
            #expect(fromB.first?["author"] as? String == "bora", "\(fromB)")
        }
    }
}
