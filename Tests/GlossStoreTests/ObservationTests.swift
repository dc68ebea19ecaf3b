import Foundation
import GlossCore
import Testing

@testable import GlossStore

/// Observation for screens: each sequence yields the current value, then one value per
/// change that altered it, whether the change was made here or arrived from another replica.
@Suite struct ObservationTests {
    /// Reads the next value, failing after `seconds` instead of hanging.
    func next<Value: Sendable>(
        _ iterator: inout AsyncThrowingStream<Value, any Error>.Iterator, within seconds: Double = 5
    ) async throws -> Value? {
        nonisolated(unsafe) var moved = iterator
        let value = try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await moved.next() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                throw CancellationError()
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        iterator = moved
        return value
    }

    @Test func annotationsOfAnArticleFollowLocalEditsAndPulledChanges() async throws {
        let clock = TestClock()
        let (laptop, article) = try Fixtures.storeWithSeed(name: "laptop", clock: clock)
        let desktop = try GlossDatabase.inMemory(name: "desktop", clock: clock.read)
        try Exchange.sync(laptop, desktop)
        var updates = laptop.annotationUpdates(articleID: article).makeAsyncIterator()
        #expect(try await next(&updates)?.isEmpty == true, "the current value first")

        let made = try laptop.annotate(
            articleID: article, anchor: .quote("Musul", occurrence: 1), fields: .init(note: "the city"))
        #expect(try await next(&updates)?.map(\.annotation.id) == [made.id])

        _ = try laptop.editAnnotation(made.id, AnnotationEdit(note: "Mosul"))
        #expect(try await next(&updates)?.first?.annotation.note == "Mosul")

        // An annotation made on another replica arrives as a pulled change.
        let other = try desktop.annotate(
            articleID: article, anchor: .quote("Kudüs", occurrence: 1), fields: .init(note: "from the desktop"))
        try Exchange.send(from: desktop, to: laptop)
        #expect(try await next(&updates)?.map(\.annotation.id).sorted() == [made.id, other.id].sorted())

        _ = try laptop.deleteAnnotation(made.id)
        #expect(try await next(&updates)?.map(\.annotation.id) == [other.id])
    }

    @Test func articlesSearchAndConflictsUpdate() async throws {
        let clock = TestClock()
        let (laptop, article) = try Fixtures.storeWithSeed(name: "laptop", clock: clock)
        let made = try laptop.annotate(
            articleID: article, anchor: .quote("Musul", occurrence: 1), fields: .init(note: "first note"))
        let desktop = try GlossDatabase.inMemory(name: "desktop", clock: clock.read)
        try Exchange.sync(laptop, desktop)

        var articles = laptop.articleUpdates().makeAsyncIterator()
        #expect(try await next(&articles)?.map(\.article.id) == [article])
        var search = laptop.searchUpdates("zeytinlik").makeAsyncIterator()
        #expect(try await next(&search)?.isEmpty == true)
        var conflicts = laptop.conflictUpdates().makeAsyncIterator()
        #expect(try await next(&conflicts)?.isEmpty == true)

        _ = try laptop.editAnnotation(made.id, AnnotationEdit(note: "zeytinlik yanında"))
        #expect(try await next(&search)?.map(\.id) == [made.id])
        clock.advance()
        _ = try desktop.editAnnotation(made.id, AnnotationEdit(note: "another note"))
        try Exchange.sync(laptop, desktop)
        let open = try await next(&conflicts)
        #expect(open?.map(\.id) == [made.id], "the concurrent notes conflict")
        _ = try laptop.resolve(made.id, choice: .mine)
        #expect(try await next(&conflicts)?.isEmpty == true)
    }

    @Test func aSearchWithoutWordsEndsWithTheError() async throws {
        let (store, _) = try Fixtures.storeWithSeed()
        await #expect(throws: StoreError.invalid(.missingField("search words"))) {
            for try await _ in store.searchUpdates("  ,, ") {}
        }
    }

    @Test func unpushedCountFollowsLocalChanges() async throws {
        let (store, article) = try Fixtures.storeWithSeed()
        var counts = store.unpushedCountUpdates().makeAsyncIterator()
        #expect(try await next(&counts) == 1, "the imported article")
        _ = try store.annotate(articleID: article, anchor: .quote("Musul", occurrence: 1), fields: .init(note: "n"))
        #expect(try await next(&counts) == 2)
    }
}
