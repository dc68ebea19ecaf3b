import Foundation
import Testing

/// Exports: byte-exact round trips through jsonl, brat, and W3C conformance.
@Suite struct RoundTripTests {
    /// Annotates the seed in `store` by quote (Turkish characters), by quote + occurrence, by
    /// offsets, then edits one and deletes another. Returns the ids that remain.
    static func annotateSeed(_ store: Store, _ article: String) async throws -> [String] {
        let text = try Fixtures.seedText()

        // By quote, with Turkish characters.
        let quote = "güvenlik güçleri"
        let quoteOffsets = text.scalarOffsets(of: quote)
        try #require(quoteOffsets.count == 1)
        let first = try await store.annotate(
            article, ["--quote", quote, "--note", "Irak'ın güvenlik güçleri: ordu ve polis", "--tag", "güvenlik", "--tag", "ordu", "--label", "ORG"])
        let firstTarget = try #require(first["target"] as? [String: Any])
        #expect(firstTarget["start"] as? Int == quoteOffsets[0])
        #expect(firstTarget["end"] as? Int == quoteOffsets[0] + quote.scalarArray.count)
        #expect(firstTarget["exact"] as? String == quote)
        #expect(first["note"] as? String == "Irak'ın güvenlik güçleri: ordu ve polis")
        #expect(Set(first["tags"] as? [String] ?? []) == ["güvenlik", "ordu"])
        #expect(first["label"] as? String == "ORG")
        #expect(first["author"] as? String == "ayşe")

        // By quote and occurrence.
        let musul = text.scalarOffsets(of: "Musul")
        try #require(musul.count >= 3)
        let second = try await store.annotate(article, ["--quote", "Musul", "--occurrence", "3", "--label", "LOC", "--tag", "şehir", "--color", "yellow"])
        let secondTarget = try #require(second["target"] as? [String: Any])
        #expect(secondTarget["start"] as? Int == musul[2])
        #expect(secondTarget["end"] as? Int == musul[2] + 5)
        #expect(secondTarget["exact"] as? String == "Musul")
        let prefix = try #require(secondTarget["prefix"] as? String)
        let suffix = try #require(secondTarget["suffix"] as? String)
        #expect(text.scalarSlice(musul[2] - prefix.scalarArray.count, musul[2]) == prefix)
        #expect(text.scalarSlice(musul[2] + 5, musul[2] + 5 + suffix.scalarArray.count) == suffix)

        // By offsets (Unicode scalars): the first "DEAŞ".
        let deas = try #require(text.scalarOffsets(of: "DEAŞ").first)
        let third = try await store.annotate(
            article, ["--start", String(deas), "--end", String(deas + 4), "--note", "İŞİD, Arapça kısaltmasıyla 📌", "--label", "ORG"])
        let thirdTarget = try #require(third["target"] as? [String: Any])
        #expect(thirdTarget["exact"] as? String == "DEAŞ")
        #expect(thirdTarget["start"] as? Int == deas)
        #expect(thirdTarget["end"] as? Int == deas + 4)

        // A quote across a paragraph break, with no label or note.
        let fourth = try await store.annotate(article, ["--quote", "yayıldı.\n\n\n\nIraklı", "--tag", "yer"])
        #expect((fourth["target"] as? [String: Any])?["exact"] as? String == "yayıldı.\n\n\n\nIraklı")
        let fourthID = try #require(fourth["id"] as? String)

        // One more, deleted again: it must not travel.
        let doomed = try await store.annotate(article, ["--quote", "hava saldırısı", "--note", "silinecek"])
        let doomedID = try #require(doomed["id"] as? String)
        try await store.ok(["delete", doomedID])

        // An edit, so the exported state is not just the first version.
        let firstID = try #require(first["id"] as? String)
        try await store.ok(["edit", String(firstID.prefix(8)), "--add-tag", "önemli", "--remove-tag", "ordu"])

        return [firstID, try #require(second["id"] as? String), try #require(third["id"] as? String), fourthID]
    }

    @Test func jsonlRoundTripIsByteExactAndBratTextIsTheSeed() async throws {
        try await withTemporaryDirectory { directory in
            let (storeA, article) = try await Store.seeded(in: directory, name: "a.gloss")
            let ids = try await Self.annotateSeed(storeA, article)
            #expect(Set(try await storeA.objects(["annotations"]).compactMap { $0["id"] as? String }) == Set(ids))

            let exportA = directory.path("a.jsonl")
            let written = try await storeA.ok(["export", "--format", "jsonl", "--out", exportA])
            #expect(written.stdout.isEmpty)
            let bytesA = try Data(contentsOf: URL(fileURLWithPath: exportA))
            #expect(try await storeA.ok(["export", "--format", "jsonl"]).stdoutData == bytesA, "--out and stdout agree")

            // One article and four annotations, each line JSON.
            let lines = String(decoding: bytesA, as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 5)
            for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)") }
            #expect(!String(decoding: bytesA, as: UTF8.self).contains("silinecek"), "the deleted annotation must not be exported")

            let storeB = try await Store.create(in: directory, name: "b.gloss")
            let imported = try await storeB.object(["import", exportA])
            #expect(imported["articles"] as? Int == 1)
            #expect(imported["annotations"] as? Int == 4)
            #expect((imported["skipped"] as? [Any])?.isEmpty == true)

            let bytesB = try await storeB.ok(["export", "--format", "jsonl"]).stdoutData
            #expect(bytesA == bytesB, "jsonl from A and from B differ:\nA: \(String(decoding: bytesA, as: UTF8.self))\nB: \(String(decoding: bytesB, as: UTF8.self))")

            // Importing the export again into B changes nothing.
            let again = try await storeB.object(["import", exportA])
            #expect(again["articles"] as? Int == 0 && again["annotations"] as? Int == 0, "\(again)")
            #expect(try await storeB.ok(["export", "--format", "jsonl"]).stdoutData == bytesA)

            // brat: ID.txt is the seed, byte for byte; ID.ann offsets point at the quoted text.
            let text = try Fixtures.seedText()
            for (store, folder) in [(storeA, "brat-a"), (storeB, "brat-b")] {
                try await store.ok(["export", "--format", "brat", "--out", directory.path(folder)])
                let files = try FileManager.default.contentsOfDirectory(atPath: directory.path(folder)).sorted()
                #expect(files == ["\(article).ann", "\(article).txt"])
                #expect(try Data(contentsOf: directory.file("\(folder)/\(article).txt")) == (try Fixtures.seedData()))
                let ann = try String(contentsOf: directory.file("\(folder)/\(article).ann"), encoding: .utf8)
                let spans = ann.split(separator: "\n").filter { $0.hasPrefix("T") }
                #expect(spans.count == 4, "\(ann)")
                for span in spans {
                    let columns = span.split(separator: "\t", omittingEmptySubsequences: false)
                    try #require(columns.count == 3, "bad brat line: \(span)")
                    let fragments = columns[1].split(separator: " ", maxSplits: 1)[1].split(separator: ";")
                    let pieces = try fragments.map { fragment -> String in
                        let bounds = fragment.split(separator: " ").compactMap { Int($0) }
                        try #require(bounds.count == 2, "bad offsets: \(span)")
                        return text.scalarSlice(bounds[0], bounds[1])
                    }
                    #expect(pieces.joined(separator: " ") == String(columns[2]), "brat offsets do not match the text: \(span)")
                }
            }
            let annA = try Data(contentsOf: directory.file("brat-a/\(article).ann"))
            let annB = try Data(contentsOf: directory.file("brat-b/\(article).ann"))
            #expect(annA == annB)
        }
    }

    /// design.md: "All replicas that have synced the same changes show byte-identical
    /// exports." After a jsonl round trip B holds the same corpus as A, so `export --format
    /// json` (and w3c) must match too.
    /// A JSONL import is a new set of changes made on B (B's own versions, at B's own
    /// time), so the times derived from version history (`created`/`modified` of the
    /// json export, `modified` of w3c) legitimately differ; everything else, including
    /// each annotation's own `created`, must be identical.
    @Test func jsonAndW3CExportsAgreeAfterAJsonlRoundTripExceptVersionTimes() async throws {
        try await withTemporaryDirectory { directory in
            let (storeA, article) = try await Store.seeded(in: directory, name: "a.gloss")
            _ = try await Self.annotateSeed(storeA, article)
            let exportA = directory.path("a.jsonl")
            try await storeA.ok(["export", "--format", "jsonl", "--out", exportA])
            let storeB = try await Store.create(in: directory, name: "b.gloss")
            try await storeB.ok(["import", exportA])

            func withoutVersionTimes(_ value: Any, derivedKeys: Set<String>) -> Any {
                if let object = value as? [String: Any] {
                    var result: [String: Any] = [:]
                    for (key, member) in object where !derivedKeys.contains(key) {
                        result[key] = withoutVersionTimes(member, derivedKeys: derivedKeys)
                    }
                    return result
                }
                if let array = value as? [Any] { return array.map { withoutVersionTimes($0, derivedKeys: derivedKeys) } }
                return value
            }
            func canonical(_ value: Any) throws -> Data {
                try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            }

            let jsonA = try await storeA.ok(["export", "--format", "json"])
            let jsonB = try await storeB.ok(["export", "--format", "json"])
            #expect(!jsonA.stdout.isEmpty)
            // In the json export, annotations' `created` is their own field; articles' is derived.
            var objectA = try jsonA.object()
            var objectB = try jsonB.object()
            for key in ["articles", "annotations"] {
                let derived: Set<String> = key == "articles" ? ["created", "modified"] : ["modified"]
                objectA[key] = withoutVersionTimes(objectA[key] ?? [], derivedKeys: derived)
                objectB[key] = withoutVersionTimes(objectB[key] ?? [], derivedKeys: derived)
            }
            #expect(try canonical(objectA) == canonical(objectB), "json exports differ beyond version times")
            let annotationsB = try #require(objectB["annotations"] as? [[String: Any]])
            #expect(annotationsB.count == 4 && annotationsB.allSatisfy { $0["created"] is String })

            let w3cA = try await storeA.ok(["export", "--format", "w3c"]).object()
            let w3cB = try await storeB.ok(["export", "--format", "w3c"]).object()
            #expect(
                try canonical(withoutVersionTimes(w3cA, derivedKeys: ["modified"]))
                    == canonical(withoutVersionTimes(w3cB, derivedKeys: ["modified"])),
                "w3c exports differ beyond version times")
        }
    }

    /// The project's own check, always run: every exported annotation has what the Web
    /// Annotation Data Model requires of it, and its selectors point at its article's text.
    @Test func w3cExportHasEveryRequiredFieldAndSelectorsMatchTheText() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            _ = try await Self.annotateSeed(store, article)
            let text = try Fixtures.seedText()
            let collection = try await store.ok(["export", "--format", "w3c"]).object()
            #expect(collection["@context"] as? String == "http://www.w3.org/ns/anno.jsonld")
            #expect(collection["type"] as? String == "AnnotationCollection")
            let page = try #require(collection["first"] as? [String: Any])
            #expect(page["type"] as? String == "AnnotationPage")
            let items = try #require(page["items"] as? [[String: Any]])
            #expect(items.count == 4 && collection["total"] as? Int == items.count)
            for item in items {
                #expect(item["@context"] as? String == "http://www.w3.org/ns/anno.jsonld")
                #expect((item["id"] as? String)?.hasPrefix("urn:gloss:annotation:") == true, "\(item)")
                #expect(item["type"] as? String == "Annotation")
                let target = try #require(item["target"] as? [String: Any], "\(item)")
                #expect(target["source"] as? String == "urn:gloss:article:\(article)")
                let selectors = try #require(target["selector"] as? [[String: Any]], "\(item)")
                let quote = try #require(selectors.first { $0["type"] as? String == "TextQuoteSelector" })
                let position = try #require(selectors.first { $0["type"] as? String == "TextPositionSelector" })
                let start = try #require(position["start"] as? Int), end = try #require(position["end"] as? Int)
                #expect(0 <= start && start < end && end <= text.scalarArray.count)
                #expect(quote["exact"] as? String == text.scalarSlice(start, end))
                #expect(quote["prefix"] is String && quote["suffix"] is String)
                let bodies: [[String: Any]] = (item["body"] as? [[String: Any]]) ?? [item["body"] as? [String: Any]].compactMap { $0 }
                for body in bodies {
                    #expect(body["type"] as? String == "TextualBody" && body["value"] is String, "\(body)")
                }
            }
        }
    }

    /// The W3C Web Annotation Working Group's own assertions (`check_w3c.py`). Their data
    /// is not the project's to carry: it is found through `GLOSS_W3C_TESTS` or in
    /// `../shared/conformance`, and the test is skipped, saying so, when it is absent.
    @Test(.enabled(if: Fixtures.w3cCheckerURL != nil, "W3C conformance check skipped: check_w3c.py not found (set GLOSS_W3C_TESTS to its folder)"))
    func w3cExportPassesTheConformanceChecker() async throws {
        let checker = try #require(Fixtures.w3cCheckerURL)
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            _ = try await Self.annotateSeed(store, article)
            let count = try #require(try await store.status()["annotations"] as? Int)
            #expect(count == 4)

            let file = directory.path("annotations.jsonld")
            try await store.ok(["export", "--format", "w3c", "--out", file])
            let fromStdout = try await store.ok(["export", "--format", "w3c"]).stdoutData
            #expect(fromStdout == (try Data(contentsOf: URL(fileURLWithPath: file))))

            let check = try await Runner.tool("python3", [checker.path, file])
            #expect(check.status == 0, "check_w3c.py failed: \(check)")
            let summary = check.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("w3c: ") }
            #expect(summary == ["w3c: \(count) passed, 0 failed"], "\(check)")
        }
    }
}
