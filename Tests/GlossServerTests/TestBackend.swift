import Foundation
@testable import GlossServer
import Logging
import PostgresNIO
import Testing

/// The storage backends the server tests run against: SQLite always, PostgreSQL when
/// `GLOSS_TEST_POSTGRES_URL` names a database whose role may create databases
/// (`.ci/run` sets it; see the README). Tests take `enabled` as their arguments, so each
/// backend is its own test case and a failure names it ("sqlite" or "postgres").
enum TestBackend: String, Sendable, CaseIterable, CustomStringConvertible, CustomTestStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }
    var testDescription: String { rawValue }

    /// `postgres://…` of a database to connect to for creating each test's own database.
    static let postgresURL: String? = {
        let url = ProcessInfo.processInfo.environment["GLOSS_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }()

    static let enabled: [TestBackend] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

    /// Why PostgreSQL tests are skipped, for `.enabled(if:)`.
    static let postgresSkipReason: Comment =
        "PostgreSQL tests skipped: set GLOSS_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB (a role with CREATEDB) to run them"

    /// One test's database.
    struct Database: Sendable {
        let open: @Sendable () async throws -> any Storage
        let drop: @Sendable () async throws -> Void
    }

    func makeDatabase(in directory: URL) async throws -> Database {
        switch self {
        case .sqlite:
            return Database(open: { try SQLiteStorage(directory: directory.path) }, drop: {})
        case .postgres:
            let base = try #require(Self.postgresURL, Self.postgresSkipReason)
            // On a machine loaded by the whole suite a connection can time out; a new name
            // per attempt, so a CREATE that went through but lost its answer cannot collide.
            var attempt = 1
            var created: String
            while true {
                created = "gloss_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                do {
                    try await PostgresAdmin.execute("CREATE DATABASE \(created)", url: base)
                    break
                } catch where attempt < 4 {
                    attempt += 1
                    try await Task.sleep(for: .seconds(2))
                }
            }
            let name = created
            let url = PostgresAdmin.url(base, database: name)
            return Database(
                open: { try await PostgresStorage(url: url) },
                drop: { try await PostgresAdmin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", url: base) })
        }
    }
}

/// Statements outside any test database (creating and dropping them).
enum PostgresAdmin {
    static func url(_ base: String, database: String) -> String {
        guard var components = URLComponents(string: base) else { return base }
        components.path = "/" + database
        return components.string ?? base
    }

    static func execute(_ sql: String, url: String) async throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(url))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql))
        }
    }
}
