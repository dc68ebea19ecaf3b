import Foundation
import Testing

/// edit, delete, listing filters, show, log and doctor.
@Suite struct EditDeleteTests {
    static func ids(_ records: [[String: Any]]) -> Set<String> { Set(records.compactMap { $0["id"] as? String }) }

    @Test func editDeleteFiltersShowLogAndDoctor() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let city = try #require(
                try await store.annotate(article, ["--quote", "Musul", "--occurrence", "2", "--label", "LOC", "--tag", "city"])["id"] as? String)
            let forces = try #require(
                try await store.annotate(
                    article, ["--quote", "güvenlik güçleri", "--label", "ORG", "--tag", "security", "--note", "ordu ve polis"])["id"] as? String)
            let place = try #require(try await store.annotate(article, ["--quote", "Kudüs", "--tag", "city"])["id"] as? String)
            #expect(Set([city, forces, place]).count == 3)

            // Filters.
            #expect(Self.ids(try await store.objects(["annotations"])) == [city, forces, place])
            #expect(Self.ids(try await store.objects(["annotations", String(article.prefix(8))])) == [city, forces, place])
            #expect(Self.ids(try await store.objects(["annotations", "--tag", "city"])) == [city, place])
            #expect(Self.ids(try await store.objects(["annotations", "--label", "ORG"])) == [forces])
            #expect(Self.ids(try await store.objects(["annotations", "--tag", "city", "--label", "LOC"])) == [city])
            #expect(try await store.objects(["annotations", "--tag", "nothing-tagged-so"]).isEmpty)
            #expect(try await store.objects(["articles"]).first?["annotations"] as? Int == 3)

            // Edit: note, tags, label; then remove the note with an empty value.
            let edited = try await store.object(
                ["edit", String(forces.prefix(7)), "--note", "Irak ordusu", "--add-tag", "army", "--remove-tag", "security", "--label", "MIL"])
            #expect(edited["id"] as? String == forces)
            #expect(edited["note"] as? String == "Irak ordusu")
            #expect(edited["tags"] as? [String] == ["army"])
            #expect(edited["label"] as? String == "MIL")
            let listed = try #require(try await store.objects(["annotations", "--label", "MIL"]).first)
            #expect(listed["id"] as? String == forces)
            #expect(listed["note"] as? String == "Irak ordusu")
            #expect(listed["tags"] as? [String] == ["army"])
            #expect(try await store.objects(["annotations", "--tag", "security"]).isEmpty)
            #expect(try await store.objects(["annotations", "--label", "ORG"]).isEmpty)
            let target = try #require(listed["target"] as? [String: Any])
            #expect(target["exact"] as? String == "güvenlik güçleri", "editing never moves the span")

            let cleared = try await store.object(["edit", forces, "--note", ""])
            #expect(cleared["note"] == nil, "an empty --note removes the note: \(cleared)")
            #expect(cleared["label"] as? String == "MIL")

            // show --json --annotations.
            let shown = try await store.object(["show", article, "--annotations"])
            #expect(shown["id"] as? String == article)
            #expect(shown["text"] as? String == (try Fixtures.seedText()))
            #expect(shown["title"] as? String == (try Fixtures.leadSentence()))
            let list = try #require(shown["annotationList"] as? [[String: Any]])
            #expect(Self.ids(list) == [city, forces, place])
            for entry in list {
                let span = try #require(entry["target"] as? [String: Any])
                let (start, end) = (try #require(span["start"] as? Int), try #require(span["end"] as? Int))
                #expect(try Fixtures.seedText().scalarSlice(start, end) == span["exact"] as? String)
            }
            #expect(try await store.object(["show", article])["annotationList"] == nil)

            // Delete one annotation.
            let deleted = try await store.object(["delete", String(place.prefix(6))])
            #expect(deleted["deleted"] as? String == place)
            #expect(deleted["kind"] as? String == "annotation")
            #expect(Self.ids(try await store.objects(["annotations"])) == [city, forces])
            #expect(Self.ids(try await store.objects(["annotations", "--tag", "city"])) == [city])
            #expect(try await store.objects(["articles"]).first?["annotations"] as? Int == 2)

            // log --json: every change, newest first, all made here.
            // import, 3 annotate, 2 edits, 1 delete.
            let log = try await store.log()
            let status = try await store.status()
            #expect(log.count == 7)
            #expect(status["changes"] as? Int == 7)
            #expect(status["localChanges"] as? Int == 7)
            #expect(status["annotations"] as? Int == 2)
            let positions = log.compactMap { $0["position"] as? Int }
            #expect(positions == Array((1...7).reversed()), "newest first: \(positions)")
            let seqs = log.compactMap { $0["seq"] as? Int }
            #expect(seqs == Array((1...7).reversed()))
            #expect(log.allSatisfy { $0["local"] as? Bool == true })
            #expect(log.allSatisfy { $0["replica"] as? String == status["replica"] as? String })
            #expect(log.map { $0["entity"] as? String ?? "" } == [place, forces, forces, place, forces, city, article])
            #expect(log.map { $0["op"] as? String ?? "" } == ["delete", "put", "put", "put", "put", "put", "put"])
            #expect(log.last?["kind"] as? String == "article")
            let times = log.compactMap { $0["time"] as? String }
            #expect(times.count == 7 && times == times.sorted(by: >), "times newest first: \(times)")
            // An edit replaces the version before it.
            #expect(log[1]["replaces"] as? [String] == [log[2]["version"] as? String ?? "?"])

            let limited = try await store.objects(["log", "--limit", "2"])
            #expect(limited.map { $0["version"] as? String } == log.prefix(2).map { $0["version"] as? String })
            let forForces = try await store.objects(["log", "--entity", String(forces.prefix(6))])
            #expect(forForces.count == 3 && forForces.allSatisfy { $0["entity"] as? String == forces })

            // doctor.
            let doctor = try await store.ok(["doctor"])
            #expect(doctor.stdout.hasPrefix("ok"), "\(doctor)")
            #expect(doctor.stdout.contains("7 changes"), "\(doctor)")
            let report = try await store.object(["doctor"])
            #expect(report["healthy"] as? Bool == true)
            #expect((report["problems"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func editingAnArticleTitleAndTags() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let edited = try await store.object(["edit", String(article.prefix(6)), "--title", "Musul operasyonu", "--add-tag", "ırak"])
            #expect(edited["id"] as? String == article)
            #expect(edited["title"] as? String == "Musul operasyonu")
            #expect(edited["tags"] as? [String] == ["ırak"])
            #expect(try await store.objects(["articles", "--tag", "ırak"]).first?["id"] as? String == article)
            #expect(try await store.objects(["articles", "--tag", "other"]).isEmpty)
            #expect(try await store.object(["show", article])["text"] as? String == (try Fixtures.seedText()))
            // An annotation option on an article is refused and changes nothing.
            let before = try await store.snapshot()
            expectCleanFailure(try await store.run(["edit", article, "--note", "x"]), mentions: [article])
            #expect(try await store.snapshot() == before)
            try await store.ok(["doctor"])
        }
    }

    @Test func deletingAnArticleHidesItAndItsAnnotationsButKeepsTheLog() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            _ = try await store.annotate(article, ["--quote", "Kudüs", "--label", "LOC"])
            _ = try await store.annotate(article, ["--quote", "DEAŞ", "--occurrence", "1", "--note", "örgüt"])
            let logBefore = try await store.log()
            #expect(logBefore.count == 3)

            let deleted = try await store.object(["delete", "--article", String(article.prefix(6))])
            #expect(deleted["deleted"] as? String == article)
            #expect(deleted["kind"] as? String == "article")

            #expect(try await store.objects(["articles"]).isEmpty)
            #expect(try await store.objects(["annotations"]).isEmpty)
            #expect(try await store.objects(["annotations", "--label", "LOC"]).isEmpty)
            #expect(try await store.objects(["search", "musul"]).isEmpty)
            #expect(try await store.objects(["search", "örgüt"]).isEmpty)
            let status = try await store.status()
            #expect(status["articles"] as? Int == 0)
            #expect(status["annotations"] as? Int == 0)
            #expect(status["changes"] as? Int == 4)
            #expect(try await store.ok(["export", "--format", "jsonl"]).stdout.isEmpty)

            let logAfter = try await store.log()
            #expect(logAfter.count == logBefore.count + 1)
            #expect(logAfter.first?["op"] as? String == "delete")
            #expect(logAfter.first?["kind"] as? String == "article")
            #expect(logAfter.first?["entity"] as? String == article)
            let versionsBefore = logBefore.map { $0["version"] as? String ?? "?" }
            #expect(logAfter.dropFirst().map { $0["version"] as? String ?? "?" } == versionsBefore, "every earlier change is still in the log")

            let doctor = try await store.ok(["doctor"])
            #expect(doctor.stdout.hasPrefix("ok"), "\(doctor)")
            // Nothing can be annotated on a deleted article, and it is not shown.
            let annotate = try await store.run(["annotate", article, "--quote", "Musul", "--occurrence", "1"])
            expectOneLineFailure(annotate, mentions: [article, "deleted"])
            expectOneLineFailure(try await store.run(["show", article]), mentions: [article, "deleted"])
            #expect(try await store.log().count == logAfter.count)
        }
    }
}
