import Foundation
import GlossCore
import GlossCurl
import GlossStore
@testable import GlossSync
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

// "A malformed, truncated, oversized or lying pull response is refused; the transaction
// rolls back and the cursor stays." Every refusal below is checked the same way
// (PullWorld.expectRefused): the sync fails with the expected error, nothing is pushed,
// every row of every table of replica A is as before (change log, derived tables, search
// index, hybrid clock, remote cursor, epoch and pushed mark), and then the honest page
// still applies.

@Suite("Pull defences: malformed pages")
struct MalformedPageTests {
    enum Body: String, CaseIterable, Sendable {
        case html, truncated, truncatedInsideChange, empty, whitespace, jsonArray, jsonNull, jsonString, trailingGarbage, twoObjects
    }

    func body(_ kind: Body, _ world: PullWorld) -> String {
        let honest = world.server.page(after: 6, limit: 1_000)
        switch kind {
        case .html: return "<html><body>502 Bad Gateway</body></html>"
        case .truncated: return String(decoding: Array(honest.utf8).prefix(honest.utf8.count / 2), as: UTF8.self)
        case .truncatedInsideChange: return String(honest.dropLast(40))
        case .empty: return ""
        case .whitespace: return " \n"
        case .jsonArray: return "[" + world.pending.map(\.jsonString).joined(separator: ",") + "]"
        case .jsonNull: return "null"
        case .jsonString: return "\"" + String(repeating: "x", count: 10) + "\""
        case .trailingGarbage: return honest + "}"
        case .twoObjects: return honest + honest
        }
    }

    @Test("a body that is not one JSON object is refused", arguments: Body.allCases)
    func notAPage(_ kind: Body) throws {
        let world = try PullWorld()
        try world.expectRefused(body(kind, world))
        try world.expectHonestPullWorks()
    }

    /// The honest page as an object, to take apart.
    enum Edit: String, CaseIterable, Sendable {
        case noChanges, noCursor, noEpoch, noMore
        case changesObject, changesString, changesNull
        case cursorString, cursorFraction, cursorNull, cursorBool, cursorHuge
        case epochNumber, epochNull, epochEmpty, epochArray
        case moreString, moreNumber, moreNull
        case changeNotObject, changeNull

        func apply(to page: inout [String: JSONValue]) {
            switch self {
            case .noChanges: page["changes"] = nil
            case .noCursor: page["cursor"] = nil
            case .noEpoch: page["epoch"] = nil
            case .noMore: page["more"] = nil
            case .changesObject: page["changes"] = ["0": page["changes"]!.arrayValue![0]]
            case .changesString: page["changes"] = "[]"
            case .changesNull: page["changes"] = .null
            case .cursorString: page["cursor"] = "9"
            case .cursorFraction: page["cursor"] = .double(8.5)
            case .cursorNull: page["cursor"] = .null
            case .cursorBool: page["cursor"] = true
            case .cursorHuge: page["cursor"] = .double(1e300)
            case .epochNumber: page["epoch"] = 12
            case .epochNull: page["epoch"] = .null
            case .epochEmpty: page["epoch"] = ""
            case .epochArray: page["epoch"] = [.string(PullWorld.firstEpoch)]
            case .moreString: page["more"] = "false"
            case .moreNumber: page["more"] = 0
            case .moreNull: page["more"] = .null
            case .changeNotObject: page["changes"] = .array(page["changes"]!.arrayValue! + [5])
            case .changeNull: page["changes"] = .array(page["changes"]!.arrayValue! + [.null])
            }
        }
    }

    @Test("a page missing a field or with a field of the wrong type is refused", arguments: Edit.allCases)
    func wrongField(_ edit: Edit) throws {
        let world = try PullWorld()
        var page = try #require(try JSONParser.parse(world.server.page(after: 6, limit: 1_000)).objectValue)
        #expect(page["changes"]?.arrayValue?.count == 3)
        edit.apply(to: &page)
        try world.expectRefused(CanonicalJSON.string(.object(page)))
        try world.expectHonestPullWorks()
    }
}

@Suite("Pull defences: cursor and page size")
struct CursorAndLimitTests {
    @Test("a cursor behind the one asked for is refused, with or without changes", arguments: [(5, 3), (5, 0), (0, 0), (-1, 0), (0, 3)])
    func cursorBackwards(cursor: Int, changes: Int) throws {
        let world = try PullWorld()
        let wires = world.pending.prefix(changes).map(\.jsonString)
        // A negative cursor is not a position at all: the wire layer refuses it before the engine compares.
        let reason = cursor < 0 ? "'cursor' must be an integer of at least 0" : "backwards"
        try world.expectRefused(world.page(Array(wires), cursor: Int64(cursor)), invalidResponse(containing: reason))
        try world.expectHonestPullWorks()
    }

    @Test("changes whose cursor did not move are refused", arguments: [1, 3])
    func cursorStill(changes: Int) throws {
        let world = try PullWorld()
        let wires = world.pending.prefix(changes).map(\.jsonString)
        try world.expectRefused(world.page(Array(wires), cursor: 6), invalidResponse(containing: "cursor moving"))
        try world.expectHonestPullWorks()
    }

    @Test("a page of more changes than the limit asked for is refused")
    func overLimit() throws {
        let world = try PullWorld()
        let options = testOptions(pageSize: 2)
        try world.expectRefused(world.page(world.pending.map(\.jsonString)), options: options, invalidResponse(containing: "more than the 2"))
        // Exactly at the limit is fine, and the honest server's pages follow one another.
        let transport = world.server.transport()
        let report = try sync(world.a, transport, options: options)
        #expect(report.pulled == 3 && report.applied == 3)
        #expect(transport.pullAfters == [6, 8])
        #expect(transport.requests.allSatisfy { $0.path.contains("limit=2") })
        #expect(try world.aRemote.cursor == 9)
    }

    @Test("an empty page that says more remain but does not move the cursor is refused, not pulled forever")
    func emptyPageWithMore() throws {
        // The engine pulls again from the same cursor as long as `more` is true: a server
        // answering this forever would keep the client looping. The test's server gives up
        // after 20 pulls so the run ends either way.
        let world = try PullWorld()
        let before = try StoreSnapshot(world.a)
        var pulls = 0
        world.server.pullOverride = { _, _, _ in
            pulls += 1
            return pulls > 20
                ? FakeServer.error(400, "bad_request", "the test's server gave up") : FakeServer.ok(world.page([], cursor: 6, more: true))
        }
        let transport = world.server.transport()
        do {
            let report = try sync(world.a, transport)
            Issue.record("the sync succeeded: \(report.summary)")
        } catch {
            #expect(isInvalidResponse(error), "the engine should refuse the page, not \(error)")
        }
        #expect(transport.pullAfters.count <= 2, "the engine pulled \(transport.pullAfters.count) times from cursor 6")
        world.server.pullOverride = nil
        try expectUnchanged(world.a, since: before)
        try world.expectHonestPullWorks()
    }
}

@Suite("Pull defences: changes in a page")
struct PageChangeTests {
    /// Ways to spoil the wire JSON of B's third pending change.
    enum Spoil: String, CaseIterable, Sendable {
        case replicaLowercase, replicaShort, replicaNumber, replicaMissing
        case seqZero, seqNegative, seqString, seqFraction, seqMissing
        case clockWithoutOwnDot, clockOwnDotBehind, clockOwnDotAhead, clockNotObject, clockBadReplica, clockZero
        case kindUnknown, entityArticleIDForAnnotation, entityUppercase, opUnknown
        case putWithoutContent, deleteWithContent, contentString, contentArray
        case timeMissing, timeText, replacesNotInClock, replacesOwnDot, replacesNotDot, authorNumber

        func apply(to change: inout [String: JSONValue], article: String, other: ReplicaID) {
            let replica = change["replica"]!.stringValue!
            let seq = change["seq"]!.intValue!
            var clock = change["clock"]!.objectValue!
            switch self {
            case .replicaLowercase: change["replica"] = .string(replica.lowercased())
            case .replicaShort: change["replica"] = .string(String(replica.dropLast()))
            case .replicaNumber: change["replica"] = 42
            case .replicaMissing: change["replica"] = nil
            case .seqZero: change["seq"] = 0
            case .seqNegative: change["seq"] = -6
            case .seqString: change["seq"] = .string("\(seq)")
            case .seqFraction: change["seq"] = .double(Double(seq) + 0.5)
            case .seqMissing: change["seq"] = nil
            case .clockWithoutOwnDot:
                clock[replica] = nil
                change["clock"] = .object(clock)
            case .clockOwnDotBehind:
                clock[replica] = .int(seq - 1)
                change["clock"] = .object(clock)
            case .clockOwnDotAhead:
                clock[replica] = .int(seq + 1)
                change["clock"] = .object(clock)
            case .clockNotObject: change["clock"] = .array([.string("\(replica):\(seq)")])
            case .clockBadReplica:
                clock["not-a-replica"] = 1
                change["clock"] = .object(clock)
            case .clockZero:
                clock[other.description] = 0
                change["clock"] = .object(clock)
            case .kindUnknown: change["kind"] = "note"
            case .entityArticleIDForAnnotation: change["entity"] = .string(article)
            case .entityUppercase: change["entity"] = .string(change["entity"]!.stringValue!.uppercased())
            case .opUnknown: change["op"] = "patch"
            case .putWithoutContent: change["content"] = nil
            case .deleteWithContent: change["op"] = "delete"
            case .contentString: change["content"] = "{}"
            case .contentArray: change["content"] = [1, 2]
            case .timeMissing: change["time"] = nil
            case .timeText: change["time"] = "yesterday"
            case .replacesNotInClock: change["replaces"] = [.string(Dot(replica: other, seq: 99).description)]
            case .replacesOwnDot: change["replaces"] = [.string("\(replica):\(seq)")]
            case .replacesNotDot: change["replaces"] = ["latest"]
            case .authorNumber: change["author"] = 7
            }
        }
    }

    @Test("a malformed change refuses its whole page, valid changes before it included", arguments: Spoil.allCases)
    func malformedChange(_ spoil: Spoil) throws {
        let world = try PullWorld()
        let spoiled = try world.pending[2].editingWire { spoil.apply(to: &$0, article: world.article, other: world.aID) }
        #expect(spoiled != world.pending[2].jsonString)
        let wires = [world.pending[0].jsonString, world.pending[1].jsonString, spoiled]
        try world.expectRefused(world.page(wires), isInvalidResponse)
        try world.expectHonestPullWorks()
    }

    /// Ways to make B's third pending change carry invalid content (well-formed otherwise).
    enum BadContent: String, CaseIterable, Sendable {
        case labelWithSpace, labelEmpty, articleNotAnID, targetMissing, targetEndBeforeStart, tagsNotArray, noteNumber, contentEmpty

        func apply(to content: inout [String: JSONValue]) {
            switch self {
            case .labelWithSpace: content["label"] = "two words"
            case .labelEmpty: content["label"] = ""
            case .articleNotAnID: content["article"] = "mosul"
            case .targetMissing: content["target"] = nil
            case .targetEndBeforeStart:
                var target = content["target"]!.objectValue!
                target["end"] = .int(target["start"]!.intValue! - 1)
                content["target"] = .object(target)
            case .tagsNotArray: content["tags"] = "test"
            case .noteNumber: content["note"] = 3
            case .contentEmpty: content = [:]
            }
        }
    }

    @Test("a change with invalid content refuses its whole page, valid changes before it included", arguments: BadContent.allCases)
    func invalidContent(_ bad: BadContent) throws {
        let world = try PullWorld()
        let spoiled = try world.pending[2].editingContent { bad.apply(to: &$0) }
        #expect(spoiled.content != world.pending[2].content)
        // Well-formed: the page parses, so it is the store's content check that refuses it.
        _ = try Change(json: JSONParser.parse(spoiled.jsonString))
        let wires = [world.pending[0].jsonString, world.pending[1].jsonString, spoiled.jsonString]
        try world.expectRefused(world.page(wires), refusedChange(containing: "has invalid content"))
        try world.expectHonestPullWorks()
    }

    @Test("an article change with invalid content is refused", arguments: ["title", "text"])
    func invalidArticle(field: String) throws {
        let world = try PullWorld()
        // B edits the article's title: a real change of kind article; then the server spoils it.
        _ = try world.b.editArticle(world.article, title: "Musul", addTags: [], removeTags: [])
        try sync(world.b, world.server.transport())
        let change = try Change(json: JSONParser.parse(world.server.log[9]))
        #expect(change.kind == .article)
        let spoiled = try change.editingContent { $0[field] = 5 }
        let wires = world.pending.map(\.jsonString) + [spoiled.jsonString]
        try world.expectRefused(world.page(wires, cursor: 10), refusedChange(containing: "has invalid content"))
        try world.expectHonestPullWorks(articleEdit: true)
    }

    @Test("a change forging replica A's own dot with a seq A never made is refused", arguments: [4, 5, 1_000])
    func forgedOwnDot(seq: UInt64) throws {
        let world = try PullWorld()
        let original = world.pending[2]
        let dot = Dot(replica: world.aID, seq: seq)
        var forged = original
        forged.dot = dot
        forged.clock = original.clock.including(dot)
        try forged.validateShape()
        let wires = [world.pending[0].jsonString, world.pending[1].jsonString, forged.jsonString]
        try world.expectRefused(world.page(wires), refusedChange(containing: "never made it"))
        try world.expectHonestPullWorks()
        // A's next own change takes seq 4 as it should.
        let annotation = try SyncFixtures.annotate(world.a, article: world.article, SyncFixtures.quotes[7])
        let own = try world.a.changes(afterPosition: 0, replica: world.aID, limit: 100)
        #expect(own.map(\.change.dot.seq) == [1, 2, 3, 4])
        #expect(own.last?.change.entity == annotation.id)
    }
}

@Suite("Pull defences: lying duplicates")
struct LyingDuplicateTests {
    enum Lie: String, CaseIterable, Sendable {
        case ownNote, ownLabel, ownDelete, ownTime, ownClock, ownReplaces, ownEntity
        case pulledNote, pulledTime, pulledClock, pulledKeepsOldContentOtherEntity
        case samePageTwice

        func page(_ world: PullWorld) throws -> [String] {
            let own = world.aOwn[1]  // A's second annotation, as the server sends it back
            let pulled = world.pulledFromB[2]  // B's second annotation, pulled into A earlier
            let lie: Change
            switch self {
            case .ownNote: lie = try own.editingContent { $0["note"] = "not what ayşe wrote" }
            case .ownLabel: lie = try own.editingContent { $0["label"] = "forged" }
            case .ownDelete:
                lie = Change(
                    dot: own.dot, kind: own.kind, entity: own.entity, operation: .delete, clock: own.clock, timestamp: own.timestamp,
                    replaces: own.replaces, content: nil, author: own.author)
            case .ownTime:
                var copy = own
                copy.timestamp = HybridTimestamp(wallMilliseconds: own.timestamp.wallMilliseconds + 1)
                lie = copy
            case .ownClock:
                var copy = own
                copy.clock = own.clock.including(Dot(replica: world.bID, seq: 1))
                lie = copy
            case .ownReplaces:
                var copy = own
                copy.replaces = own.replaces.isEmpty ? [Dot(replica: own.dot.replica, seq: 1)] : []
                lie = copy
            case .ownEntity:
                var copy = own
                copy.entity = world.aOwn[2].entity
                lie = copy
            case .pulledNote: lie = try pulled.editingContent { $0["note"] = "rewritten by the server" }
            case .pulledTime:
                var copy = pulled
                copy.timestamp = HybridTimestamp(wallMilliseconds: pulled.timestamp.wallMilliseconds, counter: pulled.timestamp.counter + 1)
                lie = copy
            case .pulledClock:
                var copy = pulled
                copy.clock = pulled.clock.including(Dot(replica: world.aID, seq: 3))
                lie = copy
            case .pulledKeepsOldContentOtherEntity:
                var copy = pulled
                copy.entity = world.pulledFromB[1].entity
                lie = copy
            case .samePageTwice:
                // A new change, then the same dot again with other content in the same page.
                let first = world.pending[0]
                let second = try first.editingContent { $0["note"] = "second version" }
                return [first.jsonString, second.jsonString, world.pending[1].jsonString, world.pending[2].jsonString]
            }
            #expect(lie.dot == (self.rawValue.hasPrefix("own") ? own.dot : pulled.dot))
            #expect(lie.withoutAuthor != (self.rawValue.hasPrefix("own") ? own : pulled).withoutAuthor)
            try lie.validateShape()
            // Valid changes come first, so a partial apply would show.
            return world.pending.map(\.jsonString) + [lie.jsonString]
        }
    }

    @Test("a dot A already holds, sent with other contents, refuses the page", arguments: Lie.allCases)
    func lyingDuplicate(_ lie: Lie) throws {
        let world = try PullWorld()
        try world.expectRefused(world.page(try lie.page(world)), refusedChange(containing: "differs from the change this replica already holds"))
        try world.expectHonestPullWorks()
    }

    @Test("on disk too: a refused page leaves the store file as it was")
    func onDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-pull-defence-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.gloss").path
        let before: StoreSnapshot
        do {
            let world = try PullWorld(path: path)
            before = try StoreSnapshot(world.a)
            try world.expectRefused(world.page(try Lie.ownNote.page(world)), refusedChange(containing: "differs"))
            try world.expectRefused(String(world.server.page(after: 6, limit: 1_000).dropLast(3)))
        }
        // What a reader of the file sees, from a fresh connection.
        let reopened = try GlossDatabase.open(at: path)
        try expectUnchanged(reopened, since: before)
        #expect(try reopened.remote()?.cursor == 6)
        #expect(try reopened.doctor().isHealthy)
    }

    @Test("changes A already holds, re-sent identically, are harmless duplicates")
    func honestDuplicates() throws {
        let world = try PullWorld()
        let before = try world.a.changes(afterPosition: 0, limit: 100)
        // A's own change with the server's author, B's pulled one, one with its content keys
        // reordered and spaced out (the same canonical content), and one whose author the
        // server names differently (author is the server's record, not part of the change).
        let ownJSON = world.aOwn[0].jsonString
        var spaced = try #require(try JSONParser.parse(world.pulledFromB[1].jsonString).objectValue)
        spaced["content"] = nil
        let contentText = try #require(world.pulledFromB[1].content)
        let reordered = try #require(try JSONParser.parse(contentText).objectValue).sorted { $0.key > $1.key }
            .map { "\"\($0.key)\" : \(CanonicalJSON.string($0.value))" }.joined(separator: " , ")
        let spacedWire = String(CanonicalJSON.string(.object(spaced)).dropLast()) + ", \"content\" : { \(reordered) } }"
        var renamed = world.pulledFromB[2]
        renamed.author = "someone-else"
        let wires = [ownJSON, world.pulledFromB[0].jsonString, spacedWire, renamed.jsonString] + world.pending.map(\.jsonString)
        world.server.pullOverride = { after, _, _ in
            after == 6 ? FakeServer.ok(world.page(wires)) : nil
        }
        let report = try sync(world.a, world.server.transport())
        #expect(report.pulled == 7)
        #expect(report.applied == 3)
        #expect(try world.aRemote.cursor == 6 + 7, "one position per change of the page")
        let after = try world.a.changes(afterPosition: 0, limit: 100)
        #expect(after.count == 9)
        // What A held is untouched (its own change keeps no author, B's keep "bora").
        #expect(after.prefix(6).map { "\($0.position) \($0.change.jsonString)" } == before.map { "\($0.position) \($0.change.jsonString)" })
        #expect(after.dropFirst(6).map(\.change) == world.pending)
        #expect(after.prefix(6).filter { $0.change.dot.replica == world.aID }.allSatisfy { $0.change.author == nil })
        #expect(after.prefix(6).filter { $0.change.dot.replica == world.bID }.allSatisfy { $0.change.author == "bora" })
        #expect(try world.a.doctor().isHealthy)
    }
}

@Suite("Pull defences: honest pages")
struct HonestPullTests {
    @Test("pages follow one another: cursor and epoch are saved with each page")
    func pagination() throws {
        let world = try PullWorld()
        // A has one change to push too: it comes back at position 10.
        let mine = try SyncFixtures.annotate(world.a, article: world.article, SyncFixtures.quotes[7], note: "mine")
        let seen = Recorder()
        var options = testOptions(pageSize: 2)
        let store = world.a
        options.progress = { report in
            let remote = try? store.remote()
            seen.append("pulled \(report.pulled) cursor \(remote?.cursor ?? -1) epoch \(remote?.epoch.map { String($0.prefix(3)) } ?? "nil") pushed \(remote?.pushedSeq ?? 0)")
        }
        let transport = world.server.transport()
        let report = try sync(world.a, transport, options: options)
        #expect(transport.pushes == 1)
        #expect(transport.pullAfters == [6, 8])
        #expect(report.pushed == 1 && report.pulled == 4 && report.applied == 3 && !report.restarted)
        #expect(
            seen.lines == [
                "pulled 0 cursor 6 epoch aaa pushed 4",
                "pulled 2 cursor 8 epoch aaa pushed 4",
                "pulled 4 cursor 10 epoch aaa pushed 4",
            ])
        let remote = try world.aRemote
        #expect(remote.cursor == 10 && remote.epoch == PullWorld.firstEpoch && remote.pushedSeq == 4)
        #expect(try world.a.annotations().count == 8)
        #expect(try world.a.annotation(mine.id).annotation.note == "mine")
        #expect(try world.a.doctor().isHealthy)

        // Nothing new: one empty pull, and the store stays as it is.
        let before = try StoreSnapshot(world.a)
        let quiet = world.server.transport()
        let again = try sync(world.a, quiet, options: options)
        #expect(quiet.pullAfters == [10] && quiet.pushes == 0 && again.pulled == 0)
        try expectUnchanged(world.a, since: before)

        // Both replicas converge.
        try sync(world.b, world.server.transport())
        #expect(try world.a.export(.jsonl).text == world.b.export(.jsonl).text)
    }

    @Test("after a refused page, the next sync resumes from the saved cursor")
    func resumesAfterRefusal() throws {
        let world = try PullWorld()
        let options = testOptions(pageSize: 2)
        // The first page is fine, the second is cut short.
        world.server.pullOverride = { after, limit, _ in
            after == 8 ? FakeServer.ok(String(world.server.page(after: after, limit: limit).prefix(30))) : nil
        }
        let transport = world.server.transport()
        #expect(throws: SyncError.self) { try sync(world.a, transport, options: options) }
        #expect(transport.pullAfters == [6, 8])
        #expect(try world.aRemote.cursor == 8)
        #expect(try world.a.changes(afterPosition: 0, limit: 100).count == 8)
        world.server.pullOverride = nil
        let resumed = world.server.transport()
        let report = try sync(world.a, resumed, options: options)
        #expect(resumed.pullAfters == [8] && report.pulled == 1)
        #expect(try world.aRemote.cursor == 9)
    }
}

@Suite("Pull defences: epochs")
struct EpochTests {
    @Test("a new epoch makes the engine pull again from 0 in the same run")
    func restart() throws {
        let world = try PullWorld()
        world.server.epoch = PullWorld.secondEpoch
        let transport = world.server.transport()
        let report = try sync(world.a, transport)
        #expect(transport.pullAfters == [6, 0])
        #expect(report.restarted)
        #expect(report.pulled == 9 && report.applied == 3)
        let remote = try world.aRemote
        #expect(remote.cursor == 9 && remote.epoch == PullWorld.secondEpoch)
        #expect(try world.a.annotations().count == 7)
        #expect(try world.a.doctor().isHealthy)

        // The next sync goes on in the new epoch, from 9.
        let next = world.server.transport()
        let quiet = try sync(world.a, next)
        #expect(next.pullAfters == [9] && !quiet.restarted)
    }

    @Test("a new epoch is only believed on a valid page")
    func newEpochOnInvalidPage() throws {
        let world = try PullWorld()
        try world.expectRefused(world.page(world.pending.map(\.jsonString), cursor: 2, epoch: PullWorld.secondEpoch))
        try world.expectRefused(String(world.page([], cursor: 6, epoch: PullWorld.secondEpoch).dropLast()))
    }

    @Test("a server whose epoch changes on every answer fails the sync after a few restarts")
    func epochKeepsChanging() throws {
        let world = try PullWorld()
        var pulls = 0
        world.server.pullOverride = { after, limit, pull in
            // Honest pages, each in another epoch; a page with changes claims more follow.
            // (The test's server gives up after 30 pulls, so a run that never stops still ends.)
            pulls += 1
            guard pulls <= 30 else { return FakeServer.error(400, "bad_request", "the test's server gave up") }
            let epoch = String(format: "%032x", pull)
            let page = world.server.page(after: after, limit: limit, epoch: epoch)
            return FakeServer.ok(after < 9 ? page.replacingOccurrences(of: "\"more\":false", with: "\"more\":true") : page)
        }
        let transport = world.server.transport()
        #expect(throws: SyncError.invalidResponse("the server's epoch keeps changing")) { try sync(world.a, transport) }
        // Each answer is in a new epoch, so each one after an accepted page starts over.
        #expect(transport.pullAfters == [6, 0, 9, 0, 9, 0, 9], "pulls: \(transport.pullAfters)")
        #expect(try world.a.doctor().isHealthy)
    }

    @Test("an epoch change between two pages of a replica's first pull starts the pull over")
    func epochChangesBetweenFirstPages() throws {
        // A new replica C knows no epoch yet. The server answers C's first page in epoch
        // aaa…, then is restored from a backup: the second page comes in epoch bbb…, whose
        // positions need not match the first page's. C must not save a bbb cursor on top
        // of what it pulled in aaa: it starts over.
        let world = try PullWorld()
        world.server.users["t-cem"] = "cem"
        let (c, _) = try SyncFixtures.replica(name: "cem")
        try c.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-cem", cacert: nil)
        var pulls = 0
        world.server.pullOverride = { after, limit, _ in
            pulls += 1
            guard pulls <= 30 else { return FakeServer.error(400, "bad_request", "the test's server gave up") }
            return FakeServer.ok(world.server.page(after: after, limit: limit, epoch: pulls == 1 ? PullWorld.firstEpoch : PullWorld.secondEpoch))
        }
        let transport = world.server.transport()
        let report = try sync(c, transport, options: testOptions(pageSize: 2))
        #expect(report.restarted)
        #expect(Array(transport.pullAfters.prefix(3)) == [0, 2, 0], "pulls: \(transport.pullAfters)")
        let remote = try #require(try c.remote())
        #expect(remote.cursor == 10 && remote.epoch == PullWorld.secondEpoch)
        #expect(try c.changes(afterPosition: 0, limit: 100).count == 10)
    }

    @Test("a server whose epoch changes on every answer, each page the last, costs one restart per sync")
    func epochKeepsChangingSinglePages() throws {
        let world = try PullWorld()
        var pulls = 0
        world.server.pullOverride = { after, limit, pull in
            pulls += 1
            guard pulls <= 30 else { return FakeServer.error(400, "bad_request", "the test's server gave up") }
            return FakeServer.ok(world.server.page(after: after, limit: limit, epoch: String(format: "%032x", pull)))
        }
        for _ in 1...3 {
            let transport = world.server.transport()
            _ = try? sync(world.a, transport)
            #expect(transport.pullAfters.count <= 2 && transport.pullAfters.first != nil)
        }
        #expect(try world.a.doctor().isHealthy)
    }
}

/// Lines recorded from a `@Sendable` progress callback.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

extension Change {
    var withoutAuthor: Change {
        var copy = self
        copy.author = nil
        return copy
    }
}

extension ExportOutput {
    var text: String? {
        if case .document(let text) = self { return text }
        return nil
    }
}

extension PullWorld {
    /// As `expectHonestPullWorks()`, when B also edited the article (one more change at position 10).
    func expectHonestPullWorks(articleEdit: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard articleEdit else { return try expectHonestPullWorks(sourceLocation: sourceLocation) }
        let report = try sync(a, server.transport())
        #expect(report.pulled == 4 && report.applied == 4, "\(report.summary)", sourceLocation: sourceLocation)
        #expect(try aRemote.cursor == 10, sourceLocation: sourceLocation)
        #expect(try a.article(article).article.title == "Musul", sourceLocation: sourceLocation)
    }
}

// MARK: - Oversized answers through the real libcurl transport

/// A real Hummingbird server on 127.0.0.1 (a free port) for the duration of `body`.
/// `GET /bytes/N` answers N bytes; `GET /pad/N/v1/corpora/C/changes` answers `page`
/// padded with an extra field to N bytes (still valid JSON and a valid page).
func withPaddingServer<T: Sendable>(page: String, _ body: @Sendable (Int) async throws -> T) async throws -> T {
    let router = Router()
    router.get("bytes/:count") { _, context -> Response in
        let count = try context.parameters.require("count", as: Int.self)
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: count)))
    }
    router.get("pad/:count/v1/corpora/:corpus/changes") { _, context -> Response in
        let count = try context.parameters.require("count", as: Int.self)
        let prefix = String(page.dropLast()) + ",\"padding\":\""
        let padding = String(repeating: "p", count: max(0, count - prefix.utf8.count - 2))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: prefix + padding + "\"}")))
    }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "pull-defence-tests"),
        onServerRunning: { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        })
    let services = ServiceGroup(services: [app], logger: app.logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        #expect(port > 0)
        // Should `body` throw, leaving the group cancels the server.
        let result = try await body(port)
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

/// Runs blocking work (libcurl) on its own thread, off the concurrency pool the server uses.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

@Suite("Pull defences: oversized answers")
struct OversizedAnswerTests {
    static let limit = 1 << 20

    @Test("libcurl refuses an answer over maxResponseBytes and passes one under it")
    func transportLimit() async throws {
        try await withPaddingServer(page: "{}") { port in
            let results = await onThread { () -> [Result<GlossSync.HTTPResponse, TransportError>] in
                [3 << 20, 500 << 10, Self.limit].map { count in
                    Result { () throws(TransportError) -> GlossSync.HTTPResponse in
                        let transport = try CurlTransport(baseURL: "http://127.0.0.1:\(port)", maxResponseBytes: Self.limit)
                        return try transport.perform(GlossSync.HTTPRequest(method: .get, path: "/bytes/\(count)"))
                    }
                }
            }
            #expect(throws: TransportError.responseTooLarge(limit: Self.limit)) { try results[0].get() }
            let small = try results[1].get()
            #expect(small.status == 200 && small.body.count == 500 << 10 && small.body.allSatisfy { $0 == UInt8(ascii: "x") })
            #expect(try results[2].get().body.count == Self.limit)
        }
    }

    @Test("a pull answer over the transport's limit fails the sync and leaves the store as it was; one under it applies")
    func oversizedPage() async throws {
        let world = try PullWorld()
        let store = world.a
        let remote = try world.aRemote
        let before = try StoreSnapshot(store)
        let honest = world.server.page(after: 6, limit: 1_000)
        try await withPaddingServer(page: honest) { port in
            /// One sync through libcurl against the page padded to `size` bytes; its result and request count.
            @Sendable func run(_ size: Int) async -> (Result<SyncReport, SyncError>, Int) {
                await onThread {
                    let transport = try! CurlTransport(baseURL: "http://127.0.0.1:\(port)/pad/\(size)", maxResponseBytes: Self.limit)
                    let counting = CountingTransport(transport)
                    let result = Result { () throws(SyncError) -> SyncReport in
                        try SyncEngine(store: store, transport: counting, remote: remote, options: testOptions()).run()
                    }
                    return (result, counting.count)
                }
            }
            let (big, bigRequests) = await run(3 << 20)
            let expected = SyncError.invalidResponse(TransportError.responseTooLarge(limit: Self.limit).description)
            #expect(throws: expected) { try big.get() }
            #expect(bigRequests == 1, "an oversized answer is not worth retrying")
            try expectUnchanged(store, since: before)
            let after = try #require(try store.remote())
            #expect(after.cursor == 6 && after.epoch == PullWorld.firstEpoch)

            let (small, _) = await run(500 << 10)
            let report = try small.get()
            #expect(report.pulled == 3 && report.applied == 3 && report.requests == 1)
            #expect(try store.remote()?.cursor == 9)
        }
    }
}

/// Counts the requests a transport performs.
final class CountingTransport: Transport {
    let inner: any Transport
    private(set) var count = 0

    init(_ inner: any Transport) { self.inner = inner }

    func perform(_ request: GlossSync.HTTPRequest, cancellation: SyncCancellation) throws(TransportError) -> GlossSync.HTTPResponse {
        count += 1
        return try inner.perform(request, cancellation: cancellation)
    }
}
