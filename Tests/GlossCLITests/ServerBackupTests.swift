import Foundation
import Testing

/// `gloss-server backup` and `restore`: a restored server loses nothing any replica holds,
/// and no replica skips a change stored after the restore.
@Suite struct ServerBackupTests {
    @Test func afterARestoreEveryReplicaConvergesAndNoneSkipsAReusedPosition() async throws {
        try await withSyncServer { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            let d = try await Store.replica("deniz", user: "deniz", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            try await a.annotate(article, ["--quote", "Kudüs", "--note", "yedeklenmiş"])
            try await a.sync()
            try await d.sync()

            let backup = directory.path("backup.sqlite")
            let made = try await server.admin(["backup", "--to", backup])
            #expect(made.stdout.contains("Backed up"))
            #expect(FileManager.default.fileExists(atPath: backup))

            // After the backup: two more annotations of Ayşe, which Bora pulls (his cursor: 4).
            try await a.annotate(article, ["--quote", "Musul", "--occurrence", "1", "--label", "LOC"])
            try await a.annotate(article, ["--quote", "Musul", "--occurrence", "2", "--label", "LOC"])
            try await a.sync()
            try await b.sync()
            #expect(try await server.storedChanges() == 4)

            try await server.stop()
            let restored = try await server.admin(["restore", "--from", backup, "--yes"])
            #expect(restored.stdout.contains("Restored 1 corpora (2 changes)"), "\(restored)")
            try await server.restart()
            #expect(try await server.storedChanges() == 2)

            // Deniz writes first: his change takes position 3, which Bora's cursor already passed.
            try await d.annotate(article, ["--quote", "güvenlik güçleri", "--note", "yedekten sonra"])
            let dReport = try await d.sync()
            #expect(dReport["restarted"] as? Bool == true)
            // Ayşe is told where the server's copy of her seqs ends and pushes the rest again.
            let aReport = try await a.sync()
            #expect(aReport["pushed"] as? Int == 2)
            // Bora pulls everything again and gets Deniz's change.
            let bReport = try await b.sync()
            #expect(bReport["restarted"] as? Bool == true)
            #expect(try await b.objects(["annotations"]).contains { $0["note"] as? String == "yedekten sonra" })

            for store in [a, b, d] { try await store.sync() }
            let reference = try await a.export("jsonl")
            #expect(try await b.export("jsonl") == reference)
            #expect(try await d.export("jsonl") == reference)
            #expect(try await server.storedChanges() == 5)
            #expect(try await server.check().status == 0)
            for store in [a, b, d] { try await store.ok(["doctor"]) }
            // Later syncs do not start over again.
            #expect(try await b.sync()["restarted"] as? Bool == false)
        }
    }

    @Test(arguments: SyncBackend.enabled) func renewEpochsMakesEveryReplicaStartOverOnce(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            try await a.sync()
            #expect(try await a.sync()["restarted"] as? Bool == false)
            let renewed = try await server.admin(["renew-epochs"])
            #expect(renewed.stdout.contains("Renewed the epoch of 1 corpus"), "\(renewed)")
            let report = try await a.sync()
            #expect(report["restarted"] as? Bool == true)
            #expect(report["pushed"] as? Int == 0, "everything was still there: all duplicates")
            #expect(try await a.sync()["restarted"] as? Bool == false)
            #expect(try await server.storedChanges() == 1)
        }
    }

    @Test func backupAndRestoreRefuseWhatWouldLoseData() async throws {
        try await withSyncServer { server, directory in
            let backup = directory.path("backup.sqlite")
            try await server.admin(["backup", "--to", backup])
            let again = try await Runner.run(SyncServer.binary, ["backup", "--data", server.data, "--to", backup], environment: Gloss.environment())
            #expect(again.status == 1 && again.stderrLines.count == 1 && again.stderr.contains("already exists"), "\(again)")

            // No terminal and no --yes: nothing replaced.
            let unconfirmed = try await Runner.run(
                SyncServer.binary, ["restore", "--from", backup, "--data", server.data], environment: Gloss.environment())
            #expect(unconfirmed.status == 1 && unconfirmed.stderrLines.count == 1 && unconfirmed.stderr.contains("--yes"), "\(unconfirmed)")

            let notABackup = directory.path("not-a-backup.sqlite")
            try Data("hello".utf8).write(to: URL(fileURLWithPath: notABackup))
            for file in [notABackup, directory.path("missing.sqlite")] {
                let result = try await Runner.run(
                    SyncServer.binary, ["restore", "--from", file, "--data", server.data, "--yes"], environment: Gloss.environment())
                #expect(result.status == 1 && result.stderrLines.count == 1 && result.stderr.contains("not a gloss-server backup"), "\(result)")
            }
            #expect(try await server.check().status == 0)
        }
    }
}
