import Foundation
import Testing

/// The server records who has seen what (`gloss-server replicas list`), retires replicas
/// by hand and after a silence, and computes each corpus's horizon from the active ones.
struct ReplicaProgressTests {
    /// `replicas list --json` once `accept` holds (sightings are written every second).
    static func report(
        _ server: SyncServer, sourceLocation: SourceLocation = #_sourceLocation, until accept: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(15)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let result = try await server.admin(["replicas", "list", "--corpus", server.corpus, "--json"], sourceLocation: sourceLocation)
            last = try result.object()
            if accept(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("replicas list never showed what was expected: \(last)", sourceLocation: sourceLocation)
        return last
    }

    static func replica(_ report: [String: Any], _ id: String) -> [String: Any]? {
        (report["replicas"] as? [[String: Any]])?.first { $0["replica"] as? String == id }
    }

    static func replicaID(_ store: Store) async throws -> String {
        try #require(try await store.status()["replica"] as? String)
    }

    @Test(arguments: SyncBackend.enabled) func theServerRecordsWhatEachReplicaHasSeenAndTheHorizon(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            // B only reads: a replica that never pushes is recorded too.
            let b = Store(path: directory.path("bora.gloss"))
            try await b.ok(["init", "--name", "bora"])
            try await b.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", try await server.token(user: "bora", scope: "read")])
            let (idA, idB) = (try await Self.replicaID(a), try await Self.replicaID(b))
            try await a.ok(["import", Fixtures.seedPath])
            try await a.sync()
            try await b.sync()
            // A second sync names the epoch its cursor counts in: now it is recorded.
            try await a.sync()
            try await b.sync()
            let both = try await Self.report(server) { report in
                Self.replica(report, idA)?["pulledPosition"] as? Int == 1 && Self.replica(report, idB)?["pulledPosition"] as? Int == 1
            }
            #expect(both["latestPosition"] as? Int == 1 && both["horizon"] as? Int == 1, "\(both)")
            let rowA = try #require(Self.replica(both, idA))
            let rowB = try #require(Self.replica(both, idB))
            #expect(rowA["user"] as? String == "ayse" && rowA["pushedSeq"] as? Int == 1 && rowA["active"] as? Bool == true, "\(rowA)")
            #expect(rowB["user"] as? String == "bora" && rowB["pushedSeq"] as? Int == 0 && rowB["active"] as? Bool == true, "\(rowB)")
            #expect((rowA["lastSeen"] as? String)?.hasSuffix("Z") == true)

            // A writes and syncs twice; B stays away: the horizon waits for B.
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            _ = try await a.annotate(article, ["--quote", "Kudüs", "--note", "yeni"])
            try await a.sync()
            try await a.sync()
            let behind = try await Self.report(server) { Self.replica($0, idA)?["pulledPosition"] as? Int == 2 }
            #expect(behind["latestPosition"] as? Int == 2 && behind["horizon"] as? Int == 1, "\(behind)")
            #expect(Self.replica(behind, idA)?["pushedSeq"] as? Int == 2)

            // B is retired by hand (a lost phone): the horizon moves on without it.
            let retired = try await server.admin(["replicas", "retire", "--corpus", server.corpus, idB, "--json"]).object()
            #expect(retired["active"] as? Bool == false && retired["retired"] is String, "\(retired)")
            let without = try await Self.report(server) { $0["horizon"] as? Int == 2 }
            #expect(Self.replica(without, idB)?["active"] as? Bool == false)
            // The text listing says the same.
            let text = try await server.admin(["replicas", "list", "--corpus", server.corpus]).stdout
            #expect(text.contains("horizon 2 (1 active of 2 replicas)") && text.contains("retired"), "\(text)")

            // B comes back: active again, and holding the horizon at what it has until it syncs again.
            try await b.sync()
            try await b.sync()
            let back = try await Self.report(server) { Self.replica($0, idB)?["active"] as? Bool == true && $0["horizon"] as? Int == 2 }
            #expect(Self.replica(back, idB)?["pulledPosition"] as? Int == 2, "\(back)")
            #expect(try await server.check().status == 0)
        }
    }

    @Test(arguments: SyncBackend.enabled) func silentReplicasAreRetiredAfterTheRetentionPeriod(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend, serveArguments: ["--retire-after", "2s"]) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let id = try await Self.replicaID(a)
            try await a.ok(["import", Fixtures.seedPath])
            try await a.sync()
            try await a.sync()
            let retired = try await Self.report(server) { Self.replica($0, id)?["active"] as? Bool == false }
            #expect(Self.replica(retired, id)?["retired"] is String, "\(retired)")
            // With no active replica the horizon is the latest position.
            #expect(retired["horizon"] as? Int == retired["latestPosition"] as? Int)
            // Syncing again reactivates it; 2 s of silence later it is retired again, so the
            // sign that it was seen anew is its last sighting at or after its retirement.
            let retiredAt = try #require(Self.replica(retired, id)?["retired"] as? String)
            try await a.sync()
            _ = try await Self.report(server) { report in
                let row = Self.replica(report, id)
                return row?["active"] as? Bool == true || (row?["lastSeen"] as? String ?? "") >= retiredAt
            }
        }
    }

    @Test(arguments: SyncBackend.enabled) func renewingEpochsForgetsThePositionsReplicasSaw(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let id = try await Self.replicaID(a)
            try await a.ok(["import", Fixtures.seedPath])
            try await a.sync()
            try await a.sync()
            _ = try await Self.report(server) { Self.replica($0, id)?["pulledPosition"] as? Int == 1 }
            try await server.admin(["renew-epochs"])
            let renewed = try await Self.report(server) { _ in true }
            #expect(Self.replica(renewed, id)?["pulledPosition"] as? Int == 0, "\(renewed)")
            // Its next pull names the old epoch: not recorded; it starts over, then is.
            try await a.sync()
            try await a.sync()
            _ = try await Self.report(server) { Self.replica($0, id)?["pulledPosition"] as? Int == 1 }
        }
    }

    @Test func badInputIsRefusedWithOneLine() async throws {
        try await withSyncServer { server, _ in
            for (arguments, expected) in [
                (["replicas", "list", "--corpus", "nope"], "no corpus named 'nope'"),
                (["replicas", "retire", "--corpus", server.corpus, "0VNF9KQQ1G8ZAA3VW1NQCQ2Z3A"], "no replica '0VNF9KQQ1G8ZAA3VW1NQCQ2Z3A'"),
            ] {
                let result = try await Runner.run(SyncServer.binary, arguments + server.storageArguments, environment: Gloss.environment())
                #expect(result.status == 1 && result.stderrLines.count == 1 && result.stderr.contains(expected), "\(result)")
            }
            for period in ["5x", "0d", "d", "1.5d", "forever"] {
                let result = try await Runner.run(
                    SyncServer.binary, ["serve", "--retire-after", period] + server.storageArguments, environment: Gloss.environment())
                #expect(result.status == 2 && result.stderr.contains("is not a retention period"), "\(period): \(result)")
            }
        }
    }
}
