import Foundation
import GlossCore
import Testing
@testable import GlossStore

/// `gloss import` reads its files as a stream and writes new entities table by table
/// (issue #16): the same summaries and the same replicas as importing item by item
/// through the local write path.
struct StreamingImportTests {
    /// A small article whose text holds `words` for annotations to quote.
    static func article(_ number: Int) -> Article {
        Article(
            title: "Stream article \(number)", date: "2016-12",
            text: " date 2016-12 Stream article \(number)\n\nMusul'da bir paragraf \(number): Irak güçleri, şehir merkezi.\n")
    }

    static func annotation(_ number: Int, on article: Article, note: String? = nil) -> Annotation {
        let text = ScalarText(article.text)
        let target = try! TextSelector(text: text, start: 18, end: 24)
        var generator = SplitMix64(seed: UInt64(number) + 1)
        return Annotation(
            id: Annotation.newID(using: &generator), article: article.id, target: target,
            note: note ?? "note \(number) İstanbul", tags: number % 3 == 0 ? ["city", "iraq"] : [], label: "LOC",
            author: "ayşe", created: "2026-06-17T10:00:00Z")
    }

    /// One JSONL line, as an export writes it.
    static func line(_ item: ImportItem) -> String {
        var object: EntityContent
        switch item {
        case .article(let article, _):
            object = article.content
            object["type"] = "article"
            object["id"] = .string(article.id)
        case .annotation(let annotation):
            object = annotation.content
            object["type"] = "annotation"
            object["id"] = .string(annotation.id)
        }
        return CanonicalJSON.string(.object(object))
    }

    static func write(_ lines: [String], to url: URL) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    /// Annotations listed before their articles, in one file and across two, import whole:
    /// every article is written before any annotation.
    @Test func annotationsBeforeTheirArticlesAreImported() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let articles = (0..<5).map(Self.article)
        let annotations = (0..<40).map { Self.annotation($0, on: articles[$0 % 5]) }
        let articleLines = articles.map { Self.line(.article($0, authoritative: true)) }
        let annotationLines = annotations.map { Self.line(.annotation($0)) }

        let reversed = folder.appendingPathComponent("reversed.jsonl")
        // Annotations first, with an article in between, a blank line and a CRLF line end.
        try Self.write(
            Array(annotationLines[..<20]) + [articleLines[0], "", annotationLines[20] + "\r"] + annotationLines[21...]
                + articleLines[1...], to: reversed)
        let source = try ImportSource.scan(paths: [reversed.path])
        #expect(!source.articlesFirst)
        #expect(source.itemCount == 45)
        let store = try GlossDatabase.inMemory()
        let summary = try store.importItems(from: source)
        #expect(summary.articlesImported == 5 && summary.annotationsImported == 40, "\(summary)")
        #expect(summary.skipped.isEmpty && summary.updated == 0 && summary.unchanged == 0)
        #expect(try store.doctor().isHealthy)

        // The same items in export order, item by item: the same replica.
        let reference = try GlossDatabase.inMemory()
        _ = try reference.importItemsOneByOne(
            articles.map { .article($0, authoritative: true) } + annotations.map { .annotation($0) })
        #expect(try store.export(.jsonl).text == reference.export(.jsonl).text)

        // Across files: the annotations' file named first.
        let annotationsFile = folder.appendingPathComponent("a.jsonl")
        let articlesFile = folder.appendingPathComponent("b.jsonl")
        try Self.write(annotationLines, to: annotationsFile)
        try Self.write(articleLines, to: articlesFile)
        let twoFiles = try ImportSource.scan(paths: [annotationsFile.path, articlesFile.path])
        #expect(!twoFiles.articlesFirst)
        let other = try GlossDatabase.inMemory()
        let otherSummary = try other.importItems(from: twoFiles)
        #expect(otherSummary.articlesImported == 5 && otherSummary.annotationsImported == 40 && otherSummary.skipped.isEmpty)
        #expect(try other.export(.jsonl).text == reference.export(.jsonl).text)
        #expect(try other.doctor().isHealthy)
    }

    /// A file of several batches (over a MiB: lines cross the reader's chunks) holding
    /// new, updated, unchanged and repeated entries, annotations of a missing and of a
    /// deleted article: the same summary and replica as importing item by item.
    @Test func aMixedFileLargerThanABatchMatchesTheItemByItemPath() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let articles = (0..<30).map(Self.article)
        var annotations = (0..<3_200).map { Self.annotation($0, on: articles[$0 % 30]) }
        let earlier: [ImportItem] =
            articles[..<12].map { .article($0, authoritative: true) } + annotations[..<1_500].map { .annotation($0) }

        let stream = try GlossDatabase.inMemory(name: "stream", clock: TestClock().read)
        let reference = try GlossDatabase.inMemory(name: "reference", clock: TestClock().read)
        let deleted = articles[5].id
        for store in [stream, reference] {
            _ = try store.importItemsOneByOne(earlier)
            _ = try store.deleteArticle(deleted)
        }

        // Some notes changed since, an article's title changed, one article's annotations
        // left without their article, repeats of a line (the second one changed).
        for index in stride(from: 100, to: 1_400, by: 7) {
            annotations[index] = Self.annotation(index, on: articles[index % 30], note: "changed \(index)")
        }
        var changedArticle = articles[2]
        changedArticle.title = "A new title"
        var items: [ImportItem] = articles.enumerated().compactMap { index, article in
            index == 2 ? .article(changedArticle, authoritative: true) : index == 29 ? nil : .article(article, authoritative: true)
        }
        items += annotations.map { .annotation($0) }
        items.insert(.annotation(annotations[2_000]), at: 1_000)
        items.append(.annotation(Self.annotation(2_001, on: articles[2_001 % 30], note: "second thoughts")))
        items.append(.article(articles[3], authoritative: true))
        let file = folder.appendingPathComponent("mixed.jsonl")
        try Self.write(items.map(Self.line), to: file)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0 > JSONLinesReader.chunkSize)

        let source = try ImportSource.scan(paths: [file.path])
        #expect(source.itemCount == items.count)
        #expect(!source.articlesFirst)
        let batches = Counter()
        let streamed = try stream.importItems(from: source) { _ in batches.increment() }
        let expected = try reference.importItemsOneByOne(items)
        #expect(batches.value >= 4)
        #expect(streamed.articlesImported == expected.articlesImported, "\(streamed) vs \(expected)")
        #expect(streamed.annotationsImported == expected.annotationsImported, "\(streamed) vs \(expected)")
        #expect(streamed.updated == expected.updated && streamed.unchanged == expected.unchanged, "\(streamed) vs \(expected)")
        #expect(Set(streamed.skipped) == Set(expected.skipped))
        #expect(streamed.skipped.count == expected.skipped.count)
        // (Annotations of articles 12… were skipped by the first import, so most changed ones are new.)
        #expect(expected.updated > 50 && expected.unchanged > 500 && expected.skipped.count > 50, "\(expected)")
        #expect(try stream.export(.jsonl).text == reference.export(.jsonl).text)
        #expect(try stream.status().changes == reference.status().changes)
        #expect(try stream.doctor().isHealthy)
        #expect(try reference.doctor().isHealthy)
        // This replica's own seqs run without a gap.
        let own = try stream.changes(afterPosition: 0, replica: try stream.replicaInfo().id, limit: 1_000_000)
        #expect(own.map { $0.change.dot.seq } == Array(1...UInt64(own.count)))

        // Again: nothing new; only the repeated annotation flips between its two lines.
        let again = try stream.importItems(from: try ImportSource.scan(paths: [file.path]))
        let referenceAgain = try reference.importItemsOneByOne(items)
        #expect(again == referenceAgain)
        #expect(again.articlesImported == 0 && again.annotationsImported == 0 && again.updated == 2, "\(again)")
        #expect(try stream.export(.jsonl).text == reference.export(.jsonl).text)
    }

    /// A seed text a local write would refuse (a lead sentence longer than a title may
    /// be) is found by the scan: named, it stops the import before anything is written;
    /// in a folder, it is skipped with its reason.
    @Test func aSeedTextAWriteWouldRefuseIsFoundByTheScan() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = folder.appendingPathComponent("long.txt")
        try Data((" date 2016-12 " + String(repeating: "uzun ", count: 2_500) + "\n\nBody.\n").utf8).write(to: long)
        try FileManager.default.copyItem(atPath: Fixtures.seedPath, toPath: folder.appendingPathComponent("good.txt").path)
        #expect(throws: ImportError.self) { try ImportSource.scan(paths: [folder.appendingPathComponent("good.txt").path, long.path]) }
        let source = try ImportSource.scan(paths: [folder.path])
        #expect(source.itemCount == 1)
        #expect(source.skipped.map(\.path) == [long.path])
        #expect(source.skipped.first?.reason.contains("title") == true, "\(source.skipped)")
        // The in-memory API refuses it as a local write does.
        let store = try GlossDatabase.inMemory()
        let article = try SeedFormat.parse(try String(contentsOf: long, encoding: .utf8), source: "long.txt")
        #expect(throws: (any Error).self) { try store.importItems([.article(article, authoritative: false)]) }
        #expect(try store.status().changes == 0)
    }

    /// A folder of seed texts streams like a JSONL file; the counts and the replica match.
    @Test func aFolderOfSeedTextsImportsAsItemByItem() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var items: [ImportItem] = []
        for number in 0..<1_100 {
            let text = " date 2016-12 Seed \(number) başlık\n\nParagraf \(number).\n"
            try Data(text.utf8).write(to: folder.appendingPathComponent(String(format: "s%05d.txt", number)))
            items.append(.article(try SeedFormat.parse(text, source: String(format: "s%05d.txt", number)), authoritative: false))
        }
        try Data([0xff, 0xfe]).write(to: folder.appendingPathComponent("bad.txt"))
        let source = try ImportSource.scan(paths: [folder.path])
        #expect(source.itemCount == 1_100 && source.skipped.count == 1 && source.articlesFirst)
        let store = try GlossDatabase.inMemory()
        let summary = try store.importItems(from: source)
        let reference = try GlossDatabase.inMemory()
        let expected = try reference.importItemsOneByOne(items)
        #expect(summary == expected)
        #expect(try store.export(.jsonl).text == reference.export(.jsonl).text)
        #expect(try store.doctor().isHealthy)
    }
}
