import Foundation
import GlossCore
import GlossStore
import Testing
@testable import GlossSync

/// A replica the server refuses as behind its compaction floor rebuilds itself from the
/// server's current state and makes its unacknowledged changes again on top of it:
/// nothing deleted comes back unasked, nothing it wrote is lost.
struct RebuildTests {
    static func connect(_ store: GlossDatabase, as name: String, to server: FakeServer) throws {
        server.users["t-\(name)"] = name
        try store.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-\(name)", cacert: nil)
    }

    static func jsonl(_ store: GlossDatabase) throws -> String {
        guard case .document(let text) = try store.export(.jsonl) else { return "" }
        return text
    }

    @Test func anOfflineReplicaBehindTheFloorRebuildsKeepingWhatItWrote() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try Self.connect(ayse, as: "ayse", to: server)
        let deleted = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[0], note: "to go")
        let edited = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[1], note: "first")
        let untouched = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[2], note: "same")
        try sync(ayse, server.transport())

        let bora = try GlossDatabase.inMemory(name: "bora", clock: StepClock(1_480_560_000_000).read)
        try Self.connect(bora, as: "bora", to: server)
        try sync(bora, server.transport())
        let oldID = try bora.replicaInfo().id

        // Bora, offline: edits the note of one annotation Ayşe will delete and of one she
        // will tag, and writes a new one.
        _ = try bora.editAnnotation(deleted.id, AnnotationEdit(note: "kept by bora"))
        _ = try bora.editAnnotation(edited.id, AnnotationEdit(note: "bora's note"))
        let fresh = try SyncFixtures.annotate(bora, article: article, SyncFixtures.quotes[3], note: "new")
        #expect(try bora.remote()?.basis?.after == server.log.count.toInt64)

        // Ayşe deletes one, tags the other; the server compacts past Bora (retired): the
        // tagged annotation's first version goes, only its latest stays.
        _ = try ayse.deleteAnnotation(deleted.id)
        _ = try ayse.editAnnotation(edited.id, AnnotationEdit(addTags: ["checked"]))
        try sync(ayse, server.transport())
        server.compact(keepingOnlyTheLatestOf: edited.id)
        server.compact(keepingOnlyTheLatestOf: deleted.id)
        server.floor = Int64(server.log.count)

        let transport = server.transport()
        let report = try sync(bora, transport)
        let rebuild = try #require(report.rebuild, "\(report)")
        #expect(rebuild.previousReplica == oldID)
        #expect(rebuild.replica == (try bora.replicaInfo().id) && rebuild.replica != oldID)
        #expect(rebuild.carried == 3)
        #expect(rebuild.outcome == {
            var outcome = RebuildOutcome()
            outcome.madeAgain = 3
            outcome.besideConcurrent = 1
            return outcome
        }())
        #expect(try bora.unpushedCount() == 0)
        #expect(try !bora.rebuildPending())

        // The deletion meanwhile and Bora's edit stand as a conflict, not a resurrection.
        let kept = try bora.annotation(deleted.id)
        #expect(kept.conflicts?.json.objectValue?.isEmpty == false, "\(kept)")
        #expect(kept.annotation.note == "kept by bora")
        // Both edits of the other merged: Ayşe's tag and Bora's note.
        let merged = try bora.annotation(edited.id)
        #expect(merged.annotation.note == "bora's note")
        #expect(merged.annotation.tags.contains("checked"))
        #expect(merged.conflicts == nil)
        #expect(try bora.annotation(fresh.id).annotation.note == "new")
        #expect(try bora.annotation(untouched.id).annotation.note == "same")

        // Ayşe gets exactly the same corpus; both logs pass the doctor with the server's gaps.
        try sync(ayse, server.transport())
        try sync(bora, server.transport())
        #expect(try Self.jsonl(ayse) == Self.jsonl(bora))
        #expect(try ayse.doctor().isHealthy)
        let doctor = try bora.doctor()
        #expect(doctor.isHealthy, "\(doctor.problems)")
        // Every push after the rebuild said it was made at or above the floor.
        let last = try #require(server.pushedSeen.last ?? nil)
        #expect(last.after >= server.floor)
    }

    @Test func aReplicaWithNothingUnpushedRebuildsToTheSameState() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try Self.connect(ayse, as: "ayse", to: server)
        try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[0], note: "one")
        try sync(ayse, server.transport())
        let bora = try GlossDatabase.inMemory(name: "bora", clock: StepClock(1_480_560_000_000).read)
        try Self.connect(bora, as: "bora", to: server)
        try sync(bora, server.transport())
        let note = try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[1], note: "two")
        _ = try ayse.editAnnotation(note.id, AnnotationEdit(note: "two, edited"))
        try sync(ayse, server.transport())
        server.compact(keepingOnlyTheLatestOf: note.id)
        server.floor = Int64(server.log.count)

        let report = try sync(bora, server.transport())
        #expect(report.rebuild?.carried == 0)
        #expect(report.rebuild?.outcome?.madeAgain == 0)
        #expect(try Self.jsonl(ayse) == Self.jsonl(bora))
        let doctor = try bora.doctor()
        #expect(doctor.isHealthy, "\(doctor.problems)")
    }

    @Test func aRebuildInterruptedAfterItBeganIsFinishedByTheNextSync() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try Self.connect(ayse, as: "ayse", to: server)
        try sync(ayse, server.transport())
        let bora = try GlossDatabase.inMemory(name: "bora", clock: StepClock(1_480_560_000_000).read)
        try Self.connect(bora, as: "bora", to: server)
        try sync(bora, server.transport())
        let written = try SyncFixtures.annotate(bora, article: article, SyncFixtures.quotes[4], note: "offline")
        try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[5], note: "meanwhile")
        try sync(ayse, server.transport())
        server.floor = Int64(server.log.count)

        // The server refuses; the replica begins its rebuild and the process dies before the pull.
        let start = try bora.beginRebuild()
        #expect(start.carriedEntities == 1)
        #expect(try bora.rebuildPending())
        #expect(try bora.canAdoptSnapshot() == false)
        #expect(throws: StoreError.self) { try bora.annotation(written.id) }

        let report = try sync(bora, server.transport())
        #expect(report.rebuild?.outcome?.madeAgain == 1)
        #expect(try bora.annotation(written.id).annotation.note == "offline")
        try sync(ayse, server.transport())
        #expect(try ayse.annotation(written.id).annotation.note == "offline")
        #expect(try Self.jsonl(ayse) == Self.jsonl(bora))
    }

    @Test func pushesSayWhereTheirChangesWereMade() throws {
        let server = FakeServer()
        let (ayse, article) = try SyncFixtures.replica(name: "ayse")
        try Self.connect(ayse, as: "ayse", to: server)
        // Never pulled: made at 0, with no epoch.
        try sync(ayse, server.transport())
        #expect(server.pushedSeen.first == PullPosition(after: 0, epoch: nil))
        let pulledTo = try #require(try ayse.remote()).cursor
        // A change made now is made at the cursor; the basis stays while any is unacknowledged.
        try SyncFixtures.annotate(ayse, article: article, SyncFixtures.quotes[0])
        #expect(try ayse.remote()?.basis == PullPosition(after: pulledTo, epoch: server.epoch))
        try sync(ayse, server.transport())
        #expect(server.pushedSeen.last == PullPosition(after: pulledTo, epoch: server.epoch))
        #expect(try ayse.remote()?.basis == nil)
    }
}

extension Int {
    fileprivate var toInt64: Int64 { Int64(self) }
}
