import Foundation
import Testing

/// `gloss-server` admin commands as a person runs them.
@Suite struct ServerAdminTests {
    func admin(_ arguments: [String], data: String) async throws -> ProcessResult {
        try await Runner.run(SyncServer.binary, arguments + ["--data", data], environment: Gloss.environment())
    }

    @Test func corpusDeleteNeedsConfirmationAndTokenRevokeTakesEffect() async throws {
        try await withTemporaryDirectory { directory in
            let data = directory.path("server-data")
            #expect(try await admin(["corpus", "create", "news"], data: data).status == 0)
            let token = try await admin(["token", "create", "--corpus", "news", "--user", "ayse"], data: data)
            #expect(token.status == 0 && token.stdout.hasPrefix("gloss_"))
            let list = try await admin(["token", "list", "--corpus", "news"], data: data)
            #expect(list.status == 0 && list.stdout.contains("ayse") && !list.stdout.contains(token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            let id = try #require(list.stdout.split(separator: "\t").first.map(String.init))
            let revoke = try await admin(["token", "revoke", id], data: data)
            #expect(revoke.status == 0, "\(revoke)")
            #expect(try await admin(["token", "list"], data: data).stdout.contains("revoked"))

            // Without a terminal and without --yes nothing is deleted.
            let refused = try await admin(["corpus", "delete", "news"], data: data)
            #expect(refused.status == 1 && refused.stderrLines.count == 1 && refused.stderr.contains("--yes"), "\(refused)")
            #expect(try await admin(["corpus", "list"], data: data).stdout.contains("news"))
            let deleted = try await admin(["corpus", "delete", "news", "--yes"], data: data)
            #expect(deleted.status == 0, "\(deleted)")
            #expect(!(try await admin(["corpus", "list"], data: data).stdout.contains("news")))
            #expect(try await admin(["check"], data: data).status == 0)
        }
    }
}
