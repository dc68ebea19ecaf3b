import Foundation
@testable import GlossServer
import PostgresNIO
import Testing

/// Reading `--postgres URL` into a connection configuration (no database needed).
@Suite struct PostgresURLTests {
    @Test func readsHostPortUserPasswordDatabaseAndDefaults() throws {
        let configuration = try PostgresURL.configuration("postgres://gloss:s%40cret@db.example:6543/corpora")
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "gloss")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "corpora")
        #expect(configuration.options.maximumConnections == 20)
        #expect(configuration.options.connectTimeout == .seconds(10))
        #expect(configuration.options.additionalStartupParameters.map { "\($0.0)=\($0.1)" } == ["application_name=gloss-server"])
    }

    @Test func readsConnectionSettings() throws {
        let configuration = try PostgresURL.configuration(
            "postgresql://gloss@127.0.0.1/gloss?sslmode=require&connect_timeout=3&pool_max=5&application_name=gloss-eu-1")
        #expect(configuration.options.maximumConnections == 5)
        #expect(configuration.options.connectTimeout == .seconds(3))
        #expect(configuration.options.additionalStartupParameters.map { "\($0.0)=\($0.1)" } == ["application_name=gloss-eu-1"])
        #expect(configuration.port == 5432)
    }

    @Test(arguments: [
        ("mysql://gloss@127.0.0.1/gloss", "does not start with postgres://"),
        ("postgres://127.0.0.1/gloss", "names no user"),
        ("postgres://gloss@127.0.0.1/gloss?sslmode=verify-full", "sslmode 'verify-full'"),
        ("postgres://gloss@127.0.0.1/gloss?pool=5", "unknown parameter 'pool'"),
        ("postgres://gloss@127.0.0.1/gloss?pool_max=0", "pool_max must be"),
        ("postgres://gloss@127.0.0.1/gloss?pool_max=many", "pool_max must be"),
        ("postgres://gloss@127.0.0.1/gloss?connect_timeout=-1", "connect_timeout must be"),
        ("postgres://gloss@127.0.0.1/gloss?sslmode=disable&sslmode=require", "given twice"),
        ("postgres://gloss@127.0.0.1/gloss?application_name=", "application_name must be"),
    ])
    func refusesWhatItCannotUseSayingWhy(url: String, reason: String) {
        #expect {
            _ = try PostgresURL.configuration(url)
        } throws: { error in
            let message = "\(error)"
            return message.contains(reason) && message.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
    }
}
