import Foundation
import GlossCore
import GlossStore
import Testing
@testable import GlossSync

/// `GlossDatabase.compact(reclaimingSpace:)`: a replica drops versions superseded below the
/// server's floor, and nothing a user sees, or a later merge needs, changes.
struct ClientCompactionTests {
    static func jsonl(_ store: GlossDatabase) throws -> String {
        guard case .document(let text) = try store.export(.jsonl) else { return "" }
        return text
    }

    static func record(_ outcome: CompactionOutcome) throws -> CompactionRecord {
        guard case .compacted(let record) = outcome else { throw CompactionTestError.nothingStable("\(outcome)") }
        return record
    }

    enum CompactionTestError: Error { case nothingStable(String) }

    @Test func supersededVersionsBelowTheFloorGoAndNothingShownChanges() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try RebuildTests.connect(ayse, as: "ayse", to: server)
        // Never synced: nothing is known to be stable.
        guard case .nothingStable = try ayse.compact() else { Issue.record("a replica that never synced compacted"); return }

        let note = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[0], note: "v0")
        for version in 1...6 { _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "v\(version)")) }
        let contested = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[1], note: "start")
        try sync(ayse, server.transport())
        let bora = try GlossDatabase.inMemory(name: "bora", clock: StepClock(1_480_560_000_000).read)
        try RebuildTests.connect(bora, as: "bora", to: server)
        try sync(bora, server.transport())
        // A conflict: both edit the same note concurrently.
        _ = try ayse.editAnnotation(contested.id, AnnotationEdit(note: "ayşe"))
        _ = try bora.editAnnotation(contested.id, AnnotationEdit(note: "bora"))
        try sync(ayse, server.transport())
        try sync(bora, server.transport())
        try sync(ayse, server.transport())
        // The server compacted through everything; a sync with nothing to push records where
        // the log stands on the server.
        server.floor = Int64(server.log.count)
        try sync(ayse, server.transport())
        let before = try Self.jsonl(ayse)
        let historyBefore = try ayse.history(of: note.id).versions.count
        let conflictHistory = try ayse.history(of: contested.id).versions.count

        let record = try Self.record(try ayse.compact())
        // The first version (when it was created) and the last one stay.
        #expect(record.dropped == 5, "\(record)")
        #expect(record.keptConcurrent == 1)
        #expect(record.floor == server.floor)
        #expect(try Self.jsonl(ayse) == before)
        #expect(historyBefore == 7)
        #expect(try ayse.history(of: note.id).versions.count == 2)
        #expect(try ayse.history(of: contested.id).versions.count == conflictHistory)
        #expect(try ayse.conflicts().map(\.id) == [contested.id])
        let doctor = try ayse.doctor()
        #expect(doctor.isHealthy, "\(doctor.problems)")
        #expect(try ayse.compactions().count == 1)
        // Again: nothing more to drop.
        #expect(try Self.record(try ayse.compact()).dropped == 0)

        // Work goes on: a new edit syncs and merges as before, and both replicas agree.
        _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "after"))
        try sync(ayse, server.transport())
        try sync(bora, server.transport())
        #expect(try Self.jsonl(ayse) == Self.jsonl(bora))
    }

    @Test func unacknowledgedChangesAndWhatIsAboveTheFloorStay() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try RebuildTests.connect(ayse, as: "ayse", to: server)
        let note = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[0], note: "v0")
        try sync(ayse, server.transport())
        server.floor = Int64(server.log.count)
        try sync(ayse, server.transport())
        // Edited after the floor and not pushed: the first version is superseded, but by a
        // version the server has not seen.
        _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "v1"))
        _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "v2"))
        // The last sync recorded where the log stands; the entity's frontier is above it.
        let record = try Self.record(try ayse.compact())
        #expect(record.dropped == 0 && record.keptUnpushed == 2, "\(record)")
        #expect(try ayse.unpushedCount() == 2)
        try sync(ayse, server.transport())
        #expect(try ayse.history(of: note.id).versions.count == 3)
    }

    @Test func aSyncCanCompactAfterwards() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try RebuildTests.connect(ayse, as: "ayse", to: server)
        let note = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[0], note: "v0")
        _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "v1"))
        _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "v2"))
        try sync(ayse, server.transport())
        server.floor = Int64(server.log.count)
        var options = testOptions()
        options.compactAfterSync = true
        let report = try sync(ayse, server.transport(), options: options)
        #expect(try Self.record(try #require(report.compaction)).dropped == 1)
        #expect(try ayse.history(of: note.id).versions.count == 2)
    }
}
