import GlossCore
import Testing
@testable import GlossStore

/// `history(of:)` lists an entity's versions; `restore(_:to:)` brings one back as a new
/// ordinary change that replaces the whole frontier.
struct HistoryRestoreTests {
    /// Laptop and desktop sharing the seed article and a "the city" annotation, each
    /// having changed its note concurrently, synced: an open conflict on both.
    func concurrentNotes() throws -> (laptop: GlossDatabase, desktop: GlossDatabase, article: String, annotation: String) {
        let (laptop, desktop, article, id, clock) = try ReplicaMergeTests().pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "laptop's note"))
        clock.advance()
        _ = try desktop.editAnnotation(id, AnnotationEdit(note: "desktop's note"))
        try Exchange.sync(laptop, desktop)
        return (laptop, desktop, article, id)
    }

    /// One replica with the seed article and an annotation on "Musul kentini" whose note
    /// went from "first" to "second".
    func overwrittenNote() throws -> (store: GlossDatabase, article: String, annotation: String) {
        let (store, article) = try Fixtures.storeWithSeed()
        let annotation = try store.annotate(
            articleID: article, anchor: .quote("Musul kentini", occurrence: nil), fields: .init(note: "first", tags: ["city"]))
        _ = try store.editAnnotation(annotation.id, AnnotationEdit(note: "second", addTags: ["iraq"]))
        return (store, article, annotation.id)
    }

    static func notes(_ history: EntityHistory) -> [String?] {
        history.versions.map { $0.content?["note"]?.stringValue }
    }

    // MARK: History

    @Test func historyListsEveryVersionOldestFirstWithAuthorsFrontierAndConcurrency() throws {
        let (laptop, desktop, _, id) = try concurrentNotes()
        let atLaptop = try laptop.history(of: String(id.prefix(8)))
        let atDesktop = try desktop.history(of: id)
        for history in [atLaptop, atDesktop] {
            #expect(history.kind == .annotation && history.id == id)
            #expect(Self.notes(history) == ["the city", "laptop's note", "desktop's note"])
            let (first, mine, theirs) = (history.versions[0], history.versions[1], history.versions[2])
            #expect(history.versions.map(\.isShown) == [false, true, true])
            #expect(first.concurrentWith.isEmpty)
            #expect(mine.concurrentWith == [theirs.dot] && theirs.concurrentWith == [mine.dot])
            #expect(mine.replaces == [first.dot] && theirs.replaces == [first.dot])
            #expect(history.versions.allSatisfy { $0.operation == .put })
            #expect(history.shown.map(\.dot) == [mine.dot, theirs.dot])
        }
        // Every replica lists the same versions in the same order, whatever their arrival.
        #expect(atLaptop.versions.map(\.dot) == atDesktop.versions.map(\.dot))
        #expect(atLaptop.versions.map(\.clock) == atDesktop.versions.map(\.clock))
        // A local version names this replica; one pulled without a server has no author.
        #expect(atLaptop.versions.map(\.author) == ["laptop", "laptop", nil])
        #expect(atLaptop.versions.map(\.isLocal) == [true, true, false])
        #expect(atDesktop.versions.map(\.author) == [nil, nil, "desktop"])
        let json = atLaptop.json
        #expect(json["versions"]?.arrayValue?.count == 3)
        #expect(json["versions"]?.arrayValue?[1]["concurrentWith"] == .array([.string(atLaptop.versions[2].dot.description)]))
        #expect(json["versions"]?.arrayValue?[0]["content"]?["note"] == "the city")
    }

    @Test func historyOfAnArticleAndOfADeletion() throws {
        let (store, article, id) = try overwrittenNote()
        try store.deleteAnnotation(id)
        let history = try store.history(of: id)
        #expect(history.versions.map(\.operation) == [.put, .put, .delete])
        #expect(history.versions.last?.isDeletion == true && history.versions.last?.content == nil)
        #expect(history.versions.map(\.isShown) == [false, false, true])
        #expect(history.json["versions"]?.arrayValue?.last?["content"] == .null)
        let articleHistory = try store.history(of: article)
        #expect(articleHistory.kind == .article && articleHistory.versions.count == 1 && articleHistory.versions[0].isShown)
        #expect(throws: StoreError.notFound(kind: "entry", id: "zzzzzzzz")) { try store.history(of: "zzzzzzzz") }
    }

    // MARK: Restore

    @Test func restoreUndoesAnOverwrite() throws {
        let (store, _, id) = try overwrittenNote()
        let before = try store.history(of: id)
        let first = before.versions[0]
        let outcome = try store.restore(id, to: first.dot)
        let entry = try #require(outcome.entry)
        #expect(outcome.changed && outcome.kind == .annotation && outcome.id == id && outcome.restored == first.dot)
        #expect(entry.change.replaces == before.shown.map(\.dot), "it replaces the whole frontier")
        let record = try store.annotation(id)
        #expect(record.annotation.note == "first" && record.annotation.tags == ["city"])
        let after = try store.history(of: id)
        #expect(Self.notes(after) == ["first", "second", "first"])
        #expect(after.shown.map(\.dot) == [entry.change.dot])
        #expect(after.versions.last?.content == first.content)
        #expect(try store.log(limit: 1).first == entry)
        #expect(try store.doctor().isHealthy)
    }

    @Test func restoringWhatIsShownAlreadyChangesNothing() throws {
        let (store, _, id) = try overwrittenNote()
        let history = try store.history(of: id)
        let changes = try store.status().changes
        let outcome = try store.restore(id, to: history.versions[1].dot)
        #expect(!outcome.changed && outcome.entry == nil)
        #expect(outcome.json["changed"] == false && outcome.json["restored"] == .string(history.versions[1].dot.description))
        #expect(try store.status().changes == changes)
        // Restoring the first version twice: the second time, it is what is shown.
        #expect(try store.restore(id, to: history.versions[0].dot).changed)
        #expect(try !store.restore(id, to: history.versions[0].dot).changed)
    }

    @Test func restoreUndoesADeletion() throws {
        let (store, article, id) = try overwrittenNote()
        try store.deleteAnnotation(id)
        #expect(try store.annotations().isEmpty)
        let second = try store.history(of: id).versions[1]
        #expect(try store.restore(id, to: second.dot).changed)
        #expect(try store.annotations().map(\.annotation.id) == [id])
        #expect(try store.annotation(id).annotation.note == "second")
        // An article too: its annotations come back with it.
        try store.deleteArticle(article)
        #expect(try store.annotations().isEmpty)
        let original = try store.history(of: article).versions[0]
        #expect(try store.restore(article, to: original.dot).changed)
        #expect(try store.article(article).annotationCount == 1)
        #expect(try store.conflicts().isEmpty)
        #expect(try store.doctor().isHealthy)
    }

    @Test func restoreSettlesAnOpenConflictAndReachesTheOtherReplica() throws {
        let (laptop, desktop, _, id) = try concurrentNotes()
        #expect(try laptop.conflicts().map(\.id) == [id])
        let original = try laptop.history(of: id).versions[0]
        let outcome = try desktop.restore(id, to: original.dot)
        #expect(outcome.entry?.change.replaces.count == 2, "it replaces both concurrent versions")
        #expect(try desktop.conflicts().isEmpty)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            #expect(try replica.conflicts().isEmpty)
            #expect(try replica.annotation(id).annotation.note == "the city")
            #expect(try replica.history(of: id).shown.map(\.dot) == [outcome.entry?.change.dot])
            #expect(try replica.doctor().isHealthy)
        }
        #expect(try laptop.export(.json).text == desktop.export(.json).text)
    }

    @Test func restoringOneSideOfAConflictSettlesItWithThatSide() throws {
        let (laptop, desktop, _, id) = try concurrentNotes()
        let laptops = try #require(try laptop.history(of: id).versions.first { $0.content?["note"] == "laptop's note" })
        #expect(try laptop.restore(id, to: laptops.dot).changed, "a conflict is settled even when its winner is restored")
        try Exchange.sync(laptop, desktop)
        #expect(try desktop.conflicts().isEmpty)
        #expect(try desktop.annotation(id).annotation.note == "laptop's note")
    }

    @Test func refusalsNameTheVersionAndChangeNothing() throws {
        let (store, article, id) = try overwrittenNote()
        try store.deleteAnnotation(id)
        let history = try store.history(of: id)
        let deletion = history.versions[2].dot
        let articleVersion = try store.history(of: article).versions[0].dot
        let unknown = Dot(replica: deletion.replica, seq: 999)
        let changes = try store.status().changes
        let export = try store.export(.jsonl).text
        #expect(throws: StoreError.versionIsDeletion(id: id, version: deletion)) { try store.restore(id, to: deletion) }
        #expect(throws: StoreError.versionOfAnotherEntity(id: id, version: articleVersion, owner: article)) {
            try store.restore(String(id.prefix(8)), to: articleVersion)
        }
        #expect(throws: StoreError.versionNotFound(id: id, version: unknown)) { try store.restore(id, to: unknown) }
        #expect(throws: StoreError.notFound(kind: "entry", id: "zzzzzzzz")) { try store.restore("zzzzzzzz", to: deletion) }
        #expect(try store.status().changes == changes)
        #expect(try store.export(.jsonl).text == export)
        #expect(try store.doctor().isHealthy)
    }

    /// An annotation of a deleted article stays hidden until the article is back: restore
    /// the article first.
    @Test func anAnnotationOfADeletedArticleWaitsForItsArticle() throws {
        let (store, article, id) = try overwrittenNote()
        let history = try store.history(of: id)
        let (first, shown) = (history.versions[0].dot, history.versions[1].dot)
        try store.deleteArticle(article)
        let changes = try store.status().changes
        #expect(throws: StoreError.articleDeleted(article)) { try store.restore(id, to: first) }
        // Not "nothing changed" either: hidden with its article, it shows nothing.
        #expect(throws: StoreError.articleDeleted(article)) { try store.restore(id, to: shown) }
        #expect(try store.status().changes == changes)
        try store.restore(article, to: try store.history(of: article).versions[0].dot)
        #expect(try store.restore(id, to: first).changed)
        #expect(try store.annotation(id).annotation.note == "first")
        #expect(try store.doctor().isHealthy)
    }

    /// A version whose quote a correction since removed or moved is restored all the same,
    /// and placed by the usual rules: an orphan where its words are gone, on its words
    /// where they moved.
    @Test func restoringAnAnnotationAfterACorrectionPlacesItByTheUsualRules() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let annotation = try store.annotate(
            articleID: article, anchor: .quote("Kudüs semtinden", occurrence: nil), fields: .init(note: "on Kudüs"))
        _ = try store.reattach(annotation.id, anchor: .quote("Musul kentini", occurrence: nil))
        let onKudus = try store.history(of: annotation.id).versions[0].dot
        let text = try Fixtures.seedText
        let paragraph = "Kudüs semtinden paylaşılan görüntüler kısa sürede sosyal medyada yayıldı.\n\n\n\n"
        let withoutKudus = CorrectionTests.corrected(text, CorrectionTests.replacing(paragraph, with: ""))
        _ = try store.editArticle(article, title: nil, addTags: [], removeTags: [], text: withoutKudus)

        #expect(try store.restore(annotation.id, to: onKudus).changed)
        let orphan = try store.annotation(annotation.id)
        #expect(orphan.isOrphaned, "its words are gone")
        #expect(orphan.annotation.target == annotation.target, "an orphan keeps the restored selector")

        // The words come back further down: the restored selector follows them.
        let moved = CorrectionTests.corrected(text, CorrectionTests.replacing("Sahadan gelen", with: "Bu cümle sonradan eklendi. Sahadan gelen"))
        _ = try store.editArticle(article, title: nil, addTags: [], removeTags: [], text: moved)
        let placed = try store.annotation(annotation.id)
        CorrectionTests.expectOnItsWords(placed, in: moved)
        #expect(placed.annotation.target.exact == "Kudüs semtinden" && placed.annotation.target.start > annotation.target.start)
        #expect(try store.doctor().isHealthy)
    }
}
