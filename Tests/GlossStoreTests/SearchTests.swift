import GlossCore
import Testing
@testable import GlossStore

struct SearchTests {
    @Test(arguments: ["irak", "IRAK", "ırak", "İrak", "Irak", "musul", "MUSUL", "deas", "DEAŞ", "çatışma"])
    func turkishAwareQueriesFindTheArticle(query: String) throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let hits = try store.search(query)
        #expect(hits.first?.id == article, "\(query) did not find the article")
    }

    @Test func snippetsComeFromTheOriginalText() throws {
        let (store, _) = try Fixtures.storeWithSeed()
        let hit = try #require(try store.search("tartışma").first)
        let highlighted = hit.highlights.map { range in ScalarText(hit.snippet).slice(range.lowerBound, range.upperBound) }
        #expect(highlighted.contains("tartışma"))
        #expect(hit.snippet.contains("Koalisyonun hava saldırısı tartışma yarattı"))
    }

    @Test func apostropheSuffixesDoNotHideTheWord() throws {
        let (store, _) = try Fixtures.storeWithSeed()
        let hit = try #require(try store.search("musul'un").first)
        #expect(hit.kind == .article)
        let words = hit.highlights.map { ScalarText(hit.snippet).slice($0.lowerBound, $0.upperBound) }
        #expect(words.allSatisfy { TextFolding.fold($0).hasPrefix("musul") || TextFolding.fold($0).hasPrefix("un") })
    }

    @Test func notesAreSearchableAndFollowEdits() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let annotation = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(note: "Şırnak'a yakın"))
        #expect(try store.search("sirnak").map(\.id) == [annotation.id])
        _ = try store.editAnnotation(annotation.id, AnnotationEdit(note: "Zaho sınırı"))
        #expect(try store.search("sirnak").isEmpty)
        #expect(try store.search("ZAHO").map(\.id) == [annotation.id])
        try store.deleteAnnotation(annotation.id)
        #expect(try store.search("zaho").isEmpty)
    }

    @Test func everyWordMustMatchAndRankingPrefersTitles() throws {
        let store = try GlossDatabase.inMemory()
        let inTitle = Article(title: "Mosul battle", date: "2016-12", text: " date 2016-12 Mosul battle\n\nreport")
        let inBody = Article(title: "Other news", date: "2016-12", text: " date 2016-12 Other news\n\nA long report that mentions Mosul once among many other words here.")
        _ = try store.importItems([.article(inTitle, authoritative: false), .article(inBody, authoritative: false)])
        #expect(try store.search("mosul").first?.id == inTitle.id)
        #expect(try store.search("mosul words").map(\.id) == [inBody.id])
        #expect(throws: StoreError.self) { try store.search("  ,, ") }
    }

    @Test func queriesWithSearchSyntaxAreTakenLiterally() throws {
        let (store, _) = try Fixtures.storeWithSeed()
        for query in ["\"Irak", "Irak OR", "NEAR(irak", "irak*", "-irak", "irak AND (musul"] {
            _ = try store.search(query)
        }
    }
}
