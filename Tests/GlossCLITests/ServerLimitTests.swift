import Foundation
import Testing

/// `gloss-server serve --max-…` bounds, seen from a real client.
@Suite struct ServerLimitTests {
    @Test(arguments: SyncBackend.enabled) func aSmallerBatchLimitIsMetByTheClientHalvingItsBatches(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend, serveArguments: ["--max-batch-changes", "3"]) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            for occurrence in 1...3 {
                try await a.annotate(article, ["--quote", "Musul", "--occurrence", String(occurrence), "--label", "LOC"])
            }
            for quote in ["Kudüs", "güvenlik güçleri"] {
                try await a.annotate(article, ["--quote", quote, "--note", "not"])
            }
            try await a.annotate(article, ["--quote", "Irak", "--occurrence", "1", "--note", "not"])
            #expect(try await a.status()["unpushed"] as? Int == 7)
            let report = try await a.sync()
            #expect(report["pushed"] as? Int == 7)
            #expect(try await a.status()["unpushed"] as? Int == 0)
            #expect(try await server.storedChanges() == 7)

            // Another replica pulls them all.
            let b = try await Store.replica("bora", user: "bora", server: server, in: directory)
            try await b.sync()
            #expect(try await b.export("jsonl") == (try await a.export("jsonl")))
        }
    }

    @Test(arguments: SyncBackend.enabled) func aNoteOverTheServersLimitIsRefusedNamingTheFieldAndKeptOnTheClient(backend: SyncBackend) async throws {
        try await withSyncServer(on: backend, serveArguments: ["--max-note-length", "8"]) { server, directory in
            let a = try await Store.replica("ayse", user: "ayse", server: server, in: directory)
            try await a.ok(["import", Fixtures.seedPath])
            let article = try #require(try await a.objects(["articles"]).first?["id"] as? String)
            try await a.annotate(article, ["--quote", "Kudüs", "--note", "kısa"])
            try await a.sync()
            try await a.annotate(article, ["--quote", "Irak", "--occurrence", "1", "--note", "bu not sekiz karakterden uzun"])
            let before = try await a.snapshot()
            let result = try await a.run(["sync"])
            expectOneLineFailure(result, mentions: ["note", "8"])
            #expect(try await a.snapshot() == before, "the store changed")
            #expect(try await a.status()["unpushed"] as? Int == 1, "the annotation stays, unpushed")
            #expect(try await server.storedChanges() == 2)
        }
    }

    @Test func limitOptionsAreChecked() async throws {
        try await withTemporaryDirectory { directory in
            for arguments in [["--max-body-bytes", "0"], ["--max-note-length", "-3"], ["--max-body-bytes", "100", "--max-decompressed-bytes", "10"]] {
                let result = try await Runner.run(
                    SyncServer.binary, ["serve", "--data", directory.path("data"), "--port", "0"] + arguments,
                    environment: ProcessInfo.processInfo.environment)
                #expect(result.status == 2, "\(arguments): \(result)")
                #expect(result.stderr.contains("--max-"), "\(arguments): \(result)")
            }
        }
    }
}
