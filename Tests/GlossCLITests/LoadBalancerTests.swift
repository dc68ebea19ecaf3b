import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The load-balancer example of docs/operations.md, run as it is: haproxy with
/// `docs/examples/haproxy.cfg` in front of two `gloss-server` processes on one PostgreSQL
/// database. Replicas know only haproxy's address; a server killed in the middle is
/// routed around, and replicas converge. Needs `GLOSS_TEST_POSTGRES_URL` and haproxy
/// (`.ci/run` installs it).
@Suite(.enabled(if: PostgresDatabase.baseURL != nil && HAProxy.binary != nil, HAProxy.skipReason))
struct LoadBalancerTests {
    @Test func replicasSyncThroughHAProxyWhileOneServerIsKilledAndRestarted() async throws {
        try await PostgresDatabase.with { url in
            try await withTemporaryDirectory { directory in
                let first = try await SyncServer.start(in: directory, postgresURL: url)
                let second = try await SyncServer.start(in: directory, postgresURL: url, createCorpus: false)
                let proxy = try await HAProxy.start(in: directory, servers: [first, second])
                defer { proxy.stop() }
                do {
                    var made: [Store] = []
                    for name in ["ayse", "mehmet"] {
                        let store = Store(path: directory.path("\(name).gloss"))
                        try await store.ok(["init", "--name", name])
                        try await store.ok(["remote", "set", proxy.url, "--corpus", first.corpus, "--token", try await first.token(user: name)])
                        made.append(store)
                    }
                    let (a, b) = (made[0], made[1])
                    try await a.ok(["import", Fixtures.seedPath])
                    try await a.sync()
                    try await b.sync()
                    let article = try #require(try await b.objects(["articles"]).first?["id"] as? String)
                    for round in 1...5 {
                        _ = try await a.annotate(article, ["--quote", "Musul", "--occurrence", "1", "--note", "a \(round)"])
                        _ = try await b.annotate(article, ["--quote", "Irak", "--occurrence", "1", "--note", "b \(round)"])
                        try await a.sync()
                        try await b.sync()
                    }
                    // Both servers took requests: haproxy spreads them.
                    #expect(try await first.syncRequestsServed() > 0)
                    #expect(try await second.syncRequestsServed() > 0)

                    // One server dies: haproxy sends everything to the other.
                    try await first.kill()
                    for round in 6...8 {
                        _ = try await a.annotate(article, ["--quote", "DEAŞ", "--occurrence", "1", "--note", "a \(round)"])
                        try await a.sync()
                        try await b.sync()
                    }
                    // It comes back and the other stops: the corpus carries on through it.
                    try await first.restart()
                    try await Task.sleep(for: .seconds(2))  // two health checks
                    try await second.stop()
                    _ = try await b.annotate(article, ["--quote", "Kudüs", "--occurrence", "1", "--note", "b last"])
                    try await b.sync()
                    try await a.sync()

                    #expect(try await a.export("jsonl") == (try await b.export("jsonl")), "both replicas converge")
                    #expect(try await first.storedChanges() == 1 + 10 + 3 + 1)
                    try await a.expectDoctorPasses()
                    try await b.expectDoctorPasses()
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

/// haproxy running `docs/examples/haproxy.cfg` on a free loopback port.
final class HAProxy: @unchecked Sendable {
    static let binary: URL? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        return paths.map { URL(fileURLWithPath: $0).appendingPathComponent("haproxy") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static let skipReason: Comment =
        "load-balancer test skipped: it needs haproxy (apt-get install haproxy) and GLOSS_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB"

    static let configuration = Fixtures.packageRoot.appendingPathComponent("docs/examples/haproxy.cfg")

    let process: Process
    let url: String

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts haproxy in the foreground with the example configuration, its addresses given
    /// through the environment variables the file names; waits until it answers.
    static func start(in directory: TemporaryDirectory, servers: [SyncServer]) async throws -> HAProxy {
        let binary = try #require(binary)
        var lastFailure = ""
        for _ in 0..<5 {  // a free port may be taken again between finding and binding it
            let port = try freeLoopbackPort()
            var environment = ProcessInfo.processInfo.environment
            environment["GLOSS_LISTEN"] = "127.0.0.1:\(port)"
            for (index, server) in servers.enumerated() { environment["GLOSS_SERVER_\(index + 1)"] = "127.0.0.1:\(server.port)" }
            let log = directory.file("haproxy-\(port).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = binary
            process.arguments = ["-db", "-f", configuration.path]
            process.environment = environment
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let proxy = HAProxy(process: process, url: "http://127.0.0.1:\(port)")
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, process.isRunning {
                if (try? await proxy.healthy()) == true { return proxy }
                try await Task.sleep(for: .milliseconds(50))
            }
            proxy.stop()
            lastFailure = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        throw StartFailure(description: "haproxy did not start: \(lastFailure)")
    }

    /// Whether `GET /v1/healthz` through haproxy answers 200.
    func healthy() async throws -> Bool {
        var request = URLRequest(url: try #require(URL(string: url + "/v1/healthz")))
        request.timeoutInterval = 2
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (_, response) = try await session.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// A port nothing listens on now (the kernel's pick for port 0).
    static func freeLoopbackPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw StartFailure(description: "socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw StartFailure(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
