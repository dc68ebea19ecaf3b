import Foundation
import Testing

/// Article corrections through the real `gloss`: `edit --text-from`, orphans in every
/// output, `annotate --reattach`, stale spans that crash nothing, and corrections synced
/// between replicas on both backends.
@Suite struct CorrectionCLITests {
    /// The sample article with `old` (occurring once) replaced by `new`.
    static func corrected(replacing old: String, with new: String) throws -> String {
        let text = try Fixtures.seedText()
        try #require(text.components(separatedBy: old).count == 2, "'\(old)' must occur once in the sample")
        return text.replacingOccurrences(of: old, with: new)
    }

    static let deletedParagraph = "Kudüs semtinden paylaşılan görüntüler kısa sürede sosyal medyada yayıldı.\n\n\n\n"

    @Test func aCorrectionMovesAnnotationsAndOrphansTheDeletedOnesInEveryOutput() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let kept = try #require(try await store.annotate(article, ["--quote", "Iraklı komutanlar", "--note", "kalır"])["id"] as? String)
            let gone = try #require(try await store.annotate(article, ["--quote", "Kudüs semtinden", "--note", "gider"])["id"] as? String)
            let file = directory.path("corrected.txt")
            let text = try Self.corrected(replacing: Self.deletedParagraph, with: "")
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))

            let edited = try await store.object(["edit", String(article.prefix(8)), "--text-from", file])
            #expect(edited["orphaned"] as? Int == 1)
            let shown = try await store.object(["show", article])
            #expect(shown["text"] as? String == text)

            let all = try await store.objects(["annotations", article])
            let keptNow = try #require(all.first { $0["id"] as? String == kept })
            let target = try #require(keptNow["target"] as? [String: Any])
            let start = try #require(target["start"] as? Int), end = try #require(target["end"] as? Int)
            #expect(text.scalarSlice(start, end) == "Iraklı komutanlar", "the annotation follows its words")
            #expect(target["prefix"] as? String == text.scalarSlice(max(0, start - 32), start))
            #expect(keptNow["orphaned"] == nil)
            let orphans = try await store.objects(["annotations", "--orphans"])
            #expect(orphans.map { $0["id"] as? String } == [gone])
            #expect(orphans.first?["orphaned"] as? Bool == true)
            #expect(orphans.first?["note"] as? String == "gider", "an orphan is never dropped")

            let listed = try await store.ok(["annotations"]).stdout
            #expect(listed.contains("[orphan]"))
            let showText = try await store.ok(["show", article, "--annotations"]).stdout
            #expect(showText.contains("Orphaned annotations"))

            let brat = try await store.ok(["export", "--format", "brat", "--out", directory.path("brat")])
            #expect(brat.stderr.contains("left out 1 orphaned annotation"))
            let ann = try String(contentsOfFile: directory.path("brat/\(article).ann"), encoding: .utf8)
            #expect(ann.contains("Iraklı komutanlar") && !ann.contains("Kudüs"))
            let w3c = try await store.ok(["export", "--format", "w3c"]).object()
            let items = try #require((w3c["first"] as? [String: Any])?["items"] as? [[String: Any]])
            for item in items {
                let selectors = ((item["target"] as? [String: Any])?["selector"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
                let orphan = (item["id"] as? String)?.hasSuffix(gone) == true
                #expect(selectors == (orphan ? ["TextQuoteSelector"] : ["TextQuoteSelector", "TextPositionSelector"]))
            }
            let log = try await store.log()
            #expect(log.count == 4, "the correction is one change; placing annotations is none")
            try await store.ok(["doctor"])

            // Through a jsonl export: a fresh replica shows the same orphan, and importing the
            // export back into this one changes nothing.
            let jsonl = directory.path("export.jsonl")
            try await store.ok(["export", "--format", "jsonl", "--out", jsonl])
            let copy = try await Store.create(in: directory, name: "copy.gloss")
            try await copy.ok(["import", jsonl])
            #expect(try await copy.objects(["annotations", "--orphans"]).map { $0["id"] as? String } == [gone])
            #expect(try await copy.ok(["export", "--format", "jsonl"]).stdoutData == (try Data(contentsOf: URL(fileURLWithPath: jsonl))))
            let again = try await store.object(["import", jsonl])
            #expect(again["updated"] as? Int == 0 && again["unchanged"] as? Int == 3, "\(again)")

            // Placed again by hand: a change, after which it is no orphan.
            try await store.ok(["annotate", "--reattach", String(gone.prefix(8)), "--quote", "Iraklı komutanlar"])
            #expect(try await store.objects(["annotations", "--orphans"]).isEmpty)
            #expect(try await store.ok(["annotations", "--orphans"]).stdout.contains("No orphaned annotations"))
            try await store.ok(["doctor"])
        }
    }

    @Test func theCorrectedTextComesFromStandardInputToo() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let text = try Self.corrected(replacing: "keskin nişancılarla", with: "keskin nişancı ateşiyle")
            let result = try await store.run(["edit", article, "--text-from", "-"], stdin: Data(text.utf8))
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("Corrected the text"))
            #expect(try await store.object(["show", article])["text"] as? String == text)
        }
    }

    @Test func badCorrectionsAreRefusedInOneLineAndChangeNothing() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let note = try #require(try await store.annotate(article, ["--quote", "Kudüs", "--note", "n"])["id"] as? String)
            let before = try await store.snapshot()
            let latin1 = directory.path("latin1.txt")
            try Data([0x20, 0x64, 0x61, 0x74, 0x65, 0xFE, 0xFF]).write(to: URL(fileURLWithPath: latin1))
            let blank = directory.path("blank.txt")
            try Data(" \n\n ".utf8).write(to: URL(fileURLWithPath: blank))
            expectCleanFailure(try await store.run(["edit", article, "--text-from", directory.path("nope.txt")]), mentions: ["nope.txt", "check the path"])
            expectCleanFailure(try await store.run(["edit", article, "--text-from", latin1]), mentions: ["UTF-8"])
            expectCleanFailure(try await store.run(["edit", article, "--text-from", blank]), mentions: ["empty"])
            expectCleanFailure(try await store.run(["edit", note, "--text-from", blank]), mentions: ["--text-from are for articles"])
            expectUsageError(try await store.run(["annotate", article, "--reattach", note, "--quote", "Kudüs"]), mentions: ["not both"])
            expectUsageError(try await store.run(["annotate", "--reattach", note, "--quote", "Kudüs", "--note", "x"]), mentions: ["gloss edit"])
            expectCleanFailure(try await store.run(["annotate", "--reattach", note, "--quote", "Bağdat"]), mentions: ["Bağdat"])
            #expect(try await store.snapshot() == before)
        }
    }

    /// The state the issue found: an import replaced the text with a shorter one and left
    /// spans beyond its end; `show` on a terminal and the brat export crashed (signal 4).
    @Test func staleSpansFromAnImportCrashNothing() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            try await store.annotate(article, ["--quote", "DEAŞ'ın yayın organları", "--note", "son"])
            try await store.annotate(article, ["--quote", "Musul kentini", "--note", "baş"])
            let export = try await store.ok(["export", "--format", "jsonl"]).stdout
            var lines: [String] = []
            for line in export.split(separator: "\n") {
                var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                if object["type"] as? String == "article", let text = object["text"] as? String {
                    object["text"] = text.scalarSlice(0, 300)
                }
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
            let short = directory.path("short.jsonl")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: short))
            try await store.ok(["import", short])
            // `script` gives gloss a terminal, so `show` highlights spans as it would for a person.
            let terminal = try await Runner.tool(
                "script", ["-qec", "\(Gloss.binary.path) show \(article) --annotations --store \(store.path)", "/dev/null"])
            #expect(terminal.status == 0, "show on a terminal: \(terminal)")
            #expect(terminal.stdout.contains("Orphaned annotations"))
            try await store.ok(["export", "--format", "brat", "--out", directory.path("brat")])
            for format in ["json", "jsonl", "w3c", "markdown"] { try await store.ok(["export", "--format", format]) }
            try await store.ok(["search", "musul"])
            try await store.ok(["doctor"])
            #expect(try await store.objects(["annotations", "--orphans"]).count == 1)
        }
    }

    /// Two replicas of two users on `server`, both holding the sample article.
    static func syncedPair(_ server: SyncServer, _ directory: TemporaryDirectory) async throws -> (Store, Store, String) {
        let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
        let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
        try await a.ok(["import", Fixtures.seedPath])
        let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
        try await a.sync()
        try await b.sync()
        return (a, b, article)
    }

    /// A replica offline annotates words another replica's correction deleted, and
    /// corrects elsewhere: after syncing, both hold the merged text, the annotation as an
    /// orphan on both, and byte-identical exports.
    @Test(arguments: SyncBackend.enabled) func correctionsAndOrphansTravelBySync(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let (a, b, article) = try await Self.syncedPair(server, directory)
            // Offline on both.
            let deleted = directory.path("deleted.txt")
            try Data(try Self.corrected(replacing: Self.deletedParagraph, with: "").utf8).write(to: URL(fileURLWithPath: deleted))
            try await a.ok(["edit", article, "--text-from", deleted])
            let note = try #require(try await b.annotate(article, ["--quote", "Kudüs semtinden", "--note", "bora"])["id"] as? String)
            let fixed = directory.path("fixed.txt")
            try Data(try Self.corrected(replacing: "bağımsız kaynaklarca", with: "bağımsız kaynaklar tarafından").utf8)
                .write(to: URL(fileURLWithPath: fixed))
            try await b.ok(["edit", article, "--text-from", fixed])
            try await a.sync()
            try await b.sync()
            try await a.sync()
            let expected = try Self.corrected(replacing: Self.deletedParagraph, with: "")
                .replacingOccurrences(of: "bağımsız kaynaklarca", with: "bağımsız kaynaklar tarafından")
            for store in [a, b] {
                let shown = try await store.object(["show", article])
                #expect(shown["text"] as? String == expected, "both corrections merge: \(store.path)")
                #expect(shown["conflicts"] == nil)
                #expect(try await store.objects(["annotations", "--orphans"]).map { $0["id"] as? String } == [note])
                try await store.ok(["doctor"])
            }
            let exportA = try await a.ok(["export", "--format", "jsonl"]).stdoutData
            #expect(exportA == (try await b.ok(["export", "--format", "jsonl"]).stdoutData))
        }
    }

    /// The same word corrected two ways on two replicas: a conflict on `text`, shown where
    /// the texts differ, and settled with `gloss resolve` like any other.
    @Test(arguments: SyncBackend.enabled) func overlappingCorrectionsConflictAndAreResolved(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let (a, b, article) = try await Self.syncedPair(server, directory)
            let mine = try Self.corrected(replacing: "bağımsız kaynaklarca", with: "bağımsız kaynaklar tarafından")
            let theirs = try Self.corrected(replacing: "bağımsız kaynaklarca", with: "bağımsız kaynaklarınca")
            for (store, text) in [(a, mine), (b, theirs)] {
                let edited = try await store.run(["edit", article, "--text-from", "-"], stdin: Data(text.utf8))
                try #require(edited.status == 0, "\(edited)")
            }
            try await a.sync()
            try await b.sync()
            try await a.sync()
            let conflicts = try await a.conflicts()
            #expect(conflicts.map { $0["id"] as? String } == [article])
            let listed = try await a.ok(["conflicts"]).stdout
            #expect(listed.contains("kaynaklar tarafından") && listed.contains("kaynaklarınca"), "shown where they differ: \(listed)")
            try await a.ok(["resolve", article, "--mine"])
            try await a.sync()
            try await b.sync()
            for store in [a, b] {
                #expect(try await store.object(["show", article])["text"] as? String == mine)
                #expect(try await store.conflicts().isEmpty)
            }
        }
    }
}
