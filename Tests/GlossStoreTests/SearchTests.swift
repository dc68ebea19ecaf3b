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

    /// A small corpus for the literal queries: two articles, a note and four articles
    /// that match none of the queries (so every word's IDF, and the ranking, is positive).
    struct LiteralCorpus {
        let store: GlossDatabase
        /// "Irak ordusu Musul'a ilerliyor": irak, or…, musul in its title and text.
        let march: String
        /// "Near and far": near, and, not, irak in its text only; no musul.
        let far: String
        /// The note "Musul notu: Irak ordusu" on `march`: musul, not…, irak, or…; no and, no near.
        let note: String

        init() throws {
            store = try GlossDatabase.inMemory()
            let march = Article(title: "Irak ordusu Musul'a ilerliyor", text: "Irak ordusu Musul'a ilerliyor. Ordu şehre yaklaştı.")
            let far = Article(title: "Near and far", text: "Near and far: on Irak, not on Syria.")
            let others = [
                ("Hava durumu", "Güneşli bir gün, rüzgar hafif esiyor."), ("Ekonomi", "Borsa bugün yükseldi, dolar düştü."),
                ("Spor", "Takım maçı kazandı."), ("Kültür", "Yeni sergi açıldı."),
            ].map { Article(title: $0.0, text: "\($0.0)\n\n\($0.1)") }
            _ = try store.importItems(([march, far] + others).map { .article($0, authoritative: false) })
            note = try store.annotate(articleID: march.id, anchor: .range(start: 0, end: 4), fields: .init(note: "Musul notu: Irak ordusu")).id
            (self.march, self.far) = (march.id, far.id)
        }
    }

    /// FTS5 syntax in a query (quotes, AND/OR/NOT/NEAR, `*`, `^`, `+`, parentheses, column
    /// filters) is neither an operator nor an error: the query means its words, each of
    /// which must occur as a word's prefix (`or` finds "ordusu", `not` finds "notu").
    /// Ranking: titles weigh 4×; between hits in text only, the shorter text comes first.
    @Test func queriesWithSearchSyntaxAreTakenLiterally() throws {
        let corpus = try LiteralCorpus()
        let (march, far, note) = (corpus.march, corpus.far, corpus.note)
        // query, the words it means, what it finds, best first.
        let cases: [(query: String, words: String, expected: [String])] = [
            ("\"Irak", "irak", [march, note, far]),
            ("irak*", "irak", [march, note, far]),
            ("-irak", "irak", [march, note, far]),
            ("^irak", "irak", [march, note, far]),
            ("Irak OR", "irak or", [march, note]),  // "or" is a word: ordusu, ordu
            ("OR", "or", [march, note]),
            ("NOT", "not", [note, far]),  // notu, not
            ("İRAK AND", "irak and", [far]),
            ("NEAR(irak", "near irak", [far]),
            ("\"near\" \"and\" \"far\"", "near and far", [far]),
            ("\"irak musul\"", "irak musul", [march, note]),  // not a phrase: the note has them apart and reversed
            ("irak + ordusu", "irak ordusu", [march, note]),
            ("irak -musul", "irak musul", [march, note]),
            // Operators would find something here; the words together occur nowhere.
            ("irak AND (musul", "irak and musul", []),
            ("musul OR syria", "musul or syria", []),
            ("NEAR(irak musul)", "near irak musul", []),
            ("title:irak", "title irak", []),
            ("{title body}: irak", "title body irak", []),
            // …and here the literal words find what NOT would exclude.
            ("irak NOT musul", "irak not musul", [note]),
            ("irak NOT near", "irak not near", [far]),
        ]
        for (query, words, expected) in cases {
            let hits = try corpus.store.search(query)
            #expect(hits.map(\.id) == expected, "search \(query.debugDescription)")
            #expect(hits == (try corpus.store.search(words)), "search \(query.debugDescription) is search \(words.debugDescription)")
        }
        // Syntax alone holds no word: refused, as an empty query is.
        for query in ["\"", "\"\"", "*", "()", "-", ":", "^", "+"] {
            #expect(throws: StoreError.self, "search \(query.debugDescription)") { try corpus.store.search(query) }
        }
    }
}
