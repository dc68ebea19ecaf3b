import Foundation
import Testing

/// `gloss search`: case-, accent- and Turkish-insensitive, over article text and notes.
@Suite struct SearchTests {
    /// The highlighted pieces of a hit's snippet (highlights are scalar offsets into it).
    static func highlighted(_ hit: [String: Any]) throws -> [String] {
        let snippet = try #require(hit["snippet"] as? String)
        let ranges = try #require(hit["highlights"] as? [[Int]])
        return try ranges.map { range in
            try #require(range.count == 2 && 0 <= range[0] && range[0] < range[1] && range[1] <= snippet.scalarArray.count, "bad highlight \(range) in \(snippet)")
            return snippet.scalarSlice(range[0], range[1])
        }
    }

    /// The snippet is the original text around the match: with its ellipses taken off, it
    /// occurs in `text` (line breaks shown as spaces).
    static func expectSnippetIsOriginalText(_ hit: [String: Any], of text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let snippet = hit["snippet"] as? String else {
            Issue.record("no snippet in \(hit)", sourceLocation: sourceLocation)
            return
        }
        var core = Substring(snippet)
        while core.hasPrefix("…") { core = core.dropFirst() }
        while core.hasSuffix("…") { core = core.dropLast() }
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        #expect(!core.isEmpty && flat.contains(core), "snippet is not original text: \(snippet)", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["irak", "IRAK", "ırak", "İrak", "Irak"])
    func turkishCaseFoldingFindsIrak(query: String) async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let hits = try await store.objects(["search", query])
            let articleHits = hits.filter { $0["kind"] as? String == "article" }
            try #require(articleHits.count == 1, "search \(query): \(hits)")
            let hit = articleHits[0]
            #expect(hit["id"] as? String == article)
            #expect(hit["article"] as? String == article)
            #expect(hit["title"] as? String == (try Fixtures.leadSentence()))
            let pieces = try Self.highlighted(hit)
            #expect(!pieces.isEmpty)
            for piece in pieces { #expect(piece.hasPrefix("Irak"), "search \(query) highlighted '\(piece)'") }
            Self.expectSnippetIsOriginalText(hit, of: try Fixtures.seedText())
        }
    }

    @Test func searchFindsWordsByPrefixAndIgnoresTurkishDiacritics() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let text = try Fixtures.seedText()
            // query → the original word it must highlight.
            let cases: [(String, String)] = [
                ("musul", "Musul"), ("MUSUL", "Musul"), ("deas", "DEAŞ"), ("deaş", "DEAŞ"), ("kudus", "Kudüs"),
                ("ŞİDDET", "şiddetli"), ("hastane", "hastane"), ("iraklı", "Iraklı"), ("IRAKLI", "Iraklı"),
            ]
            for (query, word) in cases {
                let hits = try await store.objects(["search", query])
                let hit = try #require(hits.first { $0["kind"] as? String == "article" }, "search \(query): \(hits)")
                #expect(hit["id"] as? String == article)
                let pieces = try Self.highlighted(hit)
                #expect(!pieces.isEmpty && pieces.allSatisfy { $0.hasPrefix(word) }, "search \(query) highlighted \(pieces)")
                #expect((hit["snippet"] as? String)?.contains(word) == true, "search \(query): \(hit)")
                Self.expectSnippetIsOriginalText(hit, of: text)
            }
            // Every word must occur.
            #expect(try await store.objects(["search", "musul", "hastane"]).contains { $0["id"] as? String == article })
            #expect(try await store.objects(["search", "musul", "zzqqxx"]).isEmpty)
            #expect(try await store.objects(["search", "Bağdat"]).isEmpty)
            let none = try await store.ok(["search", "zzqqxx"])
            #expect(none.stdout.contains("No matches"))
        }
    }

    @Test func searchFindsNotesAndShowsTheOriginalNoteText() async throws {
        try await withTemporaryDirectory { directory in
            let (store, article) = try await Store.seeded(in: directory)
            let text = try Fixtures.seedText()
            let note = "Irak ordusu ve polis birlikleri, İstanbul'dan izleniyor"
            for word in ["polis", "birlik", "istanbul"] {
                #expect(!text.lowercased().contains(word), "'\(word)' must occur only in the note for this test")
            }
            let annotation = try await store.annotate(article, ["--quote", "güvenlik güçleri", "--note", note])
            let id = try #require(annotation["id"] as? String)

            for (query, word) in [("polis", "polis"), ("BİRLİKLERİ", "birlikleri"), ("istanbul", "İstanbul"), ("ISTANBUL", "İstanbul")] {
                let hits = try await store.objects(["search", query])
                #expect(hits.count == 1, "search \(query): only the note matches: \(hits)")
                let hit = try #require(hits.first)
                #expect(hit["kind"] as? String == "annotation")
                #expect(hit["id"] as? String == id)
                #expect(hit["article"] as? String == article)
                let snippet = try #require(hit["snippet"] as? String)
                #expect(snippet.contains(word), "snippet: \(snippet)")
                Self.expectSnippetIsOriginalText(hit, of: note)
                let pieces = try Self.highlighted(hit)
                #expect(!pieces.isEmpty && pieces.allSatisfy { $0.hasPrefix(word) }, "search \(query) highlighted \(pieces)")
            }

            // A word in both the note and the article finds both.
            let both = try await store.objects(["search", "ırak"])
            #expect(Set(both.compactMap { $0["kind"] as? String }) == ["article", "annotation"])

            // An edited note is searched by its new text only.
            try await store.ok(["edit", id, "--note", "askeri birlikler"])
            #expect(try await store.objects(["search", "polis"]).isEmpty)
            #expect(try await store.objects(["search", "askeri"]).first?["id"] as? String == id)
            // A deleted annotation is not found.
            try await store.ok(["delete", id])
            #expect(try await store.objects(["search", "askeri"]).isEmpty)
        }
    }
}
