import Foundation
import GlossCore
@testable import GlossServer
import HTTPTypes
import HummingbirdTesting
import Testing

/// `exclude=REPLICA` on a pull: the puller's own changes are passed over (it holds them),
/// the cursor still moves past them, and a page never scans without bound.
@Suite struct ExcludeOwnChangesTests {
    @Test(arguments: TestBackend.enabled) func aPullPassesOverThePullersOwnChangesButItsCursorMovesPastThem(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var mine = ReplicaLog()
            var theirs = ReplicaLog()
            // Positions 1–3 mine, 4–5 theirs, 6 mine.
            let first = (0..<3).map { mine.put(sampleArticle($0)) }
            let others = (3..<5).map { theirs.put(sampleArticle($0)) }
            let last = mine.put(sampleArticle(5))
            try expectPushed(try await client.push(token: server.ayse, replica: mine.replica, changes: first), stored: 3, duplicates: 0, maxSeq: 3)
            try expectPushed(try await client.push(token: server.bora, replica: theirs.replica, changes: others), stored: 2, duplicates: 0, maxSeq: 2)
            try expectPushed(try await client.push(token: server.ayse, replica: mine.replica, changes: [last]), stored: 1, duplicates: 0, maxSeq: 4)

            let page = try await client.pullPage(token: server.ayse, query: "after=0&exclude=\(mine.replica)")
            #expect(page.changes.map(\.dot) == others.map(\.dot))
            #expect(page.cursor == 6, "the cursor moves past the puller's own last change too")
            #expect(page.more == false)

            // Paged by 1: the first page passes over 1–3 and stops after 4.
            let small = try await client.pullPage(token: server.ayse, query: "after=0&limit=1&exclude=\(mine.replica)")
            #expect(small.changes.map(\.dot) == [others[0].dot])
            #expect(small.cursor == 4)
            #expect(small.more == true)
            // From 5 on only the puller's own change remains: an empty page whose cursor moved.
            let tail = try await client.pullPage(token: server.ayse, query: "after=5&exclude=\(mine.replica)")
            #expect(tail.changes.isEmpty)
            #expect(tail.cursor == 6)
            #expect(tail.more == false)

            // The other replica sees everything but its own; without exclude, everything.
            let seenByOther = try await client.pullPage(token: server.bora, query: "after=0&exclude=\(theirs.replica)")
            #expect(seenByOther.changes.map(\.dot) == (first + [last]).map(\.dot))
            #expect(try await client.pullAll(token: server.ayse).count == 6)
        }
    }

    @Test(arguments: TestBackend.enabled) func aPageScansAtMostTenTimesItsLimitOfTheExcludedReplicasChanges(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var mine = ReplicaLog()
            var theirs = ReplicaLog()
            let own = (0..<25).map { mine.put(sampleArticle($0)) }
            let other = theirs.put(sampleArticle(99))
            try expectPushed(try await client.push(token: server.ayse, replica: mine.replica, changes: own), stored: 25, duplicates: 0, maxSeq: 25)
            try expectPushed(try await client.push(token: server.bora, replica: theirs.replica, changes: [other]), stored: 1, duplicates: 0, maxSeq: 1)
            // limit 2 ⇒ at most 20 rows per page: empty pages that move, until the other's change.
            var cursor: Int64 = 0
            var cursors: [Int64] = []
            var received: [Dot] = []
            for _ in 0..<10 {
                let page = try await client.pullPage(token: server.ayse, query: "after=\(cursor)&limit=2&exclude=\(mine.replica)")
                #expect(page.cursor > cursor || !page.more, "a page that says more moved its cursor")
                received += page.changes.map(\.dot)
                cursor = page.cursor
                cursors.append(cursor)
                if !page.more { break }
            }
            #expect(cursors == [20, 26])
            #expect(received == [other.dot])
        }
    }

    @Test(arguments: TestBackend.enabled) func aLongPollAnswersWhenOnlyThePullersOwnChangesArrive(backend: TestBackend) async throws {
        try await TestServer.with(backend: backend) { server, client in
            var mine = ReplicaLog()
            let change = mine.put(sampleArticle())
            async let polled = client.pullPage(token: server.ayse, query: "after=0&wait=60&exclude=\(mine.replica)")
            try await waitForParkedPolls(server)
            try expectPushed(try await client.push(token: server.ayse, replica: mine.replica, changes: [change]), stored: 1, duplicates: 0, maxSeq: 1)
            // Timed from the push's answer, so a slow push on a loaded machine cannot count.
            let started = ContinuousClock.now
            let page = try await polled
            #expect(page.changes.isEmpty)
            #expect(page.cursor == 1, "the poll answers with the moved cursor")
            #expect(ContinuousClock.now - started < .seconds(30), "without waiting out the 60 s poll")
        }
    }

    @Test(
        arguments: TestBackend.enabled,
        ["", "abc", "3jqqwbkm4hpq50a2a38a1ggfdt", "3JQQWBKM4HPQ50A2A38A1GGFD%21", "3JQQWBKM4HPQ50A2A38A1GGFDTX", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"])
    func anExcludeThatIsNotAReplicaIDIsRefused(backend: TestBackend, value: String) async throws {
        try await TestServer.with(backend: backend) { server, client in
            expectRefused(try await client.pull(token: server.ayse, query: "exclude=\(value)"), .badRequest, "bad_request")
        }
    }
}
