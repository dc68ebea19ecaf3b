import Foundation
import Testing

/// `kill -9` of a new replica's first sync while it downloads, checks or copies the
/// server's snapshot: the replica is either still empty or holds the whole snapshot, never
/// part of it, and the next sync ends where replaying the log ends.
@Suite struct SnapshotCrashTests {
    @Test(arguments: SyncBackend.enabled) func aFirstSyncKilledDuringTheAdoptionLeavesAnEmptyOrWholeReplica(
        backend: SyncBackend
    ) async throws {
        var (random, hint) = ChaosRandom.crash("SnapshotCrashTests/aFirstSyncKilled", "on \(backend.testDescription)")
        try await withSyncServer(on: backend) { server, directory in
            let corpus = try await generatedCorpus(articles: 20, annotations: 3_000, in: directory)
            let source = try await Store.replica("source", user: "source", server: server, in: directory)
            try await source.ok(["import", corpus.path])
            try await source.sync()
            try await server.admin(["snapshot", "create", "--corpus", server.corpus])
            let total = try await server.storedChanges()
            let expected = try await source.export("jsonl")

            // How long a whole first sync from the snapshot takes here, to kill inside it.
            let reference = try await Store.replica("reference", user: "reference", server: server, in: directory)
            let began = Date()
            let first = try await reference.sync()
            let duration = Date().timeIntervalSince(began)
            #expect((first["snapshot"] as? [String: Any])?["used"] as? Bool == true, "\(first)")

            for round in 1...3 {
                let phone = try await Store.replica("phone-\(round)", user: "phone", server: server, in: directory)
                let delay = Int.random(in: 0...Int(duration * 1000), using: &random)
                let running = try CrashTests.Running(["sync", "--store", phone.path], in: directory, name: "sync-\(round)")
                try await Task.sleep(for: .milliseconds(delay))
                running.kill()
                let kill = "round \(round), killed \(delay) ms into a sync that takes \(Int(duration * 1000)) ms; \(hint)"

                let changes = try #require(try await phone.status()["changes"] as? Int, "\(kill)")
                #expect(changes == 0 || changes == total, "a partial snapshot: \(changes) of \(total) changes (\(kill))")
                try await phone.expectDoctorPasses()
                let resumed = try await phone.sync()
                #expect(try await phone.status()["changes"] as? Int == total, "\(resumed) (\(kill))")
                #expect(try await phone.export("jsonl") == expected, "\(kill)")
                #expect(!FileManager.default.fileExists(atPath: phone.path + ".snapshot"), "the download was left behind (\(kill))")
                try await phone.expectDoctorPasses()
            }
        }
    }
}
