import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Real processes under repeated faults: replicas that edit and sync through `ChaosProxy`
/// for several rounds, and a large sync whose client and server are killed with SIGKILL
/// again and again. Afterwards one clean round of syncs must converge with nothing lost,
/// nothing duplicated and `gloss doctor` passing.
///
/// Each run prints its seed; `GLOSS_CHAOS_SEED=S swift test --filter ChaosTests` replays
/// the same workload and the same fault draws (timing, and so where a kill lands, varies).
@Suite struct ChaosTests {
    /// A replica and what the test knows it holds.
    final class Replica {
        let name: String
        let store: Store
        /// Annotations created here, in order.
        var created: [String] = []
        /// Annotations this replica certainly has: its own, and everything the server had
        /// acknowledged when its last successful sync ran.
        var known: Set<String> = []
        /// Changes made here that `gloss` acknowledged (exit 0).
        var localChanges = 0

        init(name: String, store: Store) {
            self.name = name
            self.store = store
        }
    }

    /// `gloss init`, a token from `server`, and `gloss remote set URL` (the proxy's).
    static func replica(_ name: String, server: SyncServer, url: String, in directory: TemporaryDirectory) async throws -> Replica {
        let store = Store(path: directory.path("\(name).gloss"))
        try await store.ok(["init", "--name", name])
        let token = try await server.token(user: name)
        try await store.ok(["remote", "set", url, "--corpus", server.corpus, "--token", token])
        return Replica(name: name, store: store)
    }

    /// Runs `gloss ARGUMENTS --store PATH` to its end (120 s at most) and returns its
    /// process, which has exited by itself or been killed.
    static func runToEnd(_ arguments: [String], _ store: Store, in directory: TemporaryDirectory, name: String) async throws
        -> CrashTests.Running
    {
        let running = try CrashTests.Running(arguments + ["--store", store.path], in: directory, name: name)
        try await SyncServer.waitForExit(running.process, timeout: 120)
        if running.process.isRunning {
            Issue.record("gloss \(arguments.joined(separator: " ")) still runs after 120 s; killing it")
            running.kill()
        }
        return running
    }

    /// Checks how a sync that was not killed ended: exit 0, or a clean failure (exit 1,
    /// one line on stderr saying what to do; `sync: …` progress lines aside), never a
    /// signal. Returns whether it succeeded.
    @discardableResult
    static func expectSyncEndedCleanly(_ running: CrashTests.Running, hint: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let process = running.process
        #expect(
            process.terminationReason == .exit,
            "gloss sync died of signal \(process.terminationStatus) (\(hint)): \(running.stderr.suffix(2000))",
            sourceLocation: sourceLocation)
        guard process.terminationReason == .exit else { return false }
        guard process.terminationStatus != 0 else { return true }
        let stderr = running.stderr.split(separator: "\n").filter { !$0.hasPrefix("sync: ") }.map { $0 + "\n" }.joined()
        let result = ProcessResult(
            arguments: running.process.arguments ?? [], status: process.terminationStatus, stdoutData: Data(running.stdout.utf8),
            stderrData: Data(stderr.utf8))
        expectCleanFailure(result, sourceLocation: sourceLocation)
        return false
    }

    // MARK: The proxy itself

    /// Each fault does what `ChaosProxy` says, seen from both ends: what the client gets,
    /// and whether the server handled the request (its own count of `/metrics` requests).
    @Test func theProxyInjectsEachFaultAsItSays() async throws {
        let seed = ChaosRandom.seed()
        let hint = ChaosRandom.replayHint(seed)
        try await withSyncServer { server, _ in
            let proxy = try ChaosProxy(upstreamPort: server.port, seed: seed)
            defer { proxy.stop() }
            for fault in ChaosProxy.Fault.allCases {
                proxy.setFaults(rate: fault == .pass ? 0 : 1, kinds: [fault])
                let before = try await Self.scrapesHandled(server)
                let started = Date()
                let answer = try? await Self.get(proxy.url + "/metrics")
                let elapsed = Date().timeIntervalSince(started)
                let handled = try await Self.scrapesHandled(server) - before - 1  // less the scrape `before` itself
                let injected = proxy.counts[fault, default: 0]
                switch fault {
                case .pass, .delay:
                    #expect(
                        answer?.status == 200 && answer?.body.contains("gloss_requests_total") == true,
                        "\(fault) (\(hint)): \(String(describing: answer))")
                    #expect(injected == 1 && handled == 1, "\(fault) (\(hint)): injected \(injected), handled \(handled)")
                    if fault == .delay { #expect(elapsed >= 0.01, "a delay of \(elapsed) s (\(hint))") }
                case .drop, .cutRequest:
                    #expect(answer == nil, "\(fault) (\(hint)): \(String(describing: answer))")
                    #expect(injected >= 1 && handled == 0, "\(fault) (\(hint)): injected \(injected), handled \(handled)")
                case .cutBeforeResponse, .cutInResponse:
                    #expect(answer == nil, "\(fault) (\(hint)): \(String(describing: answer))")
                    #expect(injected >= 1 && handled == injected, "\(fault) (\(hint)): injected \(injected), handled \(handled)")
                }
            }
        }
    }

    /// How many `/metrics` requests the server has handled (not counting the one asking).
    static func scrapesHandled(_ server: SyncServer) async throws -> Int {
        let samples = SyncServer.samples("gloss_requests_total", in: try await server.metrics())
        return Int(samples.filter { $0.labels.contains("route=\"/metrics\"") }.reduce(0) { $0 + $1.value })
    }

    /// `GET URL` in a fresh session; throws when the connection breaks.
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.timeoutInterval = 15
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (body, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: body, as: UTF8.self))
    }

    // MARK: A faulty network

    /// Articles and annotations of the corpus one replica imports midway.
    static let importedArticles = 3
    static let importedAnnotations = 1_200
    static let rounds = 6

    @Test(arguments: SyncBackend.enabled)
    func replicasSyncingThroughAFaultyNetworkConvergeWithNothingLostOrDuplicated(backend: SyncBackend) async throws {
        let seed = ChaosRandom.seed()
        let hint = ChaosRandom.replayHint(seed)
        print("ChaosTests faulty network on \(backend.testDescription): \(hint)")
        // The workload draws from its own stream, so it does not shift with the proxy's draws.
        var random = ChaosRandom(seed: seed ^ 0x00C0_FFEE)
        try await withSyncServer(on: backend) { server, directory in
            let proxy = try ChaosProxy(upstreamPort: server.port, seed: seed)
            defer { proxy.stop() }
            var replicas: [Replica] = []
            for name in ["ayse", "bora", "cem"] {
                let replica = try await Self.replica(name, server: server, url: proxy.url, in: directory)
                try await replica.store.ok(["import", Fixtures.seedPath])
                replica.localChanges += 1
                replicas.append(replica)
            }
            let article = try #require(try await replicas[0].store.objects(["articles"]).first?["id"] as? String)
            let textLength = try Fixtures.seedText().unicodeScalars.count
            let corpus = try await generatedCorpus(
                articles: Self.importedArticles, annotations: Self.importedAnnotations, seed: Int(seed % 10_000), in: directory)
            let importAt = (round: Int.random(in: 0...2, using: &random), replica: Int.random(in: 0..<3, using: &random))
            // One sync of one replica runs while every request breaks: it must fail cleanly.
            let outageAt = (round: Int.random(in: 1...(Self.rounds - 2), using: &random), replica: Int.random(in: 0..<3, using: &random))
            var acknowledgedByServer: Set<String> = []
            var syncs = 0
            var failures = 0
            var edits = 0
            var resolutions = 0

            for round in 0..<Self.rounds {
                for index in Array(replicas.indices).shuffled(using: &random) {
                    let replica = replicas[index]
                    if (round, index) == importAt {
                        let report = try await replica.store.object(["import", corpus.path])
                        replica.localChanges += (report["articles"] as? Int ?? 0) + (report["annotations"] as? Int ?? 0)
                    }
                    for step in 0..<Int.random(in: 1...3, using: &random) {
                        let choice = Int.random(in: 0..<10, using: &random)
                        // Most edits go to the two first annotations (by id) a replica knows, which
                        // soon are the same everywhere, so concurrent edits of one field (conflicts) are common.
                        let known = replica.known.sorted()
                        let editable = Int.random(in: 0..<5, using: &random) < 3 ? Array(known.prefix(2)) : known
                        if choice >= 4, choice < 9, let id = editable.randomElement(using: &random) {
                            let change =
                                Bool.random(using: &random)
                                ? ["--note", "\(replica.name) round \(round) step \(step)"] : ["--add-tag", "\(replica.name)-\(round)-\(step)"]
                            try await replica.store.ok(["edit", id] + change)
                            edits += 1
                        } else if choice == 9,
                            let entry = try await replica.store.conflicts().sorted(by: { "\($0["id"] ?? "")" < "\($1["id"] ?? "")" })
                                .randomElement(using: &random),
                            let id = entry["id"] as? String
                        {
                            // Only notes can conflict here (tags merge as sets). `--mine` would be
                            // refused where two other replicas made the conflict; pick a
                            // candidate, or write a new note.
                            let fields = (entry["conflicts"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []
                            let candidates = fields.first?["candidates"] as? [[String: Any]] ?? []
                            let versions = candidates.compactMap { $0["version"] as? String }
                            if Bool.random(using: &random), let version = versions.sorted().randomElement(using: &random) {
                                try await replica.store.ok(["resolve", id, "--pick", version])
                            } else {
                                try await replica.store.ok(["resolve", id, "--note", "settled by \(replica.name) in round \(round)"])
                            }
                            resolutions += 1
                        } else {
                            let start = Int.random(in: 0..<(textLength - 40), using: &random)
                            let end = start + Int.random(in: 1...40, using: &random)
                            let annotation = try await replica.store.annotate(
                                article, ["--start", String(start), "--end", String(end), "--note", "\(replica.name) \(round).\(step)"])
                            let id = try #require(annotation["id"] as? String)
                            replica.created.append(id)
                            replica.known.insert(id)
                        }
                        replica.localChanges += 1
                    }

                    let outage = (round, index) == outageAt
                    proxy.setFaults(
                        rate: outage ? 1 : Double.random(in: 0.2...0.5, using: &random),
                        kinds: outage ? ChaosProxy.Fault.breaking : ChaosProxy.Fault.allCases.filter { $0 != .pass })
                    syncs += 1
                    let running = try await Self.runToEnd(["sync", "--json"], replica.store, in: directory, name: "sync-\(syncs)")
                    if Self.expectSyncEndedCleanly(running, hint: hint) {
                        #expect(!outage, "a sync succeeded while every request broke (\(hint)): \(running.stdout)")
                        acknowledgedByServer.formUnion(replica.created)
                        replica.known.formUnion(acknowledgedByServer)
                    } else {
                        failures += 1
                    }
                }
            }

            // Faults off: two rounds of syncs carry every change everywhere.
            proxy.setFaults(rate: 0)
            for _ in 0..<2 {
                for replica in replicas { try await replica.store.sync() }
            }
            print(
                "ChaosTests faulty network on \(backend.testDescription): \(syncs) syncs under faults, \(failures) failed; "
                    + "\(replicas.map(\.created.count).reduce(0, +)) annotations, \(edits) edits, \(resolutions) resolutions, "
                    + "\(try await replicas[0].store.status()["openConflicts"] ?? "?") conflicts open; "
                    + "faults: \(proxy.summary); \(hint)")
            #expect(failures >= 1, "the outage sync did not fail (\(hint))")
            #expect(proxy.broken >= 1, "no request was broken: \(proxy.summary) (\(hint))")

            let created = replicas.flatMap(\.created)
            #expect(Set(created).count == created.count, "two annotations got the same id (\(hint))")
            let local = replicas.map(\.localChanges).reduce(0, +)
            let converged = try await Self.expectConverged(
                server, replicas.map(\.store), changes: local, articles: 1 + Self.importedArticles,
                annotations: Self.importedAnnotations + created.count, hint: hint)
            #expect(Set(created).isSubset(of: converged.annotations), "acknowledged annotations are missing (\(hint))")
            for replica in replicas {
                let status = try await replica.store.status()
                #expect(
                    status["localChanges"] as? Int == replica.localChanges,
                    "\(replica.name) made \(replica.localChanges) changes; its log holds \(status["localChanges"] ?? "?") of its own (\(hint))")
            }
        }
    }

    // MARK: Repeated kill -9

    enum Victim: String {
        case client, server, both
    }

    @Test(arguments: SyncBackend.enabled)
    func repeatedKillsOfClientAndServerMidSyncLoseAndDuplicateNothing(backend: SyncBackend) async throws {
        let seed = ChaosRandom.seed()
        let hint = ChaosRandom.replayHint(seed)
        print("ChaosTests repeated kills on \(backend.testDescription): \(hint)")
        var random = ChaosRandom(seed: seed)
        try await withSyncServer(on: backend) { server, directory in
            let articles = SyncCrashTests.articles
            let annotations = SyncCrashTests.annotations
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            for (store, corpusSeed) in [(a, 7), (b, 8)] {
                let corpus = try await generatedCorpus(articles: articles, annotations: annotations, seed: corpusSeed, in: directory)
                try await store.ok(["import", corpus.path])
            }
            let stores = [a, b]

            let plannedKills = Int.random(in: 5...7, using: &random)
            var victim: Victim = Bool.random(using: &random) ? .client : .server
            var landed: [String] = []
            var missed = 0
            // Whether each replica's last sync finished: then the next one is `--full`, so
            // there is a long sync to interrupt; else it resumes the interrupted one.
            var finished = [false, false]
            var attempt = 0
            while landed.count < plannedKills, attempt < plannedKills * 4 {
                attempt += 1
                let index = Int.random(in: 0...1, using: &random)
                let arguments = ["sync"] + (finished[index] ? ["--full"] : [])
                // A kill lands a random time after the start, or after the sync's Nth
                // acknowledged batch or page (its Nth `sync: pushed …` line), so it hits the
                // push and the pull phases alike however fast the machine is.
                let batches = Int.random(in: 0...3, using: &random)  // a `--full` sync writes 4 (pull pages only)
                let delay = batches == 0 ? Int.random(in: 20...800, using: &random) : Int.random(in: 0...400, using: &random)
                let target: Victim = Int.random(in: 0..<4, using: &random) == 0 ? .both : victim
                let running = try CrashTests.Running(
                    arguments + ["--store", stores[index].path], in: directory, name: "kill-\(attempt)")
                while running.process.isRunning, Self.progressLines(running.stderr) < batches {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await Task.sleep(for: .milliseconds(delay))
                guard running.process.isRunning else {
                    finished[index] = Self.expectSyncEndedCleanly(running, hint: hint)
                    missed += 1
                    continue
                }
                let progress = SyncCrashTests.progress(running.stderr).map { "pushed \($0.pushed), pulled \($0.pulled)" } ?? "no batch yet"
                let point = batches == 0 ? "\(delay) ms into" : "\(delay) ms after batch \(batches) of"
                var kill = "\(target.rawValue) \(point) \(arguments.joined(separator: " ")) on \(index == 0 ? "A" : "B") (\(progress))"
                defer { landed.append(kill) }
                if target != .server { running.kill() }
                if target != .client {
                    try await server.kill()
                    // The data the killed server left must be sound before it serves again.
                    let check = try await server.check()
                    #expect(check.status == 0, "gloss-server check after kill \(landed.count + 1) (\(hint)): \(check)")
                    try await server.restart()
                }
                if target == .server {
                    // The sync rides out the restart with its retries, or fails cleanly.
                    try await SyncServer.waitForExit(running.process, timeout: 120)
                    if running.process.isRunning {
                        Issue.record("gloss sync still runs 120 s after the server restarted (\(hint))")
                        running.kill()
                    }
                    finished[index] = Self.expectSyncEndedCleanly(running, hint: hint)
                    kill += finished[index] ? ", the sync rode it out" : ", the sync failed cleanly"
                } else if running.process.terminationReason == .exit {
                    finished[index] = Self.expectSyncEndedCleanly(running, hint: hint)  // it ended just before the kill
                } else {
                    finished[index] = false
                    #expect(running.process.terminationStatus == SIGKILL, "gloss sync died of another signal (\(hint)): \(running.stderr)")
                }
                if target != .both { victim = victim == .client ? .server : .client }
            }
            print(
                "ChaosTests repeated kills on \(backend.testDescription): \(landed.count) kills mid-sync (\(landed.joined(separator: "; "))), "
                    + "\(missed) syncs finished before their kill; \(hint)")
            #expect(landed.count == plannedKills, "only \(landed.count) of \(plannedKills) kills landed mid-sync (\(hint))")

            // A clean round: each sync must succeed at once, and a second one finds nothing new.
            for store in [a, b, a] { try await store.sync() }
            for store in stores {
                let report = try await store.sync()
                #expect(report["pushed"] as? Int == 0 && report["applied"] as? Int == 0, "\(report) (\(hint))")
            }
            let total = articles + annotations
            try await Self.expectConverged(
                server, stores, changes: 2 * total, articles: 2 * articles, annotations: 2 * annotations, hint: hint)
            for store in stores {
                #expect(try await store.status()["localChanges"] as? Int == total, "\(store.path) (\(hint))")
            }
        }
    }

    /// How many `sync: pushed N, pulled M` progress lines a sync has written.
    static func progressLines(_ stderr: String) -> Int {
        stderr.split(separator: "\n").count { $0.hasPrefix("sync: pushed ") }
    }

    // MARK: Convergence

    /// Everything the replicas and the server must agree on once converged: the server
    /// holds `changes` and passes `check`; each replica holds the same `changes` once each
    /// (no version twice), nothing unpushed, the expected counts, the same export and the
    /// same conflicts, and passes `gloss doctor`. Returns the annotation ids.
    @discardableResult
    static func expectConverged(
        _ server: SyncServer, _ stores: [Store], changes: Int, articles: Int, annotations: Int, hint: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (annotations: Set<String>, versions: Set<String>) {
        #expect(try await server.storedChanges() == changes, "the server's change count (\(hint))", sourceLocation: sourceLocation)
        let check = try await server.check()
        #expect(check.status == 0, "gloss-server check (\(hint)): \(check)", sourceLocation: sourceLocation)
        var exports: [Data] = []
        var versionSets: [Set<String>] = []
        var conflictSets: [String] = []
        for store in stores {
            let status = try await store.status()
            for (key, expected) in [("changes", changes), ("articles", articles), ("annotations", annotations), ("unpushed", 0)] {
                #expect(
                    status[key] as? Int == expected, "\(store.path): \(key) should be \(expected) (\(hint)): \(status)",
                    sourceLocation: sourceLocation)
            }
            let versions = try await store.log().compactMap { $0["version"] as? String }
            #expect(versions.count == changes, "\(store.path): \(versions.count) log entries (\(hint))", sourceLocation: sourceLocation)
            #expect(Set(versions).count == versions.count, "\(store.path): a version is logged twice (\(hint))", sourceLocation: sourceLocation)
            versionSets.append(Set(versions))
            exports.append(try await store.export("jsonl"))
            conflictSets.append(Self.comparable(try await store.conflicts()))
            try await store.expectDoctorPasses(sourceLocation: sourceLocation)
        }
        for index in stores.indices.dropFirst() {
            let other = "\(stores[index].path) and \(stores[0].path)"
            #expect(versionSets[index] == versionSets[0], "\(other) hold different changes (\(hint))", sourceLocation: sourceLocation)
            #expect(exports[index] == exports[0], "\(other) export differently (\(hint))", sourceLocation: sourceLocation)
            #expect(conflictSets[index] == conflictSets[0], "\(other) list different conflicts (\(hint))", sourceLocation: sourceLocation)
        }
        // The export holds each annotation once.
        var ids: [String] = []
        for line in exports.first.map({ String(decoding: $0, as: UTF8.self) })?.split(separator: "\n") ?? [] {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if object?["type"] as? String == "annotation", let id = object?["id"] as? String { ids.append(id) }
        }
        #expect(
            ids.count == annotations && Set(ids).count == ids.count,
            "the export lists \(ids.count) annotations, \(Set(ids).count) distinct (\(hint))", sourceLocation: sourceLocation)
        return (Set(ids), versionSets.first ?? [])
    }

    /// `gloss conflicts --json` without what depends on the replica that lists it (which
    /// version is its own, and the author shown for the others).
    static func comparable(_ conflicts: [[String: Any]]) -> String {
        let stripped = conflicts.map { entry -> [String: Any] in
            var entry = entry
            entry["versions"] = (entry["versions"] as? [[String: Any]])?.map { $0.filter { $0.key != "local" && $0.key != "author" } }
            return entry
        }
        let data = (try? JSONSerialization.data(withJSONObject: stripped, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
