import Foundation
import GlossCore
import Testing
@testable import GlossStore

/// Corrections of an article's text: annotations follow their words or become orphans,
/// the same way on every replica, and no stale span ever crashes a reader.
struct CorrectionTests {
    /// The seed article with `edit` applied to its text.
    static func corrected(_ text: String, _ edit: (String) -> String) -> String {
        let result = edit(text)
        precondition(result != text, "the correction changed nothing")
        return result
    }

    static func replacing(_ old: String, with new: String) -> (String) -> String {
        { text in
            precondition(text.components(separatedBy: old).count == 2, "'\(old)' must occur once in the text")
            return text.replacingOccurrences(of: old, with: new)
        }
    }

    /// The placed span holds its quote in the article's text.
    static func expectOnItsWords(_ record: AnnotationRecord, in text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let target = record.annotation.target
        #expect(!record.isOrphaned, "\(record.annotation.id) is an orphan", sourceLocation: sourceLocation)
        #expect(ScalarText(text).slice(target.start, target.end) == target.exact, sourceLocation: sourceLocation)
    }

    @Test func annotationsFollowTheirWordsAndDeletedWordsBecomeOrphans() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let city = try store.annotate(articleID: article, anchor: .quote("Musul kentini", occurrence: nil), fields: .init(note: "city"))
        let fourth = try store.annotate(articleID: article, anchor: .quote("Musul", occurrence: 4), fields: .init(note: "4th"))
        let gone = try store.annotate(articleID: article, anchor: .quote("Kudüs semtinden", occurrence: nil), fields: .init(note: "gone"))
        let text = try Fixtures.seedText
        let paragraph = "Kudüs semtinden paylaşılan görüntüler kısa sürede sosyal medyada yayıldı.\n\n\n\n"
        let new = Self.corrected(text) { text in
            // A sentence inserted before everything annotated, a paragraph deleted.
            Self.replacing("Sahadan gelen", with: "Bu cümle sonradan eklendi. Sahadan gelen")(
                Self.replacing(paragraph, with: "")(text))
        }
        _ = try store.editArticle(article, title: nil, addTags: [], removeTags: [], text: new)

        let cityNow = try store.annotation(city.id)
        Self.expectOnItsWords(cityNow, in: new)
        #expect(cityNow.annotation.target.start == city.target.start, "before the insertion: it stays")
        let fourthNow = try store.annotation(fourth.id)
        Self.expectOnItsWords(fourthNow, in: new)
        #expect(fourthNow.annotation.target.exact == "Musul")
        #expect(ScalarText(new).slice(fourthNow.annotation.target.end, fourthNow.annotation.target.end + 11) == "'dan kaçan ",
                "the same occurrence of 'Musul', not another one")
        let goneNow = try store.annotation(gone.id)
        #expect(goneNow.isOrphaned)
        #expect(goneNow.annotation.target == gone.target, "an orphan keeps its last selector")
        #expect(goneNow.annotation.note == "gone", "an orphan is never dropped")
        #expect(try store.annotations(orphansOnly: true).map(\.annotation.id) == [gone.id])
        #expect(try store.doctor().isHealthy)

        // Placement is derived: the correction is the only new change.
        #expect(try store.status().changes == 5)
        // Exports: w3c keeps the orphan's quote only, brat leaves it out and says so.
        let w3c = try JSONParser.parse(try store.export(.w3c).text)
        let items = w3c["first"]?["items"]?.arrayValue ?? []
        let orphanItem = try #require(items.first { $0["id"]?.stringValue == "urn:gloss:annotation:\(gone.id)" })
        #expect(orphanItem["target"]?["selector"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == ["TextQuoteSelector"])
        guard case .files(let files, let leftOut) = try store.export(.brat) else { Issue.record("brat is files"); return }
        #expect(leftOut == 1)
        #expect(!(files.first { $0.name.hasSuffix(".ann") }?.contents.contains("Kudüs") ?? true))
        let jsonl = try store.export(.jsonl).text
        #expect(jsonl.contains(#""orphaned":true"#))
    }

    @Test func aCorrectedLetterKeepsTheAnnotationOnTheCorrectedWords() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let text = try Fixtures.seedText
        // The text had a typo inside the quote; the correction fixes it (ı for i).
        let typo = Self.corrected(text, Self.replacing("keskin nişancılarla", with: "keskın nişancılarla"))
        _ = try store.editArticle(article, title: nil, addTags: [], removeTags: [], text: typo)
        let note = try store.annotate(articleID: article, anchor: .quote("keskın nişancılarla", occurrence: nil), fields: .init(note: "n"))
        _ = try store.editArticle(article, title: nil, addTags: [], removeTags: [], text: text)
        let placed = try store.annotation(note.id)
        Self.expectOnItsWords(placed, in: text)
        #expect(placed.annotation.target.exact == "keskin nişancılarla")
        #expect(try store.doctor().isHealthy)
    }

    @Test func anOrphanCanBeEditedAndReattached() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let note = try store.annotate(articleID: article, anchor: .quote("Kudüs semtinden", occurrence: nil), fields: .init(note: "k"))
        let text = try Fixtures.seedText
        _ = try store.editArticle(
            article, title: nil, addTags: [], removeTags: [], text: Self.corrected(text, Self.replacing("Kudüs semtinden paylaşılan", with: "Paylaşılan")))
        #expect(try store.annotation(note.id).isOrphaned)
        // Its other fields stay editable though its quote no longer holds.
        _ = try store.editAnnotation(note.id, AnnotationEdit(note: "still here"))
        #expect(try store.annotation(note.id).annotation.note == "still here")
        #expect(try store.annotation(note.id).isOrphaned)
        let reattached = try store.reattach(String(note.id.prefix(8)), anchor: .quote("görüntüler kısa sürede", occurrence: nil))
        let record = try store.annotation(note.id)
        #expect(!record.isOrphaned)
        #expect(record.annotation.target == reattached.target)
        #expect(record.annotation.note == "still here")
        #expect(try store.doctor().isHealthy)
    }

    /// The state the issue found crashing `gloss show` and brat: an import replaced the
    /// text with a shorter one, leaving spans beyond it.
    @Test func aShortenedTextFromAnImportCrashesNoReader() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let last = try store.annotate(articleID: article, anchor: .quote("DEAŞ'ın yayın organları", occurrence: nil), fields: .init(note: "end"))
        let first = try store.annotate(articleID: article, anchor: .quote("Musul kentini", occurrence: nil), fields: .init(note: "start"))
        var lines = try store.export(.jsonl).text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        for index in lines.indices where lines[index]["type"]?.stringValue == "article" {
            guard case .object(var object) = lines[index] else { continue }
            object["text"] = .string(String(ScalarText(try Fixtures.seedText).slice(0, 300)))
            lines[index] = .object(object)
        }
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("short.jsonl")
        try Data(lines.map { CanonicalJSON.string($0) + "\n" }.joined().utf8).write(to: file)
        _ = try store.importItems(try ImportReader.read(paths: [file.path]).items)

        #expect(try store.annotation(last.id).isOrphaned)
        #expect(!(try store.annotation(first.id).isOrphaned))
        for format in ExportFormat.allCases { _ = try store.export(format) }
        _ = try store.search("musul")
        _ = try store.conflicts()
        #expect(try store.doctor().isHealthy)
    }

    /// Placement is a function of the annotation and the text alone: replicas that receive
    /// corrections and annotations in different orders place everything the same way.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func placementIsTheSameOnEveryReplicaWhateverTheOrder(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let clock = TestClock()
        let (first, article) = try Fixtures.storeWithSeed(name: "r0", clock: clock)
        let replicas = [first] + (try (1...2).map { try GlossDatabase.inMemory(name: "r\($0)", clock: clock.read) })
        try Exchange.sync(replicas[0], replicas[1], replicas[2])
        let words = ["Musul", "DEAŞ", "kentin", "Irak", "güvenlik güçleri", "sivil", "görüntüler", "mahalle", "su yok", "#Mosul"]
        for _ in 0..<12 {
            let replica = replicas[Int(random.next() % 3)]
            clock.advance(by: Int64(random.next() % 50) + 1)
            let text = try replica.article(article).article.text
            if random.next() % 3 == 0 {
                // A correction: a word deleted, inserted or a letter changed, at random.
                var scalars = Array(text.unicodeScalars)
                let at = Int(random.next() % UInt64(scalars.count - 20)) + 15
                switch random.next() % 3 {
                case 0: scalars.removeSubrange(at..<(at + Int(random.next() % 12) + 1))
                case 1: scalars.insert(contentsOf: " eklenen söz".unicodeScalars, at: at)
                default: scalars[at] = scalars[at] == "i" ? "ı" : "i"
                }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars)
                _ = try replica.editArticle(article, title: nil, addTags: [], removeTags: [], text: String(view))
            } else {
                let word = words[Int(random.next() % UInt64(words.count))]
                let count = ScalarText(text).occurrences(of: word).count
                guard count > 0 else { continue }
                _ = try replica.annotate(
                    articleID: article, anchor: .quote(word, occurrence: Int(random.next() % UInt64(count)) + 1), fields: .init(note: word))
            }
            // A partial exchange in a random direction.
            if random.next() % 2 == 0 {
                try Exchange.send(from: replicas[Int(random.next() % 3)], to: replicas[Int(random.next() % 3)])
            }
        }
        try Exchange.sync(replicas[2], replicas[0], replicas[1])
        let exports = try replicas.map { try $0.export(.jsonl).text }
        #expect(Set(exports).count == 1, "seed \(seed): replicas place annotations differently")
        for replica in replicas { #expect(try replica.doctor().isHealthy, "seed \(seed)") }
        // Every placed annotation sits on its quote; orphans are listed, none lost.
        let shown = try replicas[0].article(article)
        let records = try replicas[0].annotations()
        #expect(records.count == shown.annotationCount)
        for record in records where !record.isOrphaned { Self.expectOnItsWords(record, in: shown.article.text) }
    }

    /// Two replicas with the seed and one annotation on its last paragraph.
    static func correctingPair() throws -> (GlossDatabase, GlossDatabase, String, String, TestClock) {
        let clock = TestClock()
        let (laptop, article) = try Fixtures.storeWithSeed(name: "laptop", clock: clock)
        let note = try laptop.annotate(articleID: article, anchor: .quote("bağımsız kaynaklarca", occurrence: nil), fields: .init(note: "son"))
        let desktop = try GlossDatabase.inMemory(name: "desktop", clock: clock.read)
        try Exchange.sync(laptop, desktop)
        clock.advance()
        return (laptop, desktop, article, note.id, clock)
    }

    @Test func concurrentCorrectionsInDifferentPlacesMerge() throws {
        let (laptop, desktop, article, note, clock) = try Self.correctingPair()
        let text = try Fixtures.seedText
        let early = Self.replacing("keskin nişancılarla", with: "keskin nişancı ateşiyle")
        let late = Self.replacing("dolaşıma soktu", with: "yaydı")
        _ = try laptop.editArticle(article, title: nil, addTags: [], removeTags: [], text: early(text))
        clock.advance()
        _ = try desktop.editArticle(article, title: nil, addTags: ["düzeltildi"], removeTags: [], text: late(text))
        try Exchange.sync(laptop, desktop)
        let merged = late(early(text))
        for replica in [laptop, desktop] {
            let record = try replica.article(article)
            #expect(record.article.text == merged, "both corrections stay")
            #expect(record.conflicts == nil, "corrections in different places are no conflict")
            #expect(record.article.tags == ["düzeltildi"])
            Self.expectOnItsWords(try replica.annotation(note), in: merged)
            #expect(try replica.doctor().isHealthy)
        }
        #expect(try laptop.export(.jsonl).text == desktop.export(.jsonl).text)
    }

    @Test func overlappingCorrectionsConflictUntilResolved() throws {
        let (laptop, desktop, article, note, clock) = try Self.correctingPair()
        let text = try Fixtures.seedText
        let mine = Self.replacing("bağımsız kaynaklarca", with: "bağımsız kaynaklar tarafından")(text)
        // The same word corrected two ways: a conflict, never a mix of the two.
        let theirs = Self.replacing("bağımsız kaynaklarca", with: "bağımsız kaynaklarınca")(text)
        _ = try laptop.editArticle(article, title: nil, addTags: [], removeTags: [], text: mine)
        clock.advance()
        _ = try desktop.editArticle(article, title: nil, addTags: [], removeTags: [], text: theirs)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let conflict = try #require(try replica.article(article).conflicts)
            #expect(conflict.fields.map(\.field) == ["text"])
            #expect(Set(conflict.fields[0].candidates.compactMap { $0.value?.stringValue }) == [mine, theirs], "both texts kept")
            #expect(try replica.conflicts().map(\.id) == [article])
        }
        #expect(try laptop.export(.jsonl).text == desktop.export(.jsonl).text, "the same text shown, annotations placed the same")
        _ = try laptop.resolve(article, choice: .mine)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let record = try replica.article(article)
            #expect(record.conflicts == nil)
            #expect(record.article.text == mine)
            let placed = try replica.annotation(note)
            #expect(!placed.isOrphaned && placed.annotation.target.exact.hasPrefix("bağımsız kaynaklar"), "fuzzy onto the corrected words")
            #expect(try replica.doctor().isHealthy)
        }
    }
}
