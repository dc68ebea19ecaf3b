import GRDB
import GlossCore
import Testing

@testable import GlossStore

/// Damaged stored state is reported as an error, never read as something else (no
/// conflicts, a lesser kind) and never skipped.
@Suite struct DamagedStateTests {
    func damaged(_ sql: String) throws -> (GlossDatabase, String) {
        let (store, article) = try Fixtures.storeWithSeed()
        let made = try store.annotate(articleID: article, anchor: .quote("Kudüs", occurrence: nil), fields: .init(note: "n"))
        try store.writer.write { db in try db.execute(sql: sql, arguments: [made.id]) }
        return (store, made.id)
    }

    @Test func unreadableConflictsAreReported() throws {
        let (store, id) = try damaged("UPDATE entities SET conflicts = '{\"fields\": 7' WHERE id = ?")
        #expect(throws: StoreError.self) { try store.annotations() }
        #expect(throws: StoreError.self) { try store.annotation(id) }
        #expect(throws: StoreError.self) { try store.conflicts() }
    }

    @Test func conflictsWithABadDotAreReported() throws {
        let (store, _) = try damaged(#"UPDATE entities SET conflicts = '{"fields":[],"deletedBy":["not-a-dot"]}' WHERE id = ?"#)
        #expect(throws: StoreError.self) { try store.annotations() }
    }

    @Test func anUnknownKindIsReported() throws {
        let (store, _) = try damaged("UPDATE entities SET kind = 'footnote', conflicts = '{}' WHERE id = ?")
        #expect(throws: StoreError.self) { try store.conflicts() }
    }
}
