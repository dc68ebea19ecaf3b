import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The scale-out guarantee under load: three `gloss-server` processes on one PostgreSQL
/// database, six replicas pushing big and small batches through all three at once, and
/// three pullers following the corpus through every server in turn with long polls and
/// small pages. Each puller must see every stored change exactly once: a change whose
/// transaction began before another's and committed after it would be skipped by a
/// puller that had already passed its position (see protocol.md, "Why a cursor never
/// skips a change"). Runs several times with different page sizes and timings.
extension ScaleOutTests {
    static let pushers = 6
    static let annotationsPerPusher = 120
    static let rounds = 3

    @Test(arguments: 1...3)
    func manyPushersAndLongPollingPullersOnThreeServersSeeEveryChangeExactlyOnce(run: Int) async throws {
        let (random, hint) = ChaosRandom.crash("ScaleOutTests/manyPushersAndLongPollingPullers", "run \(run)")
        try await PostgresDatabase.with { url in
            try await withTemporaryDirectory { directory in
                let first = try await SyncServer.start(in: directory, postgresURL: url)
                // The third server takes small batches only: its clients push many short
                // transactions between the others' long ones.
                let servers = [
                    first,
                    try await SyncServer.start(in: directory, postgresURL: url, createCorpus: false),
                    try await SyncServer.start(
                        in: directory, serveArguments: ["--max-batch-changes", "25"], postgresURL: url, createCorpus: false),
                ]
                do {
                    try await Self.pushAndFollow(servers: servers, run: run, random: random, hint: hint, in: directory)
                } catch {
                    for server in servers { try? await server.stop() }
                    throw error
                }
                for server in servers { try await server.stop() }
            }
        }
    }

    /// The followers' page sizes and waits come from `random` (see `follow`); `hint` says how to replay them.
    private static func pushAndFollow(
        servers: [SyncServer], run: Int, random: ChaosRandom, hint: String, in directory: TemporaryDirectory
    ) async throws {
        var random = random
        var made: [Store] = []
        for index in 0..<pushers {
            made.append(try await Store.replica("p\(index)", user: "u\(index)", server: servers[index % servers.count], in: directory))
        }
        let stores = made
        try await stores[0].ok(["import", Fixtures.seedPath])
        try await stores[0].sync()
        for store in stores.dropFirst() { try await store.sync() }
        let article = try #require(try await stores[0].objects(["articles"]).first?["id"] as? String)
        var files: [URL] = []
        for index in 0..<pushers {
            files.append(try await generatedCorpus(articles: 1, annotations: annotationsPerPusher, seed: 1_000 * run + index, in: directory))
        }
        let corpora = files
        let token = try await servers[0].token(user: "follower", scope: "read")
        let finish = Finish()

        // Each follower draws from its own generator: they run concurrently.
        let followerRandom = (0..<4).map { _ in ChaosRandom(seed: random.next()) }
        let followed = try await withThrowingTaskGroup(of: [String]?.self) { group in
            for follower in 0..<3 {
                group.addTask {
                    try await follow(servers: servers, token: token, startingWith: follower, finish: finish, random: followerRandom[follower])
                }
            }
            for (index, store) in stores.enumerated() {
                group.addTask {
                    // One big batch (an article and its annotations), then small ones.
                    try await store.ok(["import", corpora[index].path])
                    try await store.sync()
                    for round in 1...rounds {
                        _ = try await store.annotate(article, ["--quote", "Musul", "--occurrence", "1", "--note", "p\(index) \(round)"])
                        _ = try await store.annotate(article, ["--quote", "Irak", "--occurrence", "1", "--label", "LOC"])
                        try await store.sync()
                    }
                    return nil
                }
            }
            // Once every pusher is done, tell the followers where the corpus ends.
            var lists: [[String]] = []
            var pushersLeft = pushers
            while let result = try await group.next() {
                if let list = result {
                    lists.append(list)
                } else {
                    pushersLeft -= 1
                    if pushersLeft == 0 { await finish.set(try await servers[0].storedChanges()) }
                }
            }
            return lists
        }

        let expected = 1 + pushers * (1 + annotationsPerPusher) + pushers * rounds * 2
        #expect(try await servers[0].storedChanges() == expected, "\(hint)")
        let everything = try await follow(servers: [servers[1]], token: token, startingWith: 0, finish: finish, random: followerRandom[3])
        #expect(everything.count == expected && Set(everything).count == expected, "one full read holds every change once (\(hint))")
        #expect(followed.count == 3)
        for (index, dots) in followed.enumerated() {
            #expect(dots.count == Set(dots).count, "puller \(index) was given \(dots.count - Set(dots).count) changes twice (\(hint))")
            let missing = Set(everything).subtracting(dots)
            #expect(missing.isEmpty, "puller \(index) skipped \(missing.count) changes, e.g. \(missing.prefix(3)) (\(hint))")
        }

        for store in stores { try await store.sync() }
        let reference = try await stores[0].export("jsonl")
        for store in stores.dropFirst() {
            #expect(try await store.export("jsonl") == reference, "every replica converges through any server (\(hint))")
        }
        for store in stores { try await store.expectDoctorPasses() }
        #expect(try await servers[0].check().status == 0)
    }

    /// Where the corpus ends once every pusher is done (its last position).
    private actor Finish {
        private(set) var position: Int?
        func set(_ position: Int) { self.position = position }
    }

    /// Follows the corpus by its cursor, as a replica does, asking the servers in turn with
    /// page sizes drawn from `random`, half the time with a 1 s long poll and half the time
    /// at once (so pages are read in the instants between two pushes' commits); returns
    /// every dot it was given, in order, once it has read up to the position `finish` names.
    private static func follow(
        servers: [SyncServer], token: String, startingWith first: Int, finish: Finish, random: ChaosRandom
    ) async throws -> [String] {
        var random = random
        var dots: [String] = []
        var cursor = 0
        var epoch: String?
        var turn = first
        let deadline = Date().addingTimeInterval(180)
        while true {
            if let end = await finish.position, cursor >= end { return dots }
            try #require(Date() < deadline, "the follower did not reach the end within 180 s (cursor \(cursor))")
            let server = servers[turn % servers.count]
            turn += 1
            let wait = Int.random(in: 0...1, using: &random)
            let page = try await server.pull(after: cursor, limit: Int.random(in: 3...60, using: &random), wait: wait, token: token)
            if let epoch { try #require(page.epoch == epoch, "the epoch changed while following") }
            epoch = page.epoch
            try #require(page.cursor >= cursor, "the cursor went back from \(cursor) to \(page.cursor)")
            try #require(
                page.cursor - cursor == page.dots.count,
                "a page from \(cursor) to \(page.cursor) held \(page.dots.count) changes: positions are gapless")
            dots += page.dots
            cursor = page.cursor
            if page.dots.isEmpty, wait == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
    }
}

extension SyncServer {
    /// One page of `GET /v1/corpora/{corpus}/changes`: the dots it holds, its cursor and epoch.
    func pull(after: Int, limit: Int, wait: Int, token: String) async throws -> (dots: [String], cursor: Int, epoch: String) {
        let requestURL = try #require(URL(string: "\(url)/v1/corpora/\(corpus)/changes?after=\(after)&limit=\(limit)&wait=\(wait)"))
        var request = URLRequest(url: requestURL)
        request.timeoutInterval = 30
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("1", forHTTPHeaderField: "Gloss-Protocol")
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (body, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? -1
        try #require(status == 200, "pull answered \(status): \(String(decoding: body, as: UTF8.self))")
        let page = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let changes = try #require(page["changes"] as? [[String: Any]])
        let dots = try changes.map { change in
            "\(try #require(change["replica"] as? String)):\(try #require(change["seq"] as? Int))"
        }
        return (dots, try #require(page["cursor"] as? Int), try #require(page["epoch"] as? String))
    }
}
