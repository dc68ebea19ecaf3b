import GlossCore
import Testing
@testable import GlossStore

/// Two or three replicas exchanging changes directly: the store's side of the merge rules.
struct ReplicaMergeTests {
    /// Laptop and desktop share the seed article and one annotation on it.
    func pair() throws -> (laptop: GlossDatabase, desktop: GlossDatabase, article: String, annotation: String, clock: TestClock) {
        let clock = TestClock()
        let (laptop, article) = try Fixtures.storeWithSeed(name: "laptop", clock: clock)
        let annotation = try laptop.annotate(
            articleID: article, anchor: .quote("Musul kentini", occurrence: nil),
            fields: .init(note: "the city", tags: ["city", "iraq"], label: "LOC"))
        let desktop = try GlossDatabase.inMemory(name: "desktop", clock: clock.read)
        try Exchange.sync(laptop, desktop)
        clock.advance()
        return (laptop, desktop, article, annotation.id, clock)
    }

    @Test func disjointFieldsMerge() throws {
        let (laptop, desktop, _, id, clock) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "Mosul"))
        clock.advance()
        _ = try desktop.editAnnotation(id, AnnotationEdit(label: "GPE"))
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let record = try replica.annotation(id)
            #expect(record.annotation.note == "Mosul")
            #expect(record.annotation.label == "GPE")
            #expect(record.conflicts == nil)
        }
        #expect(try laptop.export(.json).text == desktop.export(.json).text)
    }

    @Test func tagsMergeAsSetsAgainstTheAncestor() throws {
        let (laptop, desktop, _, id, _) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(addTags: ["battle"]))
        _ = try desktop.editAnnotation(id, AnnotationEdit(removeTags: ["iraq"]))
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            #expect(try replica.annotation(id).annotation.tags == ["battle", "city"])
            #expect(try replica.conflicts().isEmpty)
        }
    }

    @Test func sameFieldEditsConflictEverywhereAndKeepBothValues() throws {
        let (laptop, desktop, _, id, clock) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "laptop's note"))
        clock.advance()
        _ = try desktop.editAnnotation(id, AnnotationEdit(note: "desktop's note"))
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let record = try replica.annotation(id)
            let conflict = try #require(record.conflicts?.fields.first)
            #expect(conflict.field == "note")
            #expect(conflict.candidates.map(\.value) == [.string("desktop's note"), .string("laptop's note")])
            // The later edit is displayed meanwhile, on both replicas.
            #expect(record.annotation.note == "desktop's note")
            #expect(try replica.conflicts().map(\.id) == [id])
        }
        #expect(try laptop.export(.json).text == desktop.export(.json).text)
    }

    @Test func aResolutionOnOneReplicaEndsTheConflictEverywhere() throws {
        let (laptop, desktop, _, id, clock) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "laptop's note"))
        _ = try desktop.editAnnotation(id, AnnotationEdit(note: "desktop's note"))
        try Exchange.sync(laptop, desktop)
        clock.advance()
        try laptop.resolve(id, choice: .mine)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            #expect(try replica.conflicts().isEmpty)
            #expect(try replica.annotation(id).annotation.note == "laptop's note")
        }
        #expect(throws: StoreError.notConflicted(id)) { try desktop.resolve(id, choice: .mine) }
    }

    @Test func resolveByTheirsPickOrNewValue() throws {
        for mode in 0..<3 {
            let (laptop, desktop, _, id, _) = try pair()
            _ = try laptop.editAnnotation(id, AnnotationEdit(note: "L"))
            _ = try desktop.editAnnotation(id, AnnotationEdit(note: "D"))
            try Exchange.sync(laptop, desktop)
            let desktopVersion = try #require(try laptop.conflicts().first?.versions.first { !$0.isLocal }?.dot)
            switch mode {
            case 0: try laptop.resolve(id, choice: .theirs)
            case 1: try laptop.resolve(id, choice: .pick(String(desktopVersion.description.prefix(8))))
            default: try laptop.resolve(id, choice: .none, overrides: ["note": .string("both")])
            }
            try Exchange.sync(laptop, desktop)
            #expect(try desktop.annotation(id).annotation.note == (mode == 2 ? "both" : "D"))
            #expect(try desktop.conflicts().isEmpty)
        }
    }

    @Test func editAgainstDeleteIsAConflictNotALoss() throws {
        let (laptop, desktop, _, id, _) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "still needed"))
        try desktop.deleteAnnotation(id)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let record = try replica.annotation(id)
            #expect(record.annotation.note == "still needed")
            #expect(record.conflicts?.deletedBy.count == 1)
        }
        // Choosing the deletion deletes it everywhere.
        try desktop.resolve(id, choice: .mine)
        try Exchange.sync(laptop, desktop)
        #expect(try laptop.annotations().isEmpty)
        #expect(try laptop.conflicts().isEmpty)
    }

    @Test func identicalConcurrentEditsAreNotAConflict() throws {
        let (laptop, desktop, _, id, _) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "same"))
        _ = try desktop.editAnnotation(id, AnnotationEdit(note: "same"))
        try Exchange.sync(laptop, desktop)
        #expect(try laptop.conflicts().isEmpty)
        #expect(try desktop.annotation(id).annotation.note == "same")
    }

    @Test func anUnrelatedEditOnAConflictedAnnotationKeepsTheConflict() throws {
        let (laptop, desktop, _, id, _) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "L", label: "PER"))
        _ = try desktop.editAnnotation(id, AnnotationEdit(note: "D", label: "ORG"))
        try Exchange.sync(laptop, desktop)
        let outcome = try laptop.editAnnotation(id, AnnotationEdit(addTags: ["checked"], label: "LOC"))
        #expect(outcome.settled == ["label"])
        #expect(outcome.stillConflicted == ["note"])
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let record = try replica.annotation(id)
            #expect(record.annotation.label == "LOC")
            #expect(record.annotation.tags.contains("checked"))
            let note = try #require(record.conflicts?.fields.first)
            #expect(note.field == "note")
            #expect(Set(note.candidates.compactMap(\.value)) == [.string("L"), .string("D")])
        }
        try desktop.resolve(id, choice: .pick(try #require(try desktop.conflicts().first?.conflicts.fields.first?.candidates.last?.origin.description)))
        try Exchange.sync(laptop, desktop)
        #expect(try laptop.conflicts().isEmpty)
    }

    @Test func articleDeletedWhileAnnotatedElsewhereIsAConflict() throws {
        let (laptop, desktop, article, _, _) = try pair()
        try laptop.deleteArticle(article)
        let fresh = try desktop.annotate(articleID: article, anchor: .quote("DEAŞ", occurrence: 1), fields: .init(note: "new"))
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            let record = try replica.article(article)
            #expect(record.conflicts?.deletedBy.count == 1)
            #expect(try replica.annotations(articleID: article).contains { $0.annotation.id == fresh.id })
        }
        // Keeping the article (the annotator's side) settles it on both.
        try laptop.resolve(article, choice: .theirs)
        try Exchange.sync(laptop, desktop)
        for replica in [laptop, desktop] {
            #expect(try replica.conflicts().isEmpty)
            #expect(try replica.article(article).conflicts == nil)
            #expect(try replica.doctor().isHealthy)
        }
    }

    @Test func articleDeletionThatSawEveryAnnotationIsNoConflict() throws {
        let (laptop, desktop, article, _, _) = try pair()
        try desktop.deleteArticle(article)
        try Exchange.sync(laptop, desktop)
        #expect(try laptop.articles().isEmpty)
        #expect(try laptop.conflicts().isEmpty)
    }

    @Test func threeReplicasInAnyOrderConvergeToTheSameExport() throws {
        let (laptop, desktop, _, id, clock) = try pair()
        let phone = try GlossDatabase.inMemory(name: "phone", clock: clock.read)
        try Exchange.sync(laptop, phone)
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "L"))
        clock.advance()
        _ = try desktop.editAnnotation(id, AnnotationEdit(note: "D", addTags: ["d"]))
        clock.advance()
        _ = try phone.editAnnotation(id, AnnotationEdit(removeTags: ["city"], color: "yellow"))
        // Different delivery orders.
        try Exchange.send(from: phone, to: desktop)
        try Exchange.send(from: desktop, to: laptop)
        try Exchange.send(from: laptop, to: phone)
        try Exchange.sync(phone, laptop, desktop)
        let exports = try [laptop, desktop, phone].map { try $0.export(.json).text }
        #expect(Set(exports).count == 1)
        let record = try laptop.annotation(id)
        #expect(record.annotation.tags == ["d", "iraq"])
        #expect(record.annotation.color == "yellow")
        #expect(record.conflicts?.fields.map(\.field) == ["note"])
        for replica in [laptop, desktop, phone] { #expect(try replica.doctor().isHealthy) }
    }

    @Test func duplicatesAndRetriesAreHarmless() throws {
        let (laptop, desktop, _, id, _) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "x"))
        let first = try Exchange.send(from: laptop, to: desktop)
        let second = try Exchange.send(from: laptop, to: desktop)
        #expect(first.applied == 1)
        #expect(second.applied == 0 && second.duplicates == first.duplicates + 1)
        #expect(try desktop.status().changes == laptop.status().changes)
    }

    @Test func invalidRemoteChangesAreRefusedAndNothingIsApplied() throws {
        let (laptop, desktop, _, id, _) = try pair()
        _ = try laptop.editAnnotation(id, AnnotationEdit(note: "ok"))
        var changes = try laptop.changes(afterPosition: 0).map(\.change)
        let before = try desktop.status().changes
        var forged = changes[changes.count - 1]
        forged.content = #"{"article":"nope","target":{}}"#
        changes[changes.count - 1] = forged
        #expect(throws: StoreError.self) { try desktop.applyRemote(changes) }
        #expect(try desktop.status().changes == before)
    }
}

extension ReplicaMergeTests {
    /// A change from elsewhere whose quote no longer matches this replica's text (its
    /// author had a corrected text, say) is stored and shown, never a poison pill that
    /// stops every later sync.
    @Test func aRemoteAnnotationWithAStaleQuoteDoesNotBlockTheSync() throws {
        let (laptop, desktop, article, _, _) = try pair()
        let stale = Annotation(
            article: article, target: TextSelector(exact: "Iran", prefix: "", suffix: "", start: 14, end: 18), note: "stale")
        let change = Change(
            dot: Dot(replica: ReplicaID.random(), seq: 1), kind: .annotation, entity: stale.id, operation: .put,
            clock: VectorClock(), timestamp: HybridTimestamp(wallMilliseconds: 1), replaces: [],
            content: CanonicalJSON.string(.object(stale.content)))
        var valid = change
        valid.clock = VectorClock([change.dot.replica: 1])
        let summary = try desktop.applyRemote([valid])
        #expect(summary.applied == 1)
        #expect(try desktop.annotation(stale.id).annotation.note == "stale")
        _ = laptop
    }
}

extension ReplicaMergeTests {
    /// A pulled change carrying this replica's id that it never made is refused, and the
    /// next local change still gets its seq.
    @Test func aForgedDotOfThisReplicaIsRefused() throws {
        let (laptop, desktop, article, _, _) = try pair()
        let own = try desktop.replicaInfo().id
        let next = UInt64(try desktop.status().localChanges + 1)
        let forged = Annotation(article: article, target: TextSelector(exact: "Irak", prefix: "", suffix: "", start: 14, end: 18))
        let change = Change(
            dot: Dot(replica: own, seq: next), kind: .annotation, entity: forged.id, operation: .put,
            clock: VectorClock([own: next]), timestamp: HybridTimestamp(wallMilliseconds: 1), replaces: [],
            content: CanonicalJSON.string(.object(forged.content)))
        #expect(throws: StoreError.self) { try desktop.applyRemote([change]) }
        let mine = try desktop.annotate(articleID: article, anchor: .range(start: 19, end: 27), fields: .init(note: "mine"))
        #expect(try desktop.log(entity: mine.id).first?.change.dot == Dot(replica: own, seq: next))
        _ = laptop
    }
}
