import Foundation
import Testing

/// Real replicas across a real server's compaction: a replica offline while the server
/// compacted past it is refused, rebuilds itself, and neither resurrects what was deleted
/// meanwhile nor loses what it wrote; a replica that joins afterwards gets the same corpus
/// from the compacted log; every store passes `gloss doctor` and `gloss-server check`.
struct CompactionSyncTests {
    @Test(arguments: SyncBackend.enabled) func aReplicaOfflineAcrossACompactionRebuildsWithoutResurrectingOrLosing(backend: SyncBackend)
        async throws
    {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            let doomed = try #require(try await a.annotate(article, ["--quote", "Kudüs", "--note", "silinecek"])["id"] as? String)
            let shared = try #require(try await a.annotate(article, ["--quote", "Musul kentini", "--note", "ilk not"])["id"] as? String)
            try await a.sync()
            try await b.sync()
            let idB = try await ReplicaProgressTests.replicaID(b)

            // Bora, offline: edits both notes and writes a new annotation.
            try await b.ok(["edit", doomed, "--note", "bora bunu tutuyor"])
            try await b.ok(["edit", shared, "--note", "bora'nın notu"])
            let added = try #require(try await b.annotate(article, ["--quote", "Iraklı komutanlar", "--note", "yeni"])["id"] as? String)

            // Ayşe deletes one and tags the other again and again; Bora is retired and the
            // server compacts: the superseded versions go.
            try await a.ok(["delete", doomed])
            for tag in ["bir", "iki", "üç", "dört"] { try await a.ok(["edit", shared, "--add-tag", tag]) }
            try await a.sync()
            try await a.sync()
            try await server.admin(["replicas", "retire", "--corpus", server.corpus, idB])
            let stored = try await server.storedChanges()
            let compacted = try await Self.compactOnce(server)
            #expect((compacted["dropped"] as? Int ?? 0) > 0, "\(compacted)")
            #expect(try await server.storedChanges() < stored)
            #expect(try await server.check().status == 0)

            // Bora's next sync is refused, rebuilds, and says so in one line.
            let sync = try await b.run(["sync"])
            #expect(sync.status == 0, "\(sync)")
            #expect(sync.stderr.contains("rebuilt from the server's current state"), "\(sync.stderr)")
            #expect(try await ReplicaProgressTests.replicaID(b) != idB)

            // A new replica joins from the compacted log.
            let c = try await Store.replica("cem", user: "cem", server: server, in: directory)
            try await c.sync()
            try await a.sync()
            try await b.sync()
            let exports = try await [a.export("jsonl"), b.export("jsonl"), c.export("jsonl")]
            #expect(exports[0] == exports[1] && exports[1] == exports[2])

            // The deletion and Bora's edit stand as a conflict; both edits of the other merged.
            let conflicted = try await a.conflicts().map { $0["id"] as? String }
            #expect(conflicted.contains(doomed), "\(conflicted)")
            let merged = try await c.annotation(shared)
            #expect(merged["note"] as? String == "bora'nın notu", "\(merged)")
            #expect(Set(merged["tags"] as? [String] ?? []).isSuperset(of: ["bir", "iki", "üç", "dört"]), "\(merged)")
            #expect(try await c.annotation(added)["note"] as? String == "yeni")
            for store in [a, b, c] { try await store.expectDoctorPasses() }
            #expect(try await server.check().status == 0)
        }
    }

    /// `gloss compact` killed with SIGKILL at several points of its run (in its transaction,
    /// in its VACUUM) leaves a replica that passes `gloss doctor` and shows what it showed,
    /// compacted wholly or not at all; the next `gloss compact` finishes the job.
    @Test func aReplicaCompactionKilledHalfWayLeavesAConsistentReplica() async throws {
        try await withSyncServer(on: .sqlite) { server, directory in
            let http = CorpusHTTP(server: server, token: try await server.token(user: "ayse"))
            var log = ChangeMaker()
            let history = log.history(annotations: 2_000, versions: 5)
            for start in stride(from: 0, to: history.count, by: 1_000) {
                try await http.push(log.replica, Array(history[start..<min(start + 1_000, history.count)]))
            }
            let total = history.count
            let c = try await Store.replica("cem", user: "cem", server: server, in: directory)
            try await c.ok(["sync", "--no-snapshot"])
            try await c.sync()
            try await http.sawPulled(log.replica, upTo: Int64(total), epoch: try await http.epoch())
            _ = try await Self.compactOnce(server)
            // The replica learns the floor and where its log stands on the server.
            try await c.sync()
            let shown = try await c.export("jsonl")
            #expect(try await c.status()["changes"] as? Int == total)

            // How long a whole compaction takes, on a copy.
            let probe = Store(path: directory.path("probe.gloss"))
            try Self.copyReplica(from: c.path, to: probe.path)
            let started = Date()
            let whole = try await probe.object(["compact"])
            let seconds = Date().timeIntervalSince(started)
            let compacted = 1 + 2 * 2_000  // the article, and each annotation's first and last version
            #expect(whole["compacted"] as? Bool == true, "\(whole)")
            #expect(try await probe.status()["changes"] as? Int == compacted)

            for (attempt, fraction) in [0.15, 0.4, 0.65, 0.9].enumerated() {
                let copy = Store(path: directory.path("killed-\(attempt).gloss"))
                try Self.copyReplica(from: c.path, to: copy.path)
                let process = Process()
                process.executableURL = Gloss.binary
                process.arguments = ["compact", "--store", copy.path]
                process.environment = Gloss.environment()
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                try await Task.sleep(for: .milliseconds(Int(seconds * fraction * 1_000)))
                kill(process.processIdentifier, SIGKILL)
                try await SyncServer.waitForExit(process, timeout: 10)
                try await copy.expectDoctorPasses()
                #expect(try await copy.export("jsonl") == shown, "killed at \(fraction) of its run")
                let left = try await copy.status()["changes"] as? Int
                #expect(left == total || left == compacted, "all or nothing, killed at \(fraction): \(left.map(String.init) ?? "?") changes")
                let finished = try await copy.object(["compact"])
                #expect(finished["compacted"] as? Bool == true, "\(finished)")
                #expect(try await copy.status()["changes"] as? Int == compacted)
                try await copy.expectDoctorPasses()
            }
        }
    }

    /// Copies a replica that no process has open (its file and write-ahead log).
    static func copyReplica(from source: String, to target: String) throws {
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: target + suffix)
        }
    }

    /// `gloss-server compact --corpus NAME --json`, once the horizon has reached the latest
    /// position (sightings are written every second).
    static func compactOnce(_ server: SyncServer) async throws -> [String: Any] {
        let report = try await ReplicaProgressTests.report(server) { report in
            report["horizon"] as? Int == report["latestPosition"] as? Int
        }
        #expect(report["horizon"] as? Int == report["latestPosition"] as? Int, "\(report)")
        return try await server.admin(["compact", "--corpus", server.corpus, "--json"]).object()
    }
}
