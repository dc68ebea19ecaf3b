import Foundation
import Testing

/// `gloss sync --watch`: a real watching process on one replica while other `gloss`
/// processes edit it and another replica syncs. Bounds are set against the long poll
/// (30 s), not the clock, so a loaded machine does not fail them; the latency itself is
/// measured by scripts/bench.
@Suite struct WatchTests {
    /// Waits until `condition` holds, checking every 100 ms, for at most `seconds`.
    func eventually(within seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test(arguments: SyncBackend.enabled) func watchPushesLocalEditsWhileItsLongPollIsOpenAndPullsOthers(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let pair = try await SyncTests.pair(server, directory)
            let watching = try CrashTests.Running(
                ["sync", "--watch", "--interval", "30", "--json", "--store", pair.a.path], in: directory, name: "watch-a")
            defer { watching.kill() }
            // The first, complete sync prints its report.
            #expect(try await eventually(within: 60) { watching.stdout.contains("\"pushed\"") }, "\(watching.stderr)")

            // An edit made by another gloss process on the same replica is pushed while the
            // watch's long poll waits: B sees it long before the poll's 30 s are over.
            let started = Date()
            _ = try await pair.a.ok(["edit", pair.annotation, "--note", "izlerken"])
            #expect(try await eventually(within: 20) {
                try await pair.b.sync()
                return try await pair.b.annotation(pair.annotation)["note"] as? String == "izlerken"
            }, "the watch did not push the edit: \(watching.stdout) \(watching.stderr)")
            #expect(Date().timeIntervalSince(started) < 25)

            // B's new annotation reaches A through the open long poll.
            let fromB = try #require(
                try await pair.b.annotate(pair.article, ["--quote", "DEAŞ", "--occurrence", "1", "--note", "B'den"])["id"] as? String)
            try await pair.b.sync()
            #expect(try await eventually(within: 20) {
                (try await pair.a.objects(["annotations"])).contains { $0["id"] as? String == fromB }
            }, "the watch did not pull B's annotation: \(watching.stdout) \(watching.stderr)")

            // Each round that moved something printed one JSON report; rounds that moved nothing stayed quiet.
            let reports = watching.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(reports.count >= 3, "first sync, the push, the pull: \(watching.stdout)")
            #expect(reports.dropFirst().allSatisfy { ($0["pushed"] as? Int ?? 0) + ($0["pulled"] as? Int ?? 0) > 0 })

            // SIGTERM stops it at once, long poll and all; nothing is left half done.
            let stopping = Date()
            kill(watching.process.processIdentifier, SIGTERM)
            watching.process.waitUntilExit()
            #expect(Date().timeIntervalSince(stopping) < 10)
            try await pair.a.expectDoctorPasses()
            #expect(try await pair.a.status()["unpushed"] as? Int == 0)
        }
    }

    @Test func watchRidesOutAServerThatIsDown() async throws {
        let directory = try TemporaryDirectory()
        let store = Store(path: directory.path("alone.gloss"))
        try await store.ok(["init", "--name", "alone"])
        // Nothing listens on port 9 of loopback.
        try await store.ok(["remote", "set", "http://127.0.0.1:9", "--corpus", "news", "--token", "gloss_x"])
        let watching = try CrashTests.Running(["sync", "--watch", "--store", store.path], in: directory, name: "watch-down")
        defer { watching.kill() }
        #expect(try await eventually(within: 60) { watching.stderr.components(separatedBy: "trying again").count >= 3 },
                "\(watching.stderr)")
        #expect(watching.process.isRunning, "a watch keeps trying while the server is down")
        let lines = watching.stderr.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("gloss: cannot reach the server at http://127.0.0.1:9") }, "\(watching.stderr)")
    }
}
