import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `gloss-server snapshot create|list` against a running server's data, and `serve
/// --snapshot-every`, with real processes (docs/operations.md, "Snapshots").
@Suite struct SnapshotCommandTests {
    /// `GET /v1/corpora/{corpus}/snapshot` with a token: status, headers, body.
    static func download(_ server: SyncServer, token: String) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: try #require(URL(string: server.url + "/v1/corpora/\(server.corpus)/snapshot")))
        request.setValue("1", forHTTPHeaderField: "Gloss-Protocol")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 30
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (body, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return (http.statusCode, headers, body)
    }

    static func sha256(_ data: Data, in directory: TemporaryDirectory) async throws -> String {
        let file = directory.file("sha-\(UUID().uuidString)")
        try data.write(to: file)
        let result = try await Runner.tool("sha256sum", [file.path])
        return String(result.stdout.prefix(64))
    }

    @Test(arguments: SyncBackend.enabled) func snapshotCreateWorksWhileTheServerRunsAndServeBuildsThemToo(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend, serveArguments: ["--snapshot-every", "40"]) { server, directory in
            let reader = try await server.token(user: "cem", scope: "read")
            #expect(try await Self.download(server, token: reader).status == 404, "no snapshot yet")

            let ayse = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            let corpus = try await generatedCorpus(articles: 5, annotations: 60, in: directory)
            try await ayse.ok(["import", corpus.path])
            try await ayse.sync()
            let stored = try await server.storedChanges()
            #expect(stored >= 65)

            // The server builds one in the background: more than 40 changes came in.
            var automatic: (status: Int, headers: [String: String], body: Data) = (0, [:], Data())
            for _ in 0..<300 {
                automatic = try await Self.download(server, token: reader)
                if automatic.status == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(automatic.status == 200, "serve --snapshot-every 40 built a snapshot")
            #expect(automatic.headers["gloss-snapshot-position"] == String(stored))
            // Counted once the build has stored it: a moment after it is served.
            var built = 0.0
            for _ in 0..<100 {
                built = SyncServer.samples("gloss_snapshots_built_total", in: try await server.metrics()).first?.value ?? 0
                if built > 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(built == 1)

            // More changes, then a snapshot by hand while the server keeps running.
            let more = try await generatedCorpus(articles: 2, annotations: 10, seed: 8, in: directory)
            try await ayse.ok(["import", more.path])
            try await ayse.sync()
            let now = try await server.storedChanges()
            let created = try await server.admin(["snapshot", "create", "--corpus", server.corpus, "--json"]).object()
            #expect(created["position"] as? Int == now, "\(created)")
            #expect(created["changes"] as? Int == now, "\(created)")
            #expect(created["built"] as? Bool == true && created["incremental"] as? Bool == true, "\(created)")
            #expect((created["bytes"] as? Int ?? 0) > 0 && created["seconds"] != nil, "\(created)")

            let served = try await Self.download(server, token: reader)
            #expect(served.status == 200)
            #expect(served.body.count == created["bytes"] as? Int)
            let hash = try await Self.sha256(served.body, in: directory)
            #expect(hash == created["sha256"] as? String)
            #expect(served.headers["etag"] == "\"\(hash)\"")
            #expect(served.headers["gloss-snapshot-position"] == String(now))

            let again = try await server.admin(["snapshot", "create", "--corpus", server.corpus])
            #expect(again.stdout.contains("up to date"), "\(again)")
            let listed = try await server.admin(["snapshot", "list"])
            #expect(listed.stdout.contains(server.corpus) && listed.stdout.contains(hash), "\(listed)")
            let check = try await server.check()
            #expect(check.status == 0, "\(check)")

            let unknown = try await Runner.run(
                SyncServer.binary, ["snapshot", "create", "--corpus", "nope"] + server.storageArguments,
                environment: ProcessInfo.processInfo.environment)
            #expect(unknown.status == 1 && unknown.stderr.contains("no corpus named 'nope'"), "\(unknown)")
        }
    }
}
