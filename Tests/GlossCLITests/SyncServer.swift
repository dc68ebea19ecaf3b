import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `gloss-server` process on 127.0.0.1 with its own data folder inside a test's
/// temporary directory. Start it through `withSyncServer`, which stops it with SIGTERM at
/// the end and checks that it exits.
final class SyncServer: @unchecked Sendable {
    /// `$GLOSS_SERVER_BIN`, else the `gloss-server` beside `gloss`.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["GLOSS_SERVER_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return Gloss.binary.deletingLastPathComponent().appendingPathComponent("gloss-server")
    }()

    let directory: TemporaryDirectory
    /// The `--data` folder.
    let data: String
    /// The corpus every test syncs.
    let corpus: String
    private(set) var port = 0
    private var process: Process?
    private var launches = 0
    private var stdoutURL: URL?
    private var stderrURL: URL?
    /// Extra arguments of every `serve` this server runs (limits, say).
    private let serveArguments: [String]

    var url: String { "http://127.0.0.1:\(port)" }
    var isRunning: Bool { process?.isRunning ?? false }

    struct LaunchFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Where the data is: `--data DIR`, or `--postgres URL`.
    let storageArguments: [String]
    /// Names this server's log files apart from other servers' in the same directory.
    private let name = "server-" + UUID().uuidString.prefix(8)

    private init(directory: TemporaryDirectory, corpus: String, serveArguments: [String], postgresURL: String?) {
        self.directory = directory
        self.serveArguments = serveArguments
        self.data = directory.path("server-data")
        self.corpus = corpus
        storageArguments = postgresURL.map { ["--postgres", $0] } ?? ["--data", directory.path("server-data")]
    }

    /// Creates the data folder and `corpus`, then starts serving on a free port.
    /// With `postgresURL`, the server uses that PostgreSQL database; `createCorpus: false`
    /// joins a corpus another server process already created there.
    static func start(
        in directory: TemporaryDirectory, corpus: String = "news", serveArguments: [String] = [], postgresURL: String? = nil,
        createCorpus: Bool = true, port: Int = 0
    ) async throws -> SyncServer {
        let server = SyncServer(directory: directory, corpus: corpus, serveArguments: serveArguments, postgresURL: postgresURL)
        if createCorpus { try await server.admin(["corpus", "create", corpus]) }
        try await server.launch(port: port)
        return server
    }

    deinit {
        // Never leave a process behind, whatever happened to the test.
        if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: Process

    /// Starts `serve` on `requested` (0: any free port) and waits for the "listening" line.
    private func launch(port requested: Int, timeout: Double = 30) async throws {
        launches += 1
        let out = directory.file("\(name)-\(launches).out")
        let err = directory.file("\(name)-\(launches).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve"] + storageArguments + ["--host", "127.0.0.1", "--port", String(requested)] + serveArguments
        process.environment = ProcessInfo.processInfo.environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        stdoutURL = out
        stderrURL = err
        let head = "gloss-server listening on http://127.0.0.1:"
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n", omittingEmptySubsequences: true).first(where: { $0.hasPrefix(head) }),
                text.contains("\n"), let number = Int(line.dropFirst(head.count))
            {
                port = number
                return
            }
            if !process.isRunning {
                throw LaunchFailure(
                    description: "gloss-server serve --port \(requested) exited with \(process.terminationStatus): \(stderrText)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Foundation.kill(process.processIdentifier, SIGKILL)
        throw LaunchFailure(description: "gloss-server did not say it listens within \(timeout) s: \(stderrText)")
    }

    /// What the current server process wrote on stderr.
    var stderrText: String { stderrURL.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? "" }

    /// Kills the server with SIGKILL (no chance to clean up) and waits until it is gone.
    func kill() async throws {
        guard let process else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try await Self.waitForExit(process, timeout: 10)
        #expect(!process.isRunning, "gloss-server survived SIGKILL")
    }

    /// Starts a new server on the same port and data folder, retrying while the port is
    /// still taken.
    func restart(timeout: Double = 20) async throws {
        let samePort = port
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                try await launch(port: samePort)
                #expect(port == samePort)
                return
            } catch let failure as LaunchFailure {
                if Date() > deadline { throw failure }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Stops the server with SIGTERM and checks that it exits by itself, with status 0.
    func stop(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGTERM)
        try await Self.waitForExit(process, timeout: 15)
        if process.isRunning {
            Issue.record(
                "gloss-server did not exit within 15 s of SIGTERM; its log ends: \(stderrText.suffix(2000))", sourceLocation: sourceLocation)
            Foundation.kill(process.processIdentifier, SIGKILL)
            try await Self.waitForExit(process, timeout: 10)
            return
        }
        #expect(
            process.terminationReason == .exit && process.terminationStatus == 0,
            "gloss-server should exit 0 after SIGTERM; got \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus): \(stderrText.suffix(1000))",
            sourceLocation: sourceLocation)
    }

    static func waitForExit(_ process: Process, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    // MARK: Admin commands

    /// Runs `gloss-server ARGUMENTS --data DIR` (or `--postgres URL`).
    @discardableResult
    func admin(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
        let result = try await Runner.run(Self.binary, arguments + storageArguments, environment: ProcessInfo.processInfo.environment)
        try #require(result.status == 0, "expected success: \(result)", sourceLocation: sourceLocation)
        return result
    }

    /// A new write token for `user` on the corpus.
    func token(user: String, scope: String = "write") async throws -> String {
        let result = try await admin(["token", "create", "--corpus", corpus, "--user", user, "--scope", scope])
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!token.isEmpty && !token.contains("\n"), "token create printed: \(result)")
        return token
    }

    /// How many changes `gloss-server corpus list` says the corpus holds.
    func storedChanges(sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        let listing = try await admin(["corpus", "list"], sourceLocation: sourceLocation).stdout
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.first.map(String.init) == corpus, fields.count > 1, let count = Int(fields[1].split(separator: " ")[0]) {
                return count
            }
        }
        Issue.record("corpus list does not list \(corpus): \(listing)", sourceLocation: sourceLocation)
        return -1
    }

    /// `gloss-server check` on the data folder; returns the result (exit 0 when healthy).
    func check() async throws -> ProcessResult {
        try await Runner.run(Self.binary, ["check"] + storageArguments, environment: ProcessInfo.processInfo.environment)
    }

    // MARK: HTTP

    /// `GET PATH` on the server, as text.
    func get(_ path: String) async throws -> (status: Int, body: String) {
        let requestURL = try #require(URL(string: url + path))
        var request = URLRequest(url: requestURL)
        request.timeoutInterval = 15
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (body, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: body, as: UTF8.self))
    }

    /// The Prometheus text of `/metrics`.
    func metrics() async throws -> String {
        let (status, body) = try await get("/metrics")
        try #require(status == 200, "GET /metrics answered \(status): \(body)")
        return body
    }

    /// Samples of metric `name` in Prometheus text: (labels, value).
    static func samples(_ name: String, in text: String) -> [(labels: String, value: Double)] {
        text.split(separator: "\n").compactMap { line -> (String, Double)? in
            guard !line.hasPrefix("#"), line.hasPrefix(name) else { return nil }
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { return nil }
            var labels = ""
            var valuePart = rest
            if rest.first == "{", let close = rest.lastIndex(of: "}") {  // label values may hold braces
                labels = String(rest[rest.startIndex...close])
                valuePart = rest[rest.index(after: close)...]
            }
            guard let value = Double(valuePart.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) else { return nil }
            return (labels, value)
        }
    }

    /// The sum of `gloss_requests_total` over every route but `/metrics` (the scrapes
    /// themselves are counted too, once each answer is sent).
    func syncRequestsServed() async throws -> Int {
        let samples = Self.samples("gloss_requests_total", in: try await metrics())
        try #require(!samples.isEmpty, "/metrics has no gloss_requests_total")
        return Int(samples.filter { !$0.labels.contains("route=\"/metrics\"") }.reduce(0) { $0 + $1.value })
    }
}

/// The storage a test's `gloss-server` runs on. End-to-end tests take `SyncBackend.enabled`
/// as arguments, so each runs on the embedded SQLite default and — when
/// `GLOSS_TEST_POSTGRES_URL` is set (`.ci/run` sets it) — again on PostgreSQL.
enum SyncBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    static let enabled: [SyncBackend] = PostgresDatabase.baseURL == nil ? [.sqlite] : [.sqlite, .postgres]
}

/// Runs `body` with a fresh server (corpus `corpus`) on `backend` in a fresh temporary
/// directory (and, for PostgreSQL, a fresh database); stops the server with SIGTERM
/// afterwards, whatever happened, and checks that it exits.
func withSyncServer<T>(
    on backend: SyncBackend = .sqlite, corpus: String = "news", serveArguments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (SyncServer, TemporaryDirectory) async throws -> T
) async throws -> T {
    switch backend {
    case .sqlite:
        return try await withSyncServer(postgresURL: nil, corpus: corpus, serveArguments: serveArguments, sourceLocation: sourceLocation, body)
    case .postgres:
        return try await PostgresDatabase.with { url in
            try await withSyncServer(postgresURL: url, corpus: corpus, serveArguments: serveArguments, sourceLocation: sourceLocation, body)
        }
    }
}

private func withSyncServer<T>(
    postgresURL: String?, corpus: String, serveArguments: [String], sourceLocation: SourceLocation,
    _ body: (SyncServer, TemporaryDirectory) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let server = try await SyncServer.start(in: directory, corpus: corpus, serveArguments: serveArguments, postgresURL: postgresURL)
        let value: T
        do {
            value = try await body(server, directory)
        } catch {
            try? await server.stop(sourceLocation: sourceLocation)
            throw error
        }
        try await server.stop(sourceLocation: sourceLocation)
        return value
    }
}

// MARK: - Replicas

extension Store {
    /// `gloss init --name NAME`, then `gloss remote set` to `server` with a new token for `user`.
    static func replica(
        _ name: String, user: String, server: SyncServer, in directory: TemporaryDirectory
    ) async throws -> Store {
        let store = Store(path: directory.path("\(name).gloss"))
        try await store.ok(["init", "--name", name])
        let token = try await server.token(user: user)
        try await store.ok(["remote", "set", server.url, "--corpus", server.corpus, "--token", token])
        return store
    }

    /// `gloss sync --json`, required to succeed; returns its report.
    @discardableResult
    func sync(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        try await object(["sync"], sourceLocation: sourceLocation)
    }

    /// `gloss export --format FORMAT` to stdout, as bytes.
    func export(_ format: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Data {
        try await ok(["export", "--format", format], sourceLocation: sourceLocation).stdoutData
    }

    /// `gloss conflicts --json`.
    func conflicts(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        try await objects(["conflicts"], sourceLocation: sourceLocation)
    }

    /// The annotation `id` as `gloss annotations --json` shows it.
    func annotation(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let all = try await objects(["annotations"], sourceLocation: sourceLocation)
        return try #require(all.first { $0["id"] as? String == id }, "annotation \(id) is missing", sourceLocation: sourceLocation)
    }

    /// `remote` of `gloss status --json`, with `unpushed`: what a failed sync must not move.
    func syncState(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let status = try await status(sourceLocation: sourceLocation)
        let remote = status["remote"] as? [String: Any] ?? [:]
        return ["cursor", "pushedSeq"].map { "\($0)=\(remote[$0].map { "\($0)" } ?? "nil")" }
            + ["unpushed=\(status["unpushed"].map { "\($0)" } ?? "nil")"]
    }

    /// `gloss doctor`, required to pass.
    func expectDoctorPasses(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let doctor = try await run(["doctor"])
        #expect(doctor.status == 0, "gloss doctor failed on \(path): \(doctor)", sourceLocation: sourceLocation)
    }
}

/// `scripts/gen-corpus`: a JSONL of `articles` articles and `annotations` annotations.
func generatedCorpus(articles: Int, annotations: Int, seed: Int = 7, in directory: TemporaryDirectory) async throws -> URL {
    let out = directory.file("generated-\(articles)-\(annotations)-\(seed).jsonl")
    let script = Fixtures.packageRoot.appendingPathComponent("scripts/gen-corpus").path
    let result = try await Runner.tool(
        "python3",
        [script, "--articles", String(articles), "--annotations", String(annotations), "--seed", String(seed), "--out", out.path])
    try #require(result.status == 0, "gen-corpus failed: \(result)")
    return out
}
