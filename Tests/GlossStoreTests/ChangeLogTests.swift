import Foundation
import GRDB
import GlossCore
import Testing
@testable import GlossStore

struct ChangeLogTests {
    @Test func changesCannotBeUpdatedOrDeleted() throws {
        let (store, _) = try Fixtures.storeWithSeed()
        #expect(throws: DatabaseError.self) {
            try store.writer.write { db in try db.execute(sql: "UPDATE changes SET entity = 'x'") }
        }
        #expect(throws: DatabaseError.self) {
            try store.writer.write { db in try db.execute(sql: "DELETE FROM changes") }
        }
        #expect(try store.log().count == 1)
    }

    @Test func embeddedMigrationsMatchTheSQLFiles() throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("Migrations/client")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(EmbeddedMigrations.client.map(\.name) == files.map { String($0.dropLast(4)) })
        for (migration, file) in zip(EmbeddedMigrations.client, files) {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(migration.sql == onDisk || migration.sql == onDisk + "\n" || migration.sql + "\n" == onDisk)
        }
    }

    @Test func localChangesHaveGaplessSeqsAndGrowingClocks() throws {
        let clock = TestClock()
        let (store, article) = try Fixtures.storeWithSeed(clock: clock)
        let annotation = try store.annotate(articleID: article, anchor: .quote("Irak", occurrence: 1), fields: .init(note: "a"))
        _ = try store.editAnnotation(annotation.id, AnnotationEdit(note: "b"))
        _ = try store.editAnnotation(annotation.id, AnnotationEdit(addTags: ["x"]))
        let entries = try store.log().reversed().map(\.change)
        #expect(entries.map(\.dot.seq) == [1, 2, 3, 4])
        let edits = entries.filter { $0.entity == annotation.id }
        for (older, newer) in zip(edits, edits.dropFirst()) {
            #expect(older.clock.compare(newer.clock) == .before)
            #expect(newer.replaces == [older.dot])
            #expect(older.timestamp < newer.timestamp)
        }
    }

    @Test func hybridTimestampsNeverGoBackwardsWhenTheWallClockDoes() throws {
        let clock = TestClock()
        let (store, article) = try Fixtures.storeWithSeed(clock: clock)
        clock.advance(by: -60_000)
        let annotation = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init())
        let entries = try store.log().map(\.change)
        #expect(entries[0].entity == annotation.id)
        #expect(entries[0].timestamp > entries[1].timestamp)
    }

    @Test func onDiskStoreSurvivesReopenAndRefusesSecondInit() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.gloss").path
        let store = try GlossDatabase.create(at: path, name: "x")
        let replica = try store.replicaInfo().id
        #expect(throws: StoreError.storeExists(path: path)) { try GlossDatabase.create(at: path) }
        let reopened = try GlossDatabase.open(at: path)
        #expect(try reopened.replicaInfo().id == replica)
        #expect(throws: StoreError.storeMissing(path: path + "x")) { try GlossDatabase.open(at: path + "x") }
        let journal = try reopened.reader.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test func openingAFileThatIsNotAStoreFails() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("notes.txt").path
        try Data("hello, not sqlite at all; just text that is long enough to have a header".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notAStore(path: path)) { try GlossDatabase.open(at: path) }
    }
}
