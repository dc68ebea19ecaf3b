import Foundation
import Testing

/// End to end: a new replica's first `gloss sync` starts from the server's snapshot and
/// ends exactly where replaying the log ends, then lives on like any other replica.
@Suite struct SnapshotSyncTests {
    /// Two replicas with a merged edit, an open conflict and a deletion, all synced, then
    /// a snapshot, then more changes after it (so the snapshot is older than the corpus).
    static func history(_ server: SyncServer, _ directory: TemporaryDirectory) async throws -> (a: Store, b: Store, article: String) {
        let pair = try await SyncTests.pair(server, directory)
        let (a, b) = (pair.a, pair.b)
        let second = try #require(try await a.annotate(pair.article, ["--quote", "Musul kentini", "--note", "kent"])["id"] as? String)
        try await a.sync()
        try await b.sync()
        try await a.ok(["edit", pair.annotation, "--note", "A'nın notu"])
        try await b.ok(["edit", pair.annotation, "--note", "B'nin notu"])
        try await b.ok(["delete", second])
        try await a.sync()
        try await b.sync()
        try await a.sync()
        try await server.admin(["snapshot", "create", "--corpus", server.corpus])
        _ = try await a.annotate(pair.article, ["--quote", "Kudüs", "--occurrence", "1", "--note", "after the snapshot"])
        try await a.sync()
        try await b.sync()
        return (a, b, pair.article)
    }

    @Test(arguments: SyncBackend.enabled) func aSnapshotReplicaIsWhatReplayMakes(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let (a, b, article) = try await Self.history(server, directory)
            let fromSnapshot = try await Store.replica("phone", user: "phone", server: server, in: directory)
            let first = try await fromSnapshot.sync()
            let snapshot = try #require(first["snapshot"] as? [String: Any], "\(first)")
            #expect(snapshot["used"] as? Bool == true, "\(first)")
            let position = try #require(snapshot["position"] as? Int)
            #expect(first["pulled"] as? Int == 1, "only the change after the snapshot is pulled: \(first)")
            #expect(try await server.storedChanges() == position + 1)

            let replayed = try await Store.replica("laptop", user: "laptop", server: server, in: directory)
            let replay = try await replayed.object(["sync", "--no-snapshot"])
            #expect(replay["snapshot"] is NSNull, "\(replay)")
            #expect(replay["pulled"] as? Int == position + 1)

            for format in ["jsonl", "json", "w3c"] {
                #expect(try await fromSnapshot.export(format) == replayed.export(format), "\(format)")
                #expect(try await fromSnapshot.export(format) == a.export(format), "\(format)")
            }
            #expect(try await fromSnapshot.conflicts().count == 1)
            #expect(NSDictionary(dictionary: ["c": try await fromSnapshot.conflicts()]) == NSDictionary(dictionary: ["c": try await replayed.conflicts()]))
            try await fromSnapshot.expectDoctorPasses()

            // It goes on: annotates, resolves the conflict, and everyone converges.
            _ = try await fromSnapshot.annotate(article, ["--quote", "Musul", "--occurrence", "2", "--note", "from the phone"])
            let conflicted = try #require(try await fromSnapshot.conflicts().first?["id"] as? String)
            try await fromSnapshot.ok(["resolve", conflicted, "--note", "settled on the phone"])
            let pushed = try await fromSnapshot.sync()
            #expect(pushed["pushed"] as? Int == 2, "\(pushed)")
            for store in [a, b, replayed] { try await store.sync() }
            let expected = try await fromSnapshot.export("jsonl")
            for store in [a, b, replayed] {
                #expect(try await store.export("jsonl") == expected, "\(store.path)")
                #expect(try await store.conflicts().isEmpty)
            }
            #expect(try await server.check().status == 0)
        }
    }

    @Test func withoutASnapshotTheFirstSyncReplays() async throws {
        try await withSyncServer { server, directory in
            let pair = try await SyncTests.pair(server, directory)
            let fresh = try await Store.replica("phone", user: "phone", server: server, in: directory)
            let report = try await fresh.sync()
            let snapshot = try #require(report["snapshot"] as? [String: Any], "\(report)")
            #expect(snapshot["used"] as? Bool == false)
            #expect(snapshot["reason"] as? String == "the server has no snapshot")
            #expect(report["pulled"] as? Int == 2)
            #expect(try await fresh.export("jsonl") == pair.a.export("jsonl"))
        }
    }

    @Test func aReplicaWithItsOwnChangesNeverTakesASnapshot() async throws {
        try await withSyncServer { server, directory in
            let (a, _, _) = try await Self.history(server, directory)
            let offline = try await Store.replica("offline", user: "offline", server: server, in: directory)
            try await offline.ok(["import", Fixtures.seedPath])
            let article = try #require(try await offline.objects(["articles"]).first?["id"] as? String)
            let mine = try #require(try await offline.annotate(article, ["--quote", "Kudüs", "--occurrence", "1", "--note", "offline"])["id"] as? String)
            let report = try await offline.sync()
            #expect(report["snapshot"] is NSNull, "\(report)")
            #expect(try await offline.annotation(mine)["note"] as? String == "offline")
            try await a.sync()
            #expect(try await a.export("jsonl") == offline.export("jsonl"))
        }
    }
}

/// A snapshot damaged on the server's disk (so served under its old ETag) is refused by
/// the client in one line, and the first sync replays the log instead.
@Suite struct DamagedSnapshotSyncTests {
    @Test func aSnapshotDamagedOnTheServersDiskIsRefusedAndTheLogReplayed() async throws {
        try await withSyncServer { server, directory in
            let (a, _, _) = try await SnapshotSyncTests.history(server, directory)
            let folder = (server.data as NSString).appendingPathComponent("snapshots")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sqlite") }
            let file = (folder as NSString).appendingPathComponent(try #require(files.first, "no snapshot file in \(folder)"))
            let handle = try #require(FileHandle(forWritingAtPath: file))
            try handle.seek(toOffset: 4096 * 2 + 200)
            try handle.write(contentsOf: Data([0xDE, 0xAD, 0xBE, 0xEF]))
            try handle.close()

            let fresh = try await Store.replica("phone", user: "phone", server: server, in: directory)
            let result = try await fresh.run(["sync"])
            #expect(result.status == 0, "\(result)")
            let refusals = result.stderr.split(separator: "\n").filter { $0.contains("snapshot") }
            #expect(refusals.count == 1, "\(result.stderr)")
            #expect(refusals.first?.contains("did not use the server's snapshot") == true, "\(result.stderr)")
            #expect(refusals.first?.contains("SHA-256") == true, "\(result.stderr)")
            #expect(try await fresh.export("jsonl") == a.export("jsonl"))
            try await fresh.expectDoctorPasses()
            #expect(!FileManager.default.fileExists(atPath: fresh.path + ".snapshot"))
        }
    }
}
