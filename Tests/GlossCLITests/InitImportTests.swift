import Foundation
import Testing

/// `gloss init`, `gloss import` and where the store lives.
@Suite struct InitImportTests {
    /// Crockford base32, 26 characters: a replica id as design.md prints it.
    static func isReplicaID(_ text: String) -> Bool {
        let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return text.count == 26 && text.allSatisfy { alphabet.contains($0) }
    }

    @Test func initCreatesAStoreAndASecondInitFailsLeavingItUnchanged() async throws {
        try await withTemporaryDirectory { directory in
            let store = Store(path: directory.path("laptop.gloss"))
            let created = try await store.object(["init", "--name", "ayşe"])
            let replica = try #require(created["replica"] as? String)
            #expect(Self.isReplicaID(replica), "replica id: \(replica)")
            #expect(created["name"] as? String == "ayşe")
            #expect(FileManager.default.fileExists(atPath: store.path))

            let status = try await store.status()
            #expect(status["replica"] as? String == replica)
            #expect(status["name"] as? String == "ayşe")
            #expect(status["articles"] as? Int == 0)
            #expect(status["annotations"] as? Int == 0)
            #expect(status["changes"] as? Int == 0)
            #expect(status["openConflicts"] as? Int == 0)
            #expect(try await store.log().isEmpty)

            let bytesBefore = try Data(contentsOf: URL(fileURLWithPath: store.path))
            let again = try await store.run(["init", "--name", "someone-else"])
            expectCleanFailure(again, mentions: [store.path])
            let bytesAfter = try Data(contentsOf: URL(fileURLWithPath: store.path))
            #expect(bytesBefore == bytesAfter, "a refused init must not touch the store file")

            let after = try await store.status()
            #expect(after["replica"] as? String == replica)
            #expect(after["name"] as? String == "ayşe")
            #expect(after["changes"] as? Int == 0)

            // A different store gets a different replica id.
            let other = try await Store(path: directory.path("desktop.gloss")).object(["init"])
            #expect(other["replica"] as? String != replica)
        }
    }

    @Test func importingTheSeedTwiceGivesOneArticleWithTheContentDerivedID() async throws {
        try await withTemporaryDirectory { directory in
            let store = try await Store.create(in: directory)
            let first = try await store.object(["import", Fixtures.seedPath])
            #expect(first["articles"] as? Int == 1)
            #expect(first["annotations"] as? Int == 0)
            #expect(first["unchanged"] as? Int == 0)
            #expect((first["skipped"] as? [Any])?.isEmpty == true)

            let expectedID = try await Fixtures.expectedArticleID()
            #expect(expectedID.count == 32)
            let articles = try await store.objects(["articles"])
            try #require(articles.count == 1)
            let article = articles[0]
            let id = try #require(article["id"] as? String)
            #expect(id.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) }, "id: \(id)")
            #expect(id == expectedID)
            #expect(article["date"] as? String == "2016-12")
            #expect(article["title"] as? String == (try Fixtures.leadSentence()))
            #expect(article["type"] as? String == "article")
            #expect(article["annotations"] as? Int == 0)
            #expect(article["source"] as? String == "musul-2016-12.txt")
            #expect(article["text"] == nil, "articles lists no text")

            let logBefore = try await store.log()
            #expect(logBefore.count == 1)

            let second = try await store.object(["import", Fixtures.seedPath])
            #expect(second["articles"] as? Int == 0)
            #expect(second["updated"] as? Int == 0)
            #expect(second["unchanged"] as? Int == 1)
            let text = try await store.ok(["import", Fixtures.seedPath])
            #expect(text.stdout.contains("1 unchanged"), "\(text)")

            let again = try await store.objects(["articles"])
            #expect(again.count == 1)
            #expect(again.first?["id"] as? String == expectedID)
            #expect(try await store.status()["changes"] as? Int == 1)
            #expect(try await store.log().count == 1, "importing the same article again writes no change")

            // show --json gives the text exactly as in the file.
            let shown = try await store.object(["show", String(expectedID.prefix(6))])
            #expect(shown["id"] as? String == expectedID)
            #expect(shown["text"] as? String == (try Fixtures.seedText()))
        }
    }

    @Test func theSameArticleInNFDIsTheSameArticle() async throws {
        try await withTemporaryDirectory { directory in
            let (store, id) = try await Store.seeded(in: directory)
            let nfd = directory.path("mosul-nfd.txt")
            let converted = try await Runner.tool(
                "python3",
                [
                    "-c",
                    "import sys, unicodedata; t = open(sys.argv[1], encoding='utf-8', newline='').read(); "
                        + "open(sys.argv[2], 'w', encoding='utf-8', newline='').write(unicodedata.normalize('NFD', t))",
                    Fixtures.seedPath, nfd,
                ])
            try #require(converted.status == 0, "\(converted)")
            try #require(try Data(contentsOf: URL(fileURLWithPath: nfd)) != (try Fixtures.seedData()))
            #expect(try await Fixtures.expectedArticleID(of: nfd) == id)

            let imported = try await store.object(["import", nfd])
            #expect(imported["articles"] as? Int == 0)
            #expect(imported["unchanged"] as? Int == 1)
            #expect(try await store.objects(["articles"]).count == 1)
        }
    }

    @Test func gLOSS_STOREIsUsedWhenStoreIsAbsent() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("from-env.gloss")
            let environment = ["GLOSS_STORE": path]
            let created = try await Gloss.ok(["init", "--json"], environment: environment)
            let replica = try #require(try created.object()["replica"] as? String)
            #expect(FileManager.default.fileExists(atPath: path))

            try await Gloss.ok(["import", Fixtures.seedPath], environment: environment)
            let status = try await Gloss.ok(["status", "--json"], environment: environment).object()
            #expect(status["replica"] as? String == replica)
            #expect(status["store"] as? String == path)
            #expect(status["articles"] as? Int == 1)

            // The same store through --store sees the same thing.
            let direct = try await Store(path: path).status()
            #expect(direct["replica"] as? String == replica)
            #expect(direct["articles"] as? Int == 1)

            // --store wins over GLOSS_STORE.
            let other = directory.path("explicit.gloss")
            try await Gloss.ok(["init", "--store", other], environment: environment)
            let otherStatus = try await Gloss.ok(["status", "--json", "--store", other], environment: environment).object()
            #expect(otherStatus["replica"] as? String != replica)
            #expect(otherStatus["articles"] as? Int == 0)

            // Without GLOSS_STORE nor --store, the default under XDG_DATA_HOME is used.
            let xdg = directory.path("xdg")
            let defaultInit = try await Gloss.ok(["init"], environment: ["XDG_DATA_HOME": xdg])
            #expect(defaultInit.stderr.isEmpty)
            #expect(FileManager.default.fileExists(atPath: xdg + "/gloss/default.gloss"))
        }
    }
}
