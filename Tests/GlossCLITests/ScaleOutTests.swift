import Foundation
import Testing

/// Several `gloss-server` processes on one PostgreSQL database (issue: scale-out). Runs
/// when `GLOSS_TEST_POSTGRES_URL` names a database whose role may create databases.
@Suite(.enabled(if: PostgresDatabase.baseURL != nil, "set GLOSS_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB to run"))
struct ScaleOutTests {
    @Test func twoServersOnOneDatabaseStoreEveryChangeOnceAndNoPullSkipsOne() async throws {
        try await PostgresDatabase.with { url in
            try await withTemporaryDirectory { directory in
                let first = try await SyncServer.start(in: directory, postgresURL: url)
                let second = try await SyncServer.start(in: directory, postgresURL: url, createCorpus: false)
                do {
                    let servers = [first, second]
                    var made: [Store] = []
                    for index in 0..<4 {
                        made.append(try await Store.replica("r\(index)", user: "u\(index)", server: servers[index % 2], in: directory))
                    }
                    let stores = made
                    try await stores[0].ok(["import", Fixtures.seedPath])
                    try await stores[0].sync()
                    for store in stores.dropFirst() { try await store.sync() }
                    let article = try #require(try await stores[0].objects(["articles"]).first?["id"] as? String)
                    let quotes = ["Musul", "Irak", "DEAŞ", "Kudüs"]

                    // Every replica annotates and syncs in rounds, all at once, half of them
                    // through each server: pushes commit while the others pull.
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (index, store) in stores.enumerated() {
                            group.addTask {
                                for round in 1...4 {
                                    _ = try await store.annotate(article, ["--quote", quotes[index], "--occurrence", "1", "--note", "r\(index) \(round)"])
                                    _ = try await store.annotate(article, ["--quote", quotes[(index + round) % 4], "--occurrence", "1", "--label", "LOC"])
                                    try await store.sync()
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    // The same replica's batch pushed to both servers at once: stored once.
                    _ = try await stores[1].annotate(article, ["--quote", "Irak", "--occurrence", "1", "--note", "iki sunucu"])
                    let twin = Store(path: directory.path("r1-twin.gloss"))
                    try FileManager.default.copyItem(atPath: stores[1].path, toPath: twin.path)
                    try await twin.ok(["remote", "set", first.url, "--corpus", first.corpus, "--token", try await first.token(user: "u1")])
                    async let one = stores[1].sync()
                    async let other = twin.sync()
                    let pushed = (try await one)["pushed"] as? Int ?? -1
                    let pushedTwin = (try await other)["pushed"] as? Int ?? -1
                    #expect(pushed + pushedTwin == 1, "the batch is stored once: \(pushed) + \(pushedTwin)")

                    for store in stores { try await store.sync() }
                    for store in stores { try await store.sync() }
                    let reference = try await stores[0].export("jsonl")
                    for store in stores.dropFirst() {
                        #expect(try await store.export("jsonl") == reference, "every replica converges through either server")
                    }
                    // 1 article + 4 replicas × 4 rounds × 2 annotations + the twin's one.
                    #expect(try await first.storedChanges() == 1 + 32 + 1)
                    #expect(try await second.storedChanges() == 1 + 32 + 1)
                    #expect(try await first.check().status == 0)
                    for store in stores { try await store.ok(["doctor"]) }
                } catch {
                    try? await first.stop()
                    try? await second.stop()
                    throw error
                }
                try await first.stop()
                try await second.stop()
            }
        }
    }
}

extension ScaleOutTests {
    @Test func migrateStorageMovesACorpusToPostgreSQLAndReplicasCarryOn() async throws {
        try await PostgresDatabase.with { url in
            try await withTemporaryDirectory { directory in
                let sqlite = try await SyncServer.start(in: directory)
                let a = try await Store.replica("ayse", user: "ayse", server: sqlite, in: directory)
                try await a.ok(["import", Fixtures.seedPath])
                let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
                try await a.annotate(article, ["--quote", "Kudüs", "--note", "taşınacak"])
                try await a.sync()
                _ = try await sqlite.token(user: "eski")
                let listing = try await sqlite.admin(["token", "list"]).stdout
                let revokedID = try #require(listing.split(separator: "\n").last?.split(separator: "\t").first.map(String.init))
                try await sqlite.admin(["token", "revoke", revokedID])
                let port = sqlite.port
                try await sqlite.stop()

                let migrated = try await Runner.run(
                    SyncServer.binary, ["migrate-storage", "--data", sqlite.data, "--postgres", url], environment: Gloss.environment())
                #expect(migrated.status == 0 && migrated.stdout.contains("Copied 1 corpora, 2 tokens, 1 replicas and 2 changes"), "\(migrated)")
                // Into a database that is no longer empty: refused, nothing changed.
                let again = try await Runner.run(
                    SyncServer.binary, ["migrate-storage", "--data", sqlite.data, "--postgres", url], environment: Gloss.environment())
                #expect(again.status == 1 && again.stderr.contains("empty"), "\(again)")

                let postgres = try await SyncServer.start(in: directory, postgresURL: url, createCorpus: false, port: port)
                do {
                    // Same URL, token, cursor and epoch: nothing to pull again.
                    let report = try await a.sync()
                    #expect(report["restarted"] as? Bool == false)
                    #expect(report["pulled"] as? Int == 0)
                    try await a.annotate(article, ["--quote", "Musul", "--occurrence", "1", "--label", "LOC"])
                    #expect(try await a.sync()["pushed"] as? Int == 1)
                    let b = try await Store.replica("bora", user: "bora", server: postgres, in: directory)
                    try await b.sync()
                    #expect(try await b.export("jsonl") == (try await a.export("jsonl")))
                    #expect(try await postgres.storedChanges() == 3)
                    #expect(try await postgres.admin(["token", "list"]).stdout.contains("revoked"), "revocations carry over")
                    #expect(try await postgres.check().status == 0)
                } catch {
                    try? await postgres.stop()
                    throw error
                }
                try await postgres.stop()
            }
        }
    }
}

/// A fresh PostgreSQL database per test, made and dropped with `psql`.
enum PostgresDatabase {
    static let baseURL: String? = {
        let url = ProcessInfo.processInfo.environment["GLOSS_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }()

    static func with<T>(_ body: (String) async throws -> T) async throws -> T {
        let base = try #require(baseURL)
        let name = "gloss_cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = try await Runner.tool("psql", [base, "-q", "-c", "CREATE DATABASE \(name)"])
        try #require(created.status == 0, "psql: \(created)")
        var components = try #require(URLComponents(string: base))
        components.path = "/" + name
        let url = try #require(components.string)
        do {
            let value = try await body(url)
            _ = try await Runner.tool("psql", [base, "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
            return value
        } catch {
            _ = try? await Runner.tool("psql", [base, "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
            throw error
        }
    }
}
