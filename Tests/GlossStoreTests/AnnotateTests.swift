import GlossCore
import Testing
@testable import GlossStore

struct AnnotateTests {
    @Test func quoteRangeAndOccurrenceAllPointAtTheText() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let text = ScalarText(try Fixtures.seedText)
        let byQuote = try store.annotate(articleID: String(article.prefix(8)), anchor: .quote("Musul kentini", occurrence: nil), fields: .init())
        #expect(text.slice(byQuote.target.start, byQuote.target.end) == "Musul kentini")
        let third = try store.annotate(articleID: article, anchor: .quote("Musul", occurrence: 3), fields: .init())
        #expect(third.target.start == text.occurrences(of: "Musul")[2])
        let byRange = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init())
        #expect(byRange.target.exact == "Irak")
        #expect(byRange.target.prefix == " date 2016-12 ")
        #expect(byRange.target.suffix.unicodeScalars.count == TextSelector.contextLength)
        // Offsets are Unicode scalars: "güvenlik" starts right after "Irak ".
        let turkish = try store.annotate(articleID: article, anchor: .quote("güvenlik", occurrence: nil), fields: .init())
        #expect(turkish.target.start == 19)
        #expect(turkish.target.end == 27)
    }

    @Test func quoteErrorsSayWhatToDo() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        #expect(throws: StoreError.quoteNotFound("Bağdat")) {
            try store.annotate(articleID: article, anchor: .quote("Bağdat", occurrence: nil), fields: .init())
        }
        do {
            _ = try store.annotate(articleID: article, anchor: .quote("Musul", occurrence: nil), fields: .init())
            Issue.record("an ambiguous quote was accepted")
        } catch let error as StoreError {
            guard case .quoteAmbiguous(_, let places) = error else { throw error }
            #expect(places.count == 5)
            // The library says what happened; the CLI adds how to pick one (--occurrence N).
            #expect(error.description.contains("occurs 5 times"))
            #expect(!error.description.contains("--"))
        }
        #expect(throws: StoreError.occurrenceOutOfRange(6, count: 5)) {
            try store.annotate(articleID: article, anchor: .quote("Musul", occurrence: 6), fields: .init())
        }
        #expect(throws: StoreError.self) {
            try store.annotate(articleID: article, anchor: .range(start: 10, end: 5), fields: .init())
        }
        #expect(throws: StoreError.self) {
            try store.annotate(articleID: article, anchor: .range(start: 0, end: 100_000), fields: .init())
        }
        #expect(try store.annotations().isEmpty)
    }

    @Test func invalidFieldsAreRefusedAndNothingIsWritten() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        #expect(throws: StoreError.invalid(.invalidTag("two words"))) {
            try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(tags: ["two words"]))
        }
        #expect(throws: StoreError.invalid(.invalidColor("Not A Color"))) {
            try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(color: "Not A Color"))
        }
        #expect(try store.log().count == 1)
    }

    @Test func idsResolveByUniquePrefix() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        #expect(try store.resolveID(String(article.prefix(6))).id == article)
        #expect(try store.resolveID(article.uppercased()).id == article)
        #expect(throws: StoreError.idTooShort("abc")) { try store.resolveID("abc") }
        #expect(throws: StoreError.notFound(kind: "entry", id: "ffffffffff")) { try store.resolveID("ffffffffff") }
        #expect(throws: StoreError.notFound(kind: "annotation", id: String(article.prefix(8)))) {
            try store.resolveID(String(article.prefix(8)), kind: .annotation)
        }
    }

    @Test func editSetsAndRemovesFields() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let annotation = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(note: "n", tags: ["a", "b"], label: "LOC"))
        let outcome = try store.editAnnotation(annotation.id, AnnotationEdit(note: "", addTags: ["c"], removeTags: ["a"], label: "GPE"))
        #expect(outcome.annotation.note == nil)
        #expect(outcome.annotation.tags == ["b", "c"])
        #expect(outcome.annotation.label == "GPE")
        #expect(throws: StoreError.nothingToEdit) { try store.editAnnotation(annotation.id, AnnotationEdit()) }
    }

    @Test func deletingAnArticleHidesItsAnnotationsButKeepsThem() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let annotation = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init())
        try store.deleteArticle(article)
        #expect(try store.articles().isEmpty)
        #expect(try store.annotations().isEmpty)
        #expect(try store.log(entity: annotation.id).count == 1)
        #expect(throws: StoreError.self) {
            try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init())
        }
        #expect(try store.doctor().isHealthy)
    }
}
