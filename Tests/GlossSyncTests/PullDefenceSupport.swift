import Foundation
import GRDB
import GlossCore
import GlossStore
import GlossSync
import Testing

// Support for PullDefenceTests: real replicas, a scripted server that speaks the sync
// protocol (docs/protocol.md) from an in-memory log, and a complete snapshot of a store.

/// A clock that only moves forwards when read, so every replica's timestamps are deterministic.
final class StepClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    init(_ start: Int64 = 1_480_550_400_000) { now = start }

    var read: @Sendable () -> Int64 {
        { [self] in
            lock.lock()
            defer { lock.unlock() }
            now += 10
            return now
        }
    }
}

enum SyncFixtures {
    /// The package root, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let seedPath = packageRoot.appendingPathComponent("examples/corpus/musul-2016-12.txt").path

    /// Quotes that occur in the seed article (the first occurrence is annotated).
    static let quotes = [
        "Musul kentini", "ağır bir direnişle", "patlayıcı yüklü araçlar", "street by street", "Kudüs semtinden",
        "güneydoğusundaki mahallelerde", "sosyal medyada yayıldı", "Iraklı komutanlar",
    ]

    /// Imports the seed article into `store`; returns its id.
    @discardableResult
    static func importSeed(into store: GlossDatabase) throws -> String {
        let text = try String(contentsOfFile: seedPath, encoding: .utf8)
        let article = try SeedFormat.parse(text, source: "musul-2016-12.txt")
        _ = try store.importItems([.article(article, authoritative: false)])
        return article.id
    }

    /// A new replica holding the seed article, in memory or in a file at `path`.
    static func replica(name: String, path: String? = nil) throws -> (store: GlossDatabase, article: String) {
        let store = try path.map { try GlossDatabase.create(at: $0, name: name, clock: StepClock().read) }
            ?? GlossDatabase.inMemory(name: name, clock: StepClock().read)
        return (store, try importSeed(into: store))
    }

    /// Annotates the first occurrence of `quote` through the store's real write API.
    @discardableResult
    static func annotate(_ store: GlossDatabase, article: String, _ quote: String, label: String? = nil, note: String? = nil)
        throws -> Annotation
    {
        try store.annotate(
            articleID: article, anchor: .quote(quote, occurrence: 1),
            fields: AnnotationFields(note: note, tags: ["test"], label: label))
    }
}

/// A fake gloss-server: keeps every pushed change at a position, answers pushes with the
/// acknowledgement and pulls with pages of its log (exactly as SyncRoutes does), unless
/// `pullOverride` crafts the answer.
final class FakeServer {
    /// The pushed changes' wire JSON (author set), position = index + 1.
    private(set) var log: [String] = []
    private var stored: Set<Dot> = []
    /// The user each token stands for.
    var users: [String: String] = [:]
    var epoch = String(repeating: "a", count: 32)
    /// Answers a pull instead of the log when it returns non-nil: `(after, limit, request number)`.
    var pullOverride: ((_ after: Int64, _ limit: Int, _ pull: Int) -> HTTPResponse?)?
    /// Pull requests answered so far.
    private(set) var pulls = 0
    /// The compaction floor: pulls with `0 < after < floor` and pushes made below it are
    /// refused with 410 `resync_required`, as gloss-server refuses them.
    var floor: Int64 = 0
    /// Positions (1-based) taken out of the log by a compaction: pages pass over them.
    var dropped: Set<Int64> = []
    /// What each push said its changes were made at.
    private(set) var pushedSeen: [PullPosition?] = []

    static let url = "http://gloss.test:8080"
    static let corpus = "news"

    /// A new transport to this server (one per client, so each records its own requests).
    func transport() -> ScriptedTransport {
        ScriptedTransport { [unowned self] request throws(TransportError) in self.answer(request) }
    }

    func answer(_ request: HTTPRequest) -> HTTPResponse {
        let token = request.headers.first { $0.name == "Authorization" }?.value.replacingOccurrences(of: "Bearer ", with: "")
        guard let user = token.flatMap({ users[$0] }) else { return Self.error(401, "unauthorized", "unknown token") }
        switch request.method {
        case .post: return push(request.body ?? [], user: user)
        case .get:
            pulls += 1
            let (after, limit) = Self.query(request.path)
            if let crafted = pullOverride?(after, limit, pulls) { return crafted }
            if floor > 0, after > 0, after < floor { return Self.error(410, "resync_required", "compacted through \(floor)") }
            return HTTPResponse(status: 200, body: Array(page(after: after, limit: limit).utf8))
        case .delete: return Self.error(400, "bad_request", "no")
        }
    }

    private func push(_ body: [UInt8], user: String) -> HTTPResponse {
        guard let json = try? JSONParser.parse(bytes: body), let request = try? PushRequest(json: json) else {
            return Self.error(400, "bad_request", "not a push body")
        }
        let list = request.changes
        pushedSeen.append(request.seen)
        if floor > 0 {
            switch request.seen {
            case .some(let seen) where seen.after == 0: break
            case .some(let seen) where seen.epoch == epoch && seen.after >= floor: break
            default: return Self.error(410, "resync_required", "compacted through \(floor)")
            }
        }
        var storedCount = 0
        var duplicates = 0
        var maxSeq: UInt64 = 0
        for item in list {
            guard var change = try? Change(json: item) else { return Self.error(422, "invalid_change", "bad change") }
            change.author = user
            maxSeq = max(maxSeq, change.dot.seq)
            if stored.insert(change.dot).inserted {
                log.append(change.jsonString)
                storedCount += 1
            } else {
                duplicates += 1
            }
        }
        return HTTPResponse(status: 200, body: Array("{\"duplicates\":\(duplicates),\"maxSeq\":\(maxSeq),\"stored\":\(storedCount)}".utf8))
    }

    /// The page the real server would answer.
    func page(after: Int64, limit: Int, epoch: String? = nil) -> String {
        var position = Int(min(after, Int64(log.count)))
        var wires: [String] = []
        while position < log.count, wires.count < limit {
            position += 1
            if !dropped.contains(Int64(position)) { wires.append(log[position - 1]) }
        }
        let cursor = max(after, Int64(position))
        return Self.pageJSON(wires: wires, cursor: cursor, epoch: epoch ?? self.epoch, more: position < log.count, floor: floor)
    }

    /// Takes every change of the entity `entity` out of the log except the last one pushed,
    /// as a compaction does when that one supersedes them all.
    func compact(keepingOnlyTheLatestOf entity: String) {
        let positions = log.indices.filter { (try? Change(json: JSONParser.parse(log[$0])))?.entity == entity }.map { Int64($0 + 1) }
        for position in positions.dropLast() { dropped.insert(position) }
    }

    /// A page body from wire changes.
    static func pageJSON(wires: [String], cursor: Int64, epoch: String, more: Bool, floor: Int64 = 0) -> String {
        "{\"changes\":[" + wires.joined(separator: ",") + "],\"cursor\":\(cursor),\"epoch\":\"\(epoch)\",\"floor\":\(floor),\"more\":\(more)}"
    }

    static func ok(_ body: String) -> HTTPResponse { HTTPResponse(status: 200, body: Array(body.utf8)) }

    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Array("{\"error\":{\"code\":\"\(code)\",\"message\":\"\(message)\"}}".utf8))
    }

    /// `after` and `limit` of a pull path `…/changes?after=N&limit=M`.
    static func query(_ path: String) -> (after: Int64, limit: Int) {
        var after: Int64 = 0
        var limit = 1_000
        for pair in path.split(separator: "?").dropFirst().first?.split(separator: "&") ?? [] {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            if parts[0] == "after" { after = Int64(parts[1]) ?? -1 }
            if parts[0] == "limit" { limit = Int(parts[1]) ?? -1 }
        }
        return (after, limit)
    }
}

extension ScriptedTransport {
    /// The `after=` of every pull request, in order.
    var pullAfters: [Int64] { requests.filter { $0.method == .get }.map { FakeServer.query($0.path).after } }
    var pushes: Int { requests.filter { $0.method == .post }.count }
}

/// Sync options for tests: tiny backoff, few attempts.
func testOptions(pageSize: Int = 1_000) -> SyncOptions {
    var options = SyncOptions()
    options.attempts = 2
    options.backoff = 0.001
    options.pageSize = pageSize
    return options
}

/// Runs one sync of `store` against `transport`.
@discardableResult
func sync(_ store: GlossDatabase, _ transport: any Transport, options: SyncOptions = testOptions()) throws(SyncError) -> SyncReport {
    guard let remote = try? store.remote() else { throw .noRemote }
    return try SyncEngine(store: store, transport: transport, remote: remote, options: options).run()
}

/// Everything a store holds: every row of every table (the change log, derived tables,
/// the search index's own tables, the replica's clock, the remote), as text. Only the
/// remote's `last_sync_at` and `last_result` are left out: a failed sync records itself there.
struct StoreSnapshot: Equatable {
    var tables: [String: [String]]
    var jsonl: String
    var log: [String]

    init(_ store: GlossDatabase) throws {
        tables = try store.reader.read { db in
            var tables: [String: [String]] = [:]
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            for name in names {
                let columns = try db.columns(in: name).map(\.name).filter { name != "remote" || !["last_sync_at", "last_result"].contains($0) }
                let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                tables[name] = try Row.fetchAll(db, sql: "SELECT \(list) FROM \"\(name)\"").map(\.description).sorted()
            }
            return tables
        }
        guard case .document(let text) = try store.export(.jsonl) else { throw SnapshotError.unexpectedExport }
        jsonl = text
        log = try store.changes(afterPosition: 0, limit: 1_000_000).map { "\($0.position) \($0.change.jsonString)" }
    }

    enum SnapshotError: Error { case unexpectedExport }

    /// Rows that differ, for a readable failure.
    func difference(from other: StoreSnapshot) -> String {
        var lines: [String] = []
        for name in Set(tables.keys).union(other.tables.keys).sorted() where tables[name] != other.tables[name] {
            let mine = Set(tables[name] ?? [])
            let theirs = Set(other.tables[name] ?? [])
            lines.append("table \(name): \(mine.subtracting(theirs).count) rows only before, \(theirs.subtracting(mine).count) only after")
            lines += theirs.subtracting(mine).sorted().prefix(3).map { "  + \($0.prefix(300))" }
            lines += mine.subtracting(theirs).sorted().prefix(3).map { "  - \($0.prefix(300))" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Expects `store` to hold exactly what it held at `before`.
func expectUnchanged(
    _ store: GlossDatabase, since before: StoreSnapshot, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let after = try StoreSnapshot(store)
    #expect(after == before, "the store changed:\n\(before.difference(from: after))", sourceLocation: sourceLocation)
}

/// The world most tests start from. Replicas A (ayşe) and B (bora) each imported the
/// seed article and annotated it through the real write API, and both synced with the
/// fake server: A holds all six changes (B's three pulled), has nothing left to push,
/// and its cursor is 6 in epoch `aaa…`. B then made three more annotations and pushed
/// them: they wait on the server at positions 7, 8, 9 (`pending`, as the server sends them).
struct PullWorld {
    let server: FakeServer
    let a: GlossDatabase
    let b: GlossDatabase
    let article: String
    let aID: ReplicaID
    let bID: ReplicaID
    /// B's changes the server holds that A has not pulled yet, with `author` set.
    let pending: [Change]
    /// B's changes A already pulled (author set), and A's own changes as the server sends them back.
    let pulledFromB: [Change]
    let aOwn: [Change]

    static let firstEpoch = String(repeating: "a", count: 32)
    static let secondEpoch = String(repeating: "b", count: 32)

    /// - Parameter path: where A's store file goes; `nil` keeps A in memory.
    init(path: String? = nil) throws {
        let server = FakeServer()
        server.users = ["t-ayse": "ayse", "t-bora": "bora"]
        let (a, article) = try SyncFixtures.replica(name: "ayşe", path: path)
        let (b, bArticle) = try SyncFixtures.replica(name: "bora")
        precondition(article == bArticle)
        try SyncFixtures.annotate(a, article: article, SyncFixtures.quotes[0], label: "place", note: "Mosul")
        try SyncFixtures.annotate(a, article: article, SyncFixtures.quotes[1])
        try SyncFixtures.annotate(b, article: article, SyncFixtures.quotes[2], label: "event")
        try SyncFixtures.annotate(b, article: article, SyncFixtures.quotes[3], note: "CTS")
        try a.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-ayse", cacert: nil)
        try b.setRemote(url: FakeServer.url, corpus: FakeServer.corpus, token: "t-bora", cacert: nil)
        try sync(b, server.transport())
        try sync(a, server.transport())
        // B learns A's changes too, then makes three more.
        try sync(b, server.transport())
        for quote in SyncFixtures.quotes[4...6] { try SyncFixtures.annotate(b, article: article, quote, label: "more") }
        try sync(b, server.transport())

        self.server = server
        self.a = a
        self.b = b
        self.article = article
        let aID = try a.replicaInfo().id
        let bID = try b.replicaInfo().id
        let all = try server.log.map { wire throws in try Change(json: JSONParser.parse(wire)) }
        let pending = Array(all.dropFirst(6))
        precondition(all.count == 9 && pending.count == 3)
        precondition(pending.allSatisfy { $0.dot.replica == bID && $0.kind == .annotation })
        self.aID = aID
        self.bID = bID
        self.pending = pending
        pulledFromB = Array(all.prefix(6).filter { $0.dot.replica == bID })
        aOwn = Array(all.prefix(6).filter { $0.dot.replica == aID })
        precondition(pulledFromB.count == 3 && aOwn.count == 3)
    }

    /// A's remote as it stands.
    var aRemote: RemoteState {
        get throws { try #require(try a.remote()) }
    }

    /// A page answering A's next pull (after 6), from crafted wire changes; by default
    /// its cursor moves by at least one position per change, as real positions do.
    func page(_ wires: [String], cursor: Int64? = nil, epoch: String = firstEpoch, more: Bool = false) -> String {
        FakeServer.pageJSON(wires: wires, cursor: cursor ?? 6 + Int64(max(wires.count, 3)), epoch: epoch, more: more)
    }

    /// Makes A pull once with the server answering `body` to every pull, and checks that
    /// the sync fails with `expected`, that nothing was pushed, and that A's store
    /// (cursor and epoch included) is exactly as before.
    @discardableResult
    func expectRefused(
        body: [UInt8], options: SyncOptions = testOptions(), sourceLocation: SourceLocation = #_sourceLocation,
        _ expected: (SyncError) -> Bool
    ) throws -> SyncError? {
        #expect(try a.unpushedCount() == 0, sourceLocation: sourceLocation)
        let before = try StoreSnapshot(a)
        let remoteBefore = try aRemote
        server.pullOverride = { _, _, _ in HTTPResponse(status: 200, body: body) }
        defer { server.pullOverride = nil }
        let transport = server.transport()
        var caught: SyncError?
        do {
            let report = try sync(a, transport, options: options)
            Issue.record("the sync succeeded (\(report.summary)) but should have been refused", sourceLocation: sourceLocation)
        } catch {
            caught = error
            #expect(expected(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
        }
        #expect(transport.pushes == 0, sourceLocation: sourceLocation)
        #expect(transport.pullAfters == [6], "pulls: \(transport.pullAfters)", sourceLocation: sourceLocation)
        try expectUnchanged(a, since: before, sourceLocation: sourceLocation)
        let remoteAfter = try aRemote
        #expect(remoteAfter.cursor == remoteBefore.cursor && remoteAfter.cursor == 6, sourceLocation: sourceLocation)
        #expect(remoteAfter.epoch == remoteBefore.epoch && remoteAfter.epoch == Self.firstEpoch, sourceLocation: sourceLocation)
        #expect(remoteAfter.pushedSeq == remoteBefore.pushedSeq, sourceLocation: sourceLocation)
        return caught
    }

    func expectRefused(
        _ body: String, options: SyncOptions = testOptions(), sourceLocation: SourceLocation = #_sourceLocation,
        _ expected: (SyncError) -> Bool = isInvalidResponse
    ) throws {
        try expectRefused(body: Array(body.utf8), options: options, sourceLocation: sourceLocation, expected)
    }

    /// After a refusal, the honest page still applies: A ends with B's three pending changes.
    func expectHonestPullWorks(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let transport = server.transport()
        let report = try sync(a, transport)
        #expect(report.pulled == 3 && report.applied == 3, "\(report.summary)", sourceLocation: sourceLocation)
        #expect(try aRemote.cursor == 9, sourceLocation: sourceLocation)
        #expect(try a.annotations().count == 7, sourceLocation: sourceLocation)
    }
}

/// Whether an error is `.invalidResponse`.
func isInvalidResponse(_ error: SyncError) -> Bool {
    if case .invalidResponse = error { return true }
    return false
}

/// Whether an error is `.invalidResponse` whose reason contains `text`.
func invalidResponse(containing text: String) -> (SyncError) -> Bool {
    { error in
        if case .invalidResponse(let reason) = error { return reason.contains(text) }
        return false
    }
}

/// Whether an error refuses a pulled change for a reason containing `text`. The store's
/// own check refuses it (during the apply, after the page parsed) and the engine reports
/// that as `.store`; `.invalidResponse` is accepted too, should the engine classify it so.
func refusedChange(containing text: String) -> (SyncError) -> Bool {
    { error in
        switch error {
        case .invalidResponse(let reason): return reason.contains(text)
        case .store(let error): return "\(error)".contains(text)
        default: return false
        }
    }
}

extension Change {
    /// The change with its content object edited.
    func editingContent(_ edit: (inout [String: JSONValue]) -> Void) throws -> Change {
        var copy = self
        let text = try #require(content)
        var object = try #require(try JSONParser.parse(text).objectValue)
        edit(&object)
        copy.content = CanonicalJSON.string(.object(object))
        return copy
    }

    /// The wire JSON with its top-level object edited.
    func editingWire(_ edit: (inout [String: JSONValue]) -> Void) throws -> String {
        var object = try #require(try JSONParser.parse(jsonString).objectValue)
        edit(&object)
        return CanonicalJSON.string(.object(object))
    }
}
