import GRDB
import GlossCore
import Testing
@testable import GlossStore

struct DoctorTests {
    @Test func aHealthyStorePasses() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        _ = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(note: "n"))
        let report = try store.doctor()
        #expect(report.isHealthy, "\(report.problems)")
        #expect(report.changes == 2)
    }

    @Test func damagedDerivedStateIsFoundAndRepaired() throws {
        let (store, article) = try Fixtures.storeWithSeed()
        let annotation = try store.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(note: "n"))
        try store.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE annotations SET shown = NULL, content = json_set(
                        (SELECT content FROM annotation_view WHERE kind = 'annotation' AND id = ?), '$.note', 'tampered')
                    WHERE rowid = (SELECT entity FROM annotation_view WHERE kind = 'annotation' AND id = ?)
                    """, arguments: [annotation.id, annotation.id])
            try db.execute(sql: "INSERT INTO search (search) VALUES ('delete-all')")
        }
        let report = try store.doctor()
        #expect(!report.isHealthy)
        #expect(report.problems.contains { $0.hasPrefix("annotations") })
        #expect(report.problems.contains { $0.hasPrefix("search") })
        let repaired = try store.doctor(repair: true)
        #expect(repaired.repaired)
        #expect(try store.doctor().isHealthy)
        #expect(try store.annotation(annotation.id).annotation.note == "n")
        #expect(try store.search("seed").isEmpty)
        #expect(try store.search("irak").count == 1)
    }

    @Test func conflictedStoresRebuildIdentically() throws {
        let clock = TestClock()
        let (a, article) = try Fixtures.storeWithSeed(name: "a", clock: clock)
        let b = try GlossDatabase.inMemory(name: "b", clock: clock.read)
        let annotation = try a.annotate(articleID: article, anchor: .range(start: 14, end: 18), fields: .init(note: "n"))
        try Exchange.sync(a, b)
        _ = try a.editAnnotation(annotation.id, AnnotationEdit(note: "A"))
        _ = try b.editAnnotation(annotation.id, AnnotationEdit(note: "B"))
        try b.deleteArticle(article)
        try Exchange.sync(a, b)
        for replica in [a, b] {
            let report = try replica.doctor()
            #expect(report.isHealthy, "\(report.problems)")
        }
    }
}
