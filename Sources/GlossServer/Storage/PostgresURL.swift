import Foundation
import NIOSSL
import PostgresNIO

/// Reads `postgres://USER:PASSWORD@HOST:PORT/DATABASE?PARAMETERS` into a client
/// configuration. Parameters, all optional: `sslmode` (`disable`, the default, `prefer` or
/// `require`), `connect_timeout` (seconds, default 10), `pool_max` (connections this
/// process keeps at most, default 20) and `application_name` (default `gloss-server`,
/// shown in `pg_stat_activity`). Any other parameter is refused rather than ignored, so a
/// setting the server does not understand never goes unnoticed.
enum PostgresURL {
    static let parameters = ["sslmode", "connect_timeout", "pool_max", "application_name"]

    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        func refuse(_ reason: String) -> StorageError { .invalidPostgresURL(text, reason: reason) }
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme?.lowercased() ?? "") else {
            throw refuse("it does not start with postgres://")
        }
        guard let user = url.user, !user.isEmpty else { throw refuse("it names no user") }
        var given: [String: String] = [:]
        for item in url.queryItems ?? [] {
            guard parameters.contains(item.name) else {
                throw refuse("unknown parameter '\(item.name)' (known: \(parameters.joined(separator: ", ")))")
            }
            guard given[item.name] == nil else { throw refuse("parameter '\(item.name)' is given twice") }
            given[item.name] = item.value ?? ""
        }
        let tls: PostgresClient.Configuration.TLS
        switch given["sslmode"] ?? "disable" {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        case let other: throw refuse("sslmode '\(other)' is not disable, prefer or require")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        var configuration = PostgresClient.Configuration(
            host: url.host?.isEmpty == false ? url.host! : "127.0.0.1", port: url.port ?? 5432, username: user,
            password: url.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
        if let value = given["connect_timeout"] {
            guard let seconds = Int(value), (1...3600).contains(seconds) else { throw refuse("connect_timeout must be 1 to 3600 seconds") }
            configuration.options.connectTimeout = .seconds(seconds)
        }
        if let value = given["pool_max"] {
            guard let connections = Int(value), (1...1000).contains(connections) else { throw refuse("pool_max must be 1 to 1000 connections") }
            configuration.options.maximumConnections = connections
        }
        let name = given["application_name"] ?? "gloss-server"
        guard !name.isEmpty, name.count <= 63 else { throw refuse("application_name must be 1 to 63 characters") }
        configuration.options.additionalStartupParameters = [("application_name", name)]
        return configuration
    }

    /// The same settings for one connection of its own, outside the pool (the `LISTEN`
    /// connection of ``PostgresChangeFeed``).
    static func connectionConfiguration(_ text: String) throws -> PostgresConnection.Configuration {
        let pool = try configuration(text)  // checks the URL
        let sslmode = URLComponents(string: text)?.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresConnection.Configuration.TLS
        switch sslmode {
        case "prefer": tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: pool.host ?? "127.0.0.1", port: pool.port ?? 5432, username: pool.username, password: pool.password,
            database: pool.database, tls: tls)
        configuration.options.connectTimeout = .seconds(pool.options.connectTimeout.components.seconds)
        configuration.options.additionalStartupParameters = pool.options.additionalStartupParameters
        return configuration
    }
}
