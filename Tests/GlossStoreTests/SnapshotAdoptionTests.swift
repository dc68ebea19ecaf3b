import Foundation
import GlossCore
import GRDB
import Testing
@testable import GlossStore

/// A new replica adopting a snapshot ends exactly where replaying the same changes ends,
/// keeps its own identity, and refuses a damaged or crafted snapshot without keeping a
/// byte of it.
struct SnapshotAdoptionTests {
    static let corpus = "news"
    static let epoch = "0123456789abcdef0123456789abcdef"

    /// A history with merged edits, an open conflict, an edit-versus-delete conflict and
    /// a deletion, made by two replicas exchanging changes directly.
    func history() throws -> [Change] {
        let clock = TestClock()
        let (laptop, article) = try Fixtures.storeWithSeed(name: "laptop", clock: clock)
        let desktop = try GlossDatabase.inMemory(name: "desktop", clock: clock.read)
        var ids: [String] = []
        for quote in ["Musul kentini", "Irak", "DEAŞ"] {
            clock.advance()
            let made = try laptop.annotate(
                articleID: article, anchor: .quote(quote, occurrence: 1), fields: .init(note: "about \(quote)", tags: ["x"]))
            ids.append(made.id)
        }
        try Exchange.sync(laptop, desktop)
        clock.advance()
        _ = try laptop.editAnnotation(ids[0], AnnotationEdit(note: "laptop's note"))
        _ = try desktop.editAnnotation(ids[0], AnnotationEdit(note: "desktop's note", label: "LOC"))
        _ = try laptop.editAnnotation(ids[1], AnnotationEdit(addTags: ["y"]))
        _ = try desktop.deleteAnnotation(ids[1])
        _ = try laptop.deleteAnnotation(ids[2])
        try Exchange.sync(laptop, desktop)
        return try laptop.changes(afterPosition: 0, limit: 1_000_000).map(\.change)
    }

    /// A snapshot as the server builds one (GlossStore's `SnapshotBuilder`: a replica that
    /// pulled `changes` in order, its remote naming the corpus, epoch and position, compacted
    /// into a file of its own), and the claim its download announces.
    static func snapshot(of changes: [Change], in folder: URL, corpus: String = corpus, epoch: String = epoch) throws -> (
        path: String, claim: SnapshotClaim
    ) {
        let builder = try SnapshotBuilder(
            corpus: corpus, epoch: epoch, workPath: folder.appendingPathComponent("work-\(UUID().uuidString).gloss").path)
        try builder.apply(changes.map { Array($0.jsonString.utf8) }, cursor: Int64(changes.count))
        let built = try builder.finish(into: folder.appendingPathComponent("snapshot-\(UUID().uuidString).gloss").path)
        let claim = SnapshotClaim(
            corpus: corpus, epoch: epoch, position: built.position, changes: built.changes, sha256: built.sha256)
        return (built.path, claim)
    }

    /// An empty replica on disk whose remote is the corpus.
    static func freshReplica(in folder: URL, name: String = "phone") throws -> GlossDatabase {
        let store = try GlossDatabase.create(at: folder.appendingPathComponent("\(name)-\(UUID().uuidString).gloss").path, name: name)
        try store.setRemote(url: "http://127.0.0.1:1", corpus: corpus, token: "secret")
        return store
    }

    @Test func anAdoptedSnapshotIsWhatAReplayGives() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let changes = try history()
        let (path, claim) = try Self.snapshot(of: changes, in: folder)

        let phone = try Self.freshReplica(in: folder)
        let identity = try phone.replicaInfo()
        #expect(try phone.canAdoptSnapshot())
        let outcome = try phone.adoptSnapshot(at: path, claim: claim)
        #expect(outcome == .adopted(position: claim.position, changes: claim.changes, bytes: Int64(try Self.size(path))))

        let replay = try Self.freshReplica(in: folder, name: "replay")
        _ = try replay.applyPulledPage(try changes.map(PreparedChange.init), cursor: claim.position, epoch: Self.epoch)

        for format in [ExportFormat.jsonl, .json, .w3c] {
            #expect(try phone.export(format).text == replay.export(format).text)
        }
        #expect(try phone.conflicts() == replay.conflicts())
        #expect(try !phone.conflicts().isEmpty)
        #expect(try phone.doctor().isHealthy)
        // Its own identity and remote, the snapshot's position.
        #expect(try phone.replicaInfo().id == identity.id)
        let remote = try #require(try phone.remote())
        #expect(remote.token == "secret" && remote.url == "http://127.0.0.1:1")
        #expect(remote.cursor == claim.position && remote.epoch == Self.epoch && remote.pushedSeq == 0)
        #expect(try !phone.canAdoptSnapshot())
        // Still a WAL-mode replica that opens as any other.
        #expect(try phone.reader.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try GlossDatabase.open(at: phone.path).export(.jsonl).text == replay.export(.jsonl).text)
        // And it goes on writing: its first change is its own seq 1, after every clock it holds.
        let article = try #require(try phone.articles().first)
        let note = try phone.annotate(articleID: article.article.id, anchor: .quote("Musul", occurrence: 1), fields: .init(note: "new"))
        let mine = try phone.changes(afterPosition: Int64(changes.count), limit: 10).map(\.change)
        #expect(mine.count == 1 && mine.first?.dot.seq == 1 && mine.first?.entity == note.id)
        let latest = changes.map(\.timestamp).max()!
        #expect(mine.first!.timestamp > latest)
    }

    @Test func aReplicaThatHoldsDataIsNeverReplaced() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, claim) = try Self.snapshot(of: try history(), in: folder)
        let phone = try Self.freshReplica(in: folder)
        _ = try phone.importItems([.article(try SeedFormat.parse(try Fixtures.seedText, source: "seed.txt"), authoritative: false)])
        let before = try phone.export(.jsonl).text
        #expect(try !phone.canAdoptSnapshot())
        #expect(try phone.adoptSnapshot(at: path, claim: claim) == .replicaNotEmpty)
        #expect(try phone.export(.jsonl).text == before)
    }

    /// Whether the other writer still has the replica open when the copy starts (the copy
    /// then goes through the WAL and looks again under its lock) or has closed it (the copy
    /// takes the replica alone and looks again before copying), its change stays.
    @Test(arguments: [false, true]) func aChangeWrittenDuringTheAdoptionIsNeverOverwritten(otherStaysOpen: Bool) throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, claim) = try Self.snapshot(of: try history(), in: folder)
        let phone = try Self.freshReplica(in: folder)
        // Another process (another connection to the file) imports an article after the
        // replica was found empty and the snapshot checked.
        var other: GlossDatabase?
        var journal: GlossDatabase.CopyJournal?
        let outcome = try phone.adoptSnapshot(
            at: path, claim: claim,
            beforeCopy: {
                let writer = try GlossDatabase.open(at: phone.path)
                _ = try writer.importItems([.article(try SeedFormat.parse(try Fixtures.seedText, source: "seed.txt"), authoritative: false)])
                if otherStaysOpen { other = writer }
            },
            copied: { journal = $0 })
        #expect(outcome == .replicaNotEmpty)
        #expect(journal == (otherStaysOpen ? .writeAheadLog : nil))
        #expect(try phone.articles().count == 1)
        #expect(try phone.changes(afterPosition: 0, limit: 100).count == 1)
        #expect(try phone.doctor().isHealthy)
        #expect(try phone.reader.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try other?.articles().count ?? 1 == 1)
    }

    /// Alone with the replica, the copy writes the file once under a rollback journal; with
    /// another connection open it goes through the WAL. Either way the replica ends in WAL
    /// mode with no journal left, whole and sound.
    @Test func theCopySkipsTheWriteAheadLogOnlyWhenNothingElseHasTheReplicaOpen() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let changes = try history()
        let replay = try Self.freshReplica(in: folder, name: "replay")
        _ = try replay.applyPulledPage(try changes.map(PreparedChange.init), cursor: Int64(changes.count), epoch: Self.epoch)
        let expected = try replay.export(.jsonl).text
        for keepOtherOpen in [false, true] {
            let (path, claim) = try Self.snapshot(of: changes, in: folder)
            let phone = try Self.freshReplica(in: folder)
            let other = keepOtherOpen ? try GlossDatabase.open(at: phone.path) : nil
            _ = try other?.articles()
            var journal: GlossDatabase.CopyJournal?
            let outcome = try phone.adoptSnapshot(at: path, claim: claim, beforeCopy: {}, copied: { journal = $0 })
            #expect(outcome == .adopted(position: claim.position, changes: claim.changes, bytes: Int64(try Self.size(path))))
            #expect(journal == (keepOtherOpen ? .writeAheadLog : .rollback))
            #expect(try phone.reader.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
            #expect(!FileManager.default.fileExists(atPath: phone.path + "-journal"))
            #expect(try phone.export(.jsonl).text == expected)
            #expect(try other?.export(.jsonl).text ?? expected == expected)
            #expect(try phone.doctor().isHealthy)
            // The replica goes on writing and another connection sees it.
            _ = try phone.importItems([.article(try SeedFormat.parse(try Fixtures.seedText, source: "seed.txt"), authoritative: false)])
            let reopened = try GlossDatabase.open(at: phone.path)
            #expect(try reopened.export(.jsonl).text == phone.export(.jsonl).text)
            try FileManager.default.removeItem(atPath: path)
            for file in [phone.path, phone.path + "-wal", phone.path + "-shm"] { try? FileManager.default.removeItem(atPath: file) }
        }
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
