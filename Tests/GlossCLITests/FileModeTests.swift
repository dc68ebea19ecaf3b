import Foundation
import Testing

/// The replica holds its remote's token and the server's data folder every corpus: both
/// are made private (0600 files, 0700 folders) and tightened when found open to others.
@Suite struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, "no mode for \(path)")
    }

    static func setMode(_ mode: Int, _ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    // MARK: The replica

    @Test func initMakesAPrivateStoreInPrivateFolders() async throws {
        try await withTemporaryDirectory { directory in
            let store = Store(path: directory.path("new/sub/notes.gloss"))
            try await store.ok(["init", "--name", "ayşe"])
            #expect(try Self.mode(store.path) == 0o600)
            #expect(try Self.mode(directory.path("new")) == 0o700)
            #expect(try Self.mode(directory.path("new/sub")) == 0o700)
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: store.path + suffix) {
                #expect(try Self.mode(store.path + suffix) == 0o600, "\(suffix)")
            }
        }
    }

    @Test func aStoreReadableByOthersIsTightenedWithOneNoticeLine() async throws {
        try await withTemporaryDirectory { directory in
            let (store, _) = try await Store.seeded(in: directory)
            try Self.setMode(0o644, store.path)
            let first = try await store.run(["status"])
            #expect(first.status == 0, "\(first)")
            #expect(first.stderrLines == ["gloss: note: tightened permissions of \(store.path) to 0600 (it was readable by other users)"], "\(first)")
            #expect(try Self.mode(store.path) == 0o600)
            let second = try await store.run(["articles"])
            #expect(second.status == 0 && second.stderr.isEmpty, "the notice comes once: \(second)")
        }
    }

    @Test func doctorReportsAStoreThatWasOpenToOthersOnce() async throws {
        try await withTemporaryDirectory { directory in
            let (store, _) = try await Store.seeded(in: directory)
            try Self.setMode(0o664, store.path)
            let doctor = try await store.run(["doctor"])
            #expect(doctor.status == 1, "\(doctor)")
            #expect(
                doctor.stdout == "problem: \(store.path) was readable and writable by other users (mode 0664); tightened to 0600\n",
                "\(doctor)")
            // Its own report, no separate notice: one line on stderr, the verdict.
            #expect(doctor.stderrLines.count == 1 && doctor.stderr.contains("private now"), "\(doctor)")
            #expect(saysWhatToDo(doctor.stderrLines[0]), "\(doctor)")
            #expect(try Self.mode(store.path) == 0o600)
            try await store.expectDoctorPasses()

            try Self.setMode(0o644, store.path)
            let json = try await store.run(["doctor", "--json"])
            #expect(json.status == 1, "\(json)")
            let report = try json.object()
            #expect(report["healthy"] as? Bool == false)
            let loose = try #require(report["loose_permissions"] as? [[String: Any]])
            #expect(loose.count == 1 && loose[0]["path"] as? String == store.path && loose[0]["mode"] as? String == "0644")
            #expect(loose[0]["tightened"] as? Bool == true)
            // --repair has nothing to rebuild; the finding still fails this one run.
            try Self.setMode(0o640, store.path)
            let repair = try await store.run(["doctor", "--repair"])
            #expect(repair.status == 1 && !repair.stdout.contains("repaired"), "\(repair)")
            try await store.expectDoctorPasses()
        }
    }

    // MARK: The server's data folder

    @Test func serveCreatesAPrivateDataFolder() async throws {
        try await withTemporaryDirectory { directory in
            // No admin command first: `serve` makes the folder.
            let server = try await SyncServer.start(in: directory, createCorpus: false)
            do {
                #expect(try Self.mode(server.data) == 0o700)
                for suffix in ["", "-wal", "-shm"] {
                    #expect(try Self.mode(server.data + "/gloss.sqlite" + suffix) == 0o600, "gloss.sqlite\(suffix)")
                }
                #expect(!server.stderrText.contains("tightened"), "\(server.stderrText)")
                try await server.admin(["corpus", "create", "news"])
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
        }
    }

    @Test func adminCommandsAndBackupsMakePrivateFiles() async throws {
        try await withTemporaryDirectory { directory in
            let data = directory.path("srv/data")
            let environment = ProcessInfo.processInfo.environment.filter { $0.key != "GLOSS_POSTGRES_URL" }
            let created = try await Runner.run(SyncServer.binary, ["corpus", "create", "news", "--data", data], environment: environment)
            #expect(created.status == 0 && created.stderr.isEmpty, "\(created)")
            #expect(try Self.mode(directory.path("srv")) == 0o700)
            #expect(try Self.mode(data) == 0o700)
            #expect(try Self.mode(data + "/gloss.sqlite") == 0o600)
            let backup = directory.path("backup.sqlite")
            let made = try await Runner.run(SyncServer.binary, ["backup", "--data", data, "--to", backup], environment: environment)
            #expect(made.status == 0, "\(made)")
            #expect(try Self.mode(backup) == 0o600)
        }
    }

    @Test func aLooseDataFolderIsTightenedAndReportedOnce() async throws {
        try await withTemporaryDirectory { directory in
            // Where SyncServer serves from.
            let data = directory.path("server-data")
            let database = data + "/gloss.sqlite"
            let environment = ProcessInfo.processInfo.environment.filter { $0.key != "GLOSS_POSTGRES_URL" }
            func run(_ arguments: [String]) async throws -> ProcessResult {
                try await Runner.run(SyncServer.binary, arguments + ["--data", data], environment: environment)
            }
            try #require(try await run(["corpus", "create", "news"]).status == 0)
            func loosen() throws {
                try Self.setMode(0o755, data)
                try Self.setMode(0o644, database)
            }

            // `check` lists them among its problems, and fails the run that finds them.
            try loosen()
            let check = try await run(["check"])
            #expect(check.status == 1, "\(check)")
            #expect(
                check.stdout == """
                    problem: \(data) was readable by other users (mode 0755); tightened to 0700
                    problem: \(database) was readable by other users (mode 0644); tightened to 0600

                    """, "\(check)")
            #expect(check.stderrLines.count == 1 && check.stderr.contains("private now"), "\(check)")
            #expect(try Self.mode(data) == 0o700 && (try Self.mode(database)) == 0o600)
            let again = try await run(["check"])
            #expect(again.status == 0 && again.stdout == "ok\n", "\(again)")

            // An admin command says so in one line.
            try loosen()
            let listed = try await run(["corpus", "list"])
            #expect(listed.status == 0, "\(listed)")
            #expect(
                listed.stderrLines == [
                    "gloss-server: note: tightened permissions of \(data) to 0700 and \(database) to 0600 (they were readable by other users)"
                ], "\(listed)")

            // `serve` logs it at notice level.
            try loosen()
            let server = try await SyncServer.start(in: directory, createCorpus: false)
            let log = server.stderrText
            try await server.stop()
            #expect(log.contains("notice") && log.contains("tightened permissions of \(data) to 0700 and \(database) to 0600"), "\(log)")
            #expect(try Self.mode(data) == 0o700 && (try Self.mode(database)) == 0o600)
        }
    }
}
