import Foundation
import GlossCore
import Testing
@testable import GlossStore

struct ImportTests {
    @Test func seedArticleKeepsItsTextExactly() throws {
        let text = try Fixtures.seedText
        let article = try SeedFormat.parse(text, source: "musul-2016-12.txt")
        #expect(article.text.utf8.elementsEqual(text.utf8))
        #expect(article.date == "2016-12")
        #expect(article.title.hasPrefix("Irak güvenlik güçleri ve müttefik kuvvetler, Musul kentini"))
        #expect(article.title.hasSuffix("ağır bir direnişle karşılaştı."))
        #expect(article.language == "tr")
        #expect(article.id == Article.id(forText: text))
    }

    @Test func seedFormatIsNFCNormalized() throws {
        let decomposed = " date 2020-01 Mu\u{0308}ller und S\u{0327}ehir\n\nBody."
        let article = try SeedFormat.parse(decomposed, source: nil)
        #expect(UnicodeNormalization.isNFC(article.text))
        #expect(article.text.unicodeScalars.contains("ü"))
    }

    @Test func badSeedTextsAreRefused() {
        #expect(throws: ImportError.empty) { try SeedFormat.parse("  \n\n ", source: nil) }
        #expect(throws: ImportError.self) { try SeedFormat.parse("no date line here\n\nbody", source: nil) }
        #expect(throws: ImportError.self) { try SeedFormat.parse(" date 2016-13 bad month", source: nil) }
    }

    @Test func importingTheSameArticleTwiceYieldsOne() throws {
        let (store, id) = try Fixtures.storeWithSeed()
        let again = try store.importItems([.article(try SeedFormat.parse(try Fixtures.seedText, source: "copy.txt"), authoritative: false)])
        #expect(again.unchanged == 1 && again.articlesImported == 0)
        #expect(try store.articles().map(\.article.id) == [id])
        #expect(try store.log().count == 1)
    }

    @Test func sameFileOnTwoReplicasIsOneArticleWithoutConflict() throws {
        let (laptop, id) = try Fixtures.storeWithSeed(name: "a")
        let (desktop, otherID) = try Fixtures.storeWithSeed(name: "b")
        #expect(id == otherID)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            #expect(try replica.articles().count == 1)
            #expect(try replica.conflicts().isEmpty)
        }
        #expect(try laptop.export(.jsonl).text == desktop.export(.jsonl).text)
    }

    @Test func jsonlExportImportsIntoAnotherReplicaUnchanged() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        _ = try store.annotate(articleID: article, anchor: .quote("Musul kentini", occurrence: nil), fields: .init(note: "şehir", tags: ["city"], label: "LOC", color: "#ffcc00"))
        _ = try store.annotate(articleID: article, anchor: .quote("Musul", occurrence: 3), fields: .init(note: "🙂 emoji note"))
        let exported = try store.export(.jsonl).text
        let other = try GlossDatabase.inMemory()
        let summary = try other.importItems(try JSONLines.parse(exported))
        #expect(summary.articlesImported == 1 && summary.annotationsImported == 2 && summary.skipped.isEmpty)
        #expect(try other.export(.jsonl).text == exported)
        // And again: nothing changes.
        let second = try other.importItems(try JSONLines.parse(exported))
        #expect(second.unchanged == 3)
    }

    @Test func folderImportSkipsBadFilesWithReasons() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.seedPath, toPath: folder.appendingPathComponent("sub/a.txt").path)
        try Data([0xff, 0xfe, 0x41]).write(to: folder.appendingPathComponent("bad.txt"))
        try Data().write(to: folder.appendingPathComponent("empty.txt"))
        try Data("ignored".utf8).write(to: folder.appendingPathComponent("notes.md"))
        let plan = try ImportReader.read(paths: [folder.path])
        #expect(plan.items.count == 1)
        #expect(plan.skipped.count == 2)
        #expect(plan.skipped.contains { $0.path.hasSuffix("bad.txt") && $0.reason.contains("UTF-8") })
        #expect(plan.skipped.contains { $0.path.hasSuffix("empty.txt") && $0.reason.contains("empty") })
    }

    @Test func namedBadFilesAreErrors() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.txt")
        try Data([0xc3, 0x28]).write(to: bad)
        #expect(throws: ImportError.inFile(path: bad.path, .notUTF8)) { try ImportReader.read(paths: [bad.path]) }
        #expect(throws: ImportError.missing(path: folder.path + "/nope.txt")) {
            try ImportReader.read(paths: [folder.path + "/nope.txt"])
        }
        let jsonl = folder.appendingPathComponent("x.jsonl")
        try Data("{\"type\":\"article\",\"id\":\"zz\"}\n".utf8).write(to: jsonl)
        #expect(throws: ImportError.self) { try ImportReader.read(paths: [jsonl.path]) }
    }

    /// An annotation of an article the store lacks is skipped; one whose selector does not
    /// hold on the stored text (an export made before a correction, say) is imported and
    /// placed like any other: found again by its quote, or kept as an orphan.
    @Test func annotationsWhoseArticleIsMissingAreSkippedAndStaleOnesArePlaced() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let good = Annotation(article: article, target: TextSelector(exact: "Irak", prefix: "", suffix: "", start: 14, end: 18))
        let moved = Annotation(article: article, target: TextSelector(exact: "Kudüs semtinden", prefix: "", suffix: "", start: 3, end: 18))
        let gone = Annotation(article: article, target: TextSelector(exact: "Iran", prefix: "", suffix: "", start: 14, end: 18))
        let missing = Annotation(article: String(repeating: "0", count: 32), target: TextSelector(exact: "x", prefix: "", suffix: "", start: 0, end: 1))
        let summary = try store.importItems([.annotation(good), .annotation(moved), .annotation(gone), .annotation(missing)])
        #expect(summary.annotationsImported == 3)
        #expect(summary.skipped.map(\.item) == ["annotation \(missing.id)"])
        let text = ScalarText(try Fixtures.seedText)
        let placed = try store.annotation(moved.id)
        #expect(!placed.isOrphaned && text.slice(placed.annotation.target.start, placed.annotation.target.end) == "Kudüs semtinden")
        #expect(try store.annotation(gone.id).isOrphaned)
        #expect(try store.doctor().isHealthy)
    }

    @Test func largeImportsCommitInBatches() throws {
        let store = try GlossDatabase.inMemory()
        var items: [ImportItem] = []
        for number in 0..<2_500 {
            items.append(.article(Article(title: "t\(number)", date: "2016-12", text: " date 2016-12 article \(number)\n\nbody"), authoritative: false))
        }
        let batches = Counter()
        let summary = try store.importItems(items) { _ in batches.increment() }
        #expect(summary.articlesImported == 2_500)
        #expect(batches.value == 3)
        #expect(try store.status().changes == 2_500)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

extension ExportOutput {
    /// The document's text (tests only export documents through this).
    var text: String {
        if case .document(let text) = self { return text }
        return ""
    }
}
