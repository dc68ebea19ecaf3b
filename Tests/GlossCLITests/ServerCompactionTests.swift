import Foundation
import GlossCore
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `gloss-server compact` run as its own process beside a serving `gloss-server`, the
/// refusals that follow (410 resync_required), `serve --compact-every`, and a compaction
/// killed with SIGKILL half-way. Pushes and pulls are plain HTTP: the replicas here need
/// exactly the positions and `seen` members the tests choose.
struct ServerCompactionTests {
    @Test(arguments: SyncBackend.enabled) func compactWhileServingDropsSupersededVersionsAndRefusesReplicasBehind(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, _ in
            let http = CorpusHTTP(server: server, token: try await server.token(user: "ayse"))
            var log = ChangeMaker()
            // An article and an annotation edited five times: positions 1…6.
            try await http.push(log.replica, log.history(annotations: 1, versions: 5))
            let epoch = try await http.epoch()
            try await http.sawPulled(log.replica, upTo: 6, epoch: epoch)

            let compacted = try await server.admin(["compact", "--corpus", server.corpus, "--json"]).object()
            #expect(compacted["ran"] as? Bool == true && compacted["horizon"] as? Int == 6 && compacted["floorAfter"] as? Int == 6, "\(compacted)")
            // The annotation keeps its first version (when it was created) and its last.
            #expect(compacted["dropped"] as? Int == 3 && compacted["storedBefore"] as? Int == 6 && compacted["storedAfter"] as? Int == 3, "\(compacted)")
            let check = try await server.check()
            #expect(check.status == 0, "\(check)")
            let listed = try await CorpusHTTP.corpus(server)
            #expect(listed["changes"] as? Int == 3 && listed["latestPosition"] as? Int == 6 && listed["floor"] as? Int == 6, "\(listed)")
            let text = try await server.admin(["corpus", "list"]).stdout
            #expect(text.contains("3 changes\tlatest position 6\tfloor 6"), "\(text)")
            #expect(try await server.storedChanges() == 3)

            // What remains, from 0, with the floor; a replica behind it is refused.
            let all = try await http.pull("after=0")
            #expect(all.status == 200 && (all.json["changes"] as? [Any])?.count == 3 && all.json["floor"] as? Int == 6, "\(all)")
            // (Another replica than the log's: a refused one is retired, and the horizon moves on.)
            let stranger = ChangeMaker()
            let behind = try await http.pull("after=3&exclude=\(stranger.replica)&epoch=\(epoch)")
            #expect(behind.status == 410 && behind.errorCode == "resync_required", "\(behind)")
            let refused = try await http.push(stranger.replica, [stranger.article(9)], seen: nil, expecting: 410)
            #expect(refused.errorCode == "resync_required", "\(refused)")
            // A replica that has seen the floor pushes as before.
            try await http.push(log.replica, [log.article(2)], seen: PullPosition(after: 6, epoch: epoch))
            #expect(try await server.check().status == 0)

            // Nothing new seen: a second compaction has nothing to do.
            let again = try await server.admin(["compact", "--corpus", server.corpus]).stdout
            #expect(again.contains("nothing to compact"), "\(again)")
            // Usage errors and unknown corpora: one line, exit 1.
            let unknown = try await Runner.run(
                SyncServer.binary, ["compact", "--corpus", "nope"] + server.storageArguments, environment: ProcessInfo.processInfo.environment)
            #expect(unknown.status == 1 && unknown.stderrLines.last?.hasPrefix("gloss-server: no corpus named 'nope'") == true, "\(unknown)")
        }
    }

    @Test(arguments: SyncBackend.enabled) func serveCompactsEveryPeriodAndCountsWhatItDropped(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend, serveArguments: ["--compact-every", "1s"]) { server, _ in
            let http = CorpusHTTP(server: server, token: try await server.token(user: "ayse"))
            var log = ChangeMaker()
            try await http.push(log.replica, log.history(annotations: 3, versions: 4))
            try await http.sawPulled(log.replica, upTo: 13, epoch: try await http.epoch())
            let deadline = Date().addingTimeInterval(30)
            var listed: [String: Any] = [:]
            while Date() < deadline {
                listed = try await CorpusHTTP.corpus(server)
                if listed["floor"] as? Int == 13, listed["changes"] as? Int == 7 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(listed["floor"] as? Int == 13 && listed["changes"] as? Int == 7, "\(listed)")
            let dropped = SyncServer.samples("gloss_compaction_dropped_changes_total", in: try await server.metrics())
            #expect(dropped.first?.value == 6, "\(dropped)")
            #expect(server.stderrText.contains("compaction: corpus news: compacted through position 13"), "\(server.stderrText.suffix(2000))")
            #expect(try await server.check().status == 0)
        }
    }

    @Test(arguments: SyncBackend.enabled) func aCompactionKilledHalfWayLeavesAConsistentStoreAndTheNextOneFinishes(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, _ in
            let http = CorpusHTTP(server: server, token: try await server.token(user: "ayse"))
            var log = ChangeMaker()
            let history = log.history(annotations: 3_000, versions: 5)
            for start in stride(from: 0, to: history.count, by: 1_000) {
                try await http.push(log.replica, Array(history[start..<min(start + 1_000, history.count)]))
            }
            let total = history.count
            try await http.sawPulled(log.replica, upTo: Int64(total), epoch: try await http.epoch())

            // Killed once the first batches have committed (or, on a fast machine, as soon as seen).
            let process = Process()
            process.executableURL = SyncServer.binary
            process.arguments = ["compact", "--corpus", server.corpus] + server.storageArguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var stored = total
            while process.isRunning, stored == total {
                stored = try await CorpusHTTP.corpus(server)["changes"] as? Int ?? total
            }
            kill(process.processIdentifier, SIGKILL)
            try await SyncServer.waitForExit(process, timeout: 10)
            let halfWay = try await CorpusHTTP.corpus(server)
            #expect(halfWay["floor"] as? Int == total, "the floor is committed before anything is dropped: \(halfWay)")
            let check = try await server.check()
            #expect(check.status == 0, "\(check)")
            let left = halfWay["changes"] as? Int ?? 0
            #expect(left > 6_001 && left <= total, "killed half-way: \(halfWay)")

            let finished = try await server.admin(["compact", "--corpus", server.corpus, "--json"]).object()
            #expect(finished["ran"] as? Bool == true && finished["storedAfter"] as? Int == 6_001, "\(finished)")
            #expect(try await server.check().status == 0)
            // Every annotation's last version is what a pull from 0 serves.
            var cursor = 0
            var pulled = 0
            while true {
                let page = try await http.pull("after=\(cursor)&limit=10000")
                pulled += (page.json["changes"] as? [Any])?.count ?? 0
                cursor = page.json["cursor"] as? Int ?? cursor
                if page.json["more"] as? Bool != true { break }
            }
            #expect(pulled == 6_001)
        }
    }
}

/// Makes one replica's changes: an article, then annotations on it, each version
/// superseding the one before (its clock holds every earlier change of the replica).
struct ChangeMaker {
    let replica = ReplicaID.random()
    private(set) var seq: UInt64 = 0
    private let base = Article(title: "Musul", date: "2016-12", text: "Musul'da çatışmalar sürüyor; siviller kaçıyor.", source: "test", language: "tr")

    mutating func next(kind: EntityKind, entity: String, content: [String: JSONValue]) -> Change {
        seq += 1
        let dot = Dot(replica: replica, seq: seq)
        return Change(
            dot: dot, kind: kind, entity: entity, operation: .put, clock: VectorClock([replica: seq]),
            timestamp: HybridTimestamp(wallMilliseconds: 1_480_550_400_000 + Int64(seq)), replaces: [],
            content: CanonicalJSON.string(.object(content)), author: nil)
    }

    func article(_ n: Int) -> Change {
        var copy = self
        let article = Article(title: "Haber \(n)", date: "2016-12", text: "Haber \(n): Musul'da son durum.", source: "test", language: "tr")
        return copy.next(kind: .article, entity: article.id, content: article.content)
    }

    /// The article, then `versions` rounds over `annotations` annotations.
    mutating func history(annotations: Int, versions: Int) -> [Change] {
        var changes = [next(kind: .article, entity: base.id, content: base.content)]
        let selector = try! TextSelector(text: ScalarText(base.text), start: 0, end: 5)
        let ids = (0..<annotations).map { _ in Annotation.newID() }
        for version in 1...versions {
            for id in ids {
                let annotation = Annotation(id: id, article: base.id, target: selector, note: "v\(version)", tags: [], label: "LOC")
                changes.append(next(kind: .annotation, entity: id, content: annotation.content))
            }
        }
        return changes
    }
}

/// Push and pull over HTTP with one token.
struct CorpusHTTP {
    let server: SyncServer
    let token: String

    struct Answer: CustomStringConvertible {
        let status: Int
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var description: String { "\(status) \(String(decoding: body.prefix(600), as: UTF8.self))" }
    }

    func send(_ method: String, _ path: String, body: Data? = nil) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: server.url + "/v1/corpora/\(server.corpus)/" + path)))
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        request.setValue("1", forHTTPHeaderField: "Gloss-Protocol")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? -1, body: data)
    }

    func pull(_ query: String) async throws -> Answer { try await send("GET", "changes?" + query) }

    /// Pushes `changes` of `replica`, saying what it has seen (or not); requires `expecting`.
    @discardableResult
    func push(
        _ replica: ReplicaID, _ changes: [Change], seen: PullPosition? = nil, expecting status: Int = 200,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Answer {
        var writer = PushRequest.Writer(replica: replica, seen: seen)
        for change in changes { _ = writer.append(change) }
        let answer = try await send("POST", "changes", body: Data(writer.finish()))
        #expect(answer.status == status, "push: \(answer)", sourceLocation: sourceLocation)
        return answer
    }

    /// The corpus's epoch, as a page says it.
    func epoch() async throws -> String {
        try #require(try await pull("after=0&limit=1").json["epoch"] as? String)
    }

    /// Pulls as `replica` from `position` naming the epoch (recorded as seen, as a client's
    /// first request with nothing to push is), then waits until the sighting is written.
    func sawPulled(_ replica: ReplicaID, upTo position: Int64, epoch: String) async throws {
        let answer = try await pull("after=\(position)&exclude=\(replica)&epoch=\(epoch)")
        try #require(answer.status == 200, "\(answer)")
        _ = try await ReplicaProgressTests.report(server) { report in
            (report["replicas"] as? [[String: Any]])?.contains {
                $0["replica"] as? String == replica.description && $0["pulledPosition"] as? Int == Int(position)
            } == true
        }
    }

    /// The corpus as `corpus list --json` shows it.
    static func corpus(_ server: SyncServer) async throws -> [String: Any] {
        let listed = try await server.admin(["corpus", "list", "--json"]).object()
        return try #require((listed["corpora"] as? [[String: Any]])?.first { $0["name"] as? String == server.corpus }, "\(listed)")
    }
}
