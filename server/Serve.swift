import ArgumentParser
import CMallocArenas
import Foundation
import GlossServer
import Hummingbird
import Logging

extension GlossServerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the server until SIGTERM or SIGINT, then stop gracefully.",
            discussion: """
                Example:
                  gloss-server serve --data ./data --host 127.0.0.1 --port 8080
                  gloss-server serve --data ./data --port 8443 --tls-cert cert.pem --tls-key key.pem
                  gloss-server serve --data ./data --max-note-length 20000 --max-batch-changes 2000
                  gloss-server serve --postgres postgres://gloss:secret@127.0.0.1/gloss --port 8080
                  gloss-server serve --data ./data --snapshot-every 50000
                  gloss-server serve --data ./data --retire-after 30d
                  gloss-server serve --data ./data --compact-every 30m
                With --port 0 a free port is chosen; the line 'gloss-server listening on URL' says which.
                """)

        @Option(help: "The address to listen on.")
        var host = "127.0.0.1"

        @Option(help: "The port to listen on (0: any free port).")
        var port = 8080

        @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
        var logLevel = "info"

        @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "file"))
        var tlsCert: String?

        @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
        var tlsKey: String?

        @Option(
            help: ArgumentHelp(
                "Build a corpus's snapshot in the background once it has grown by this many changes since its latest one (0: never; 'snapshot create' builds one by hand).",
                valueName: "changes"))
        var snapshotEvery: Int64 = 10_000

        @Option(
            help: ArgumentHelp(
                "Retire replicas that have not pushed or pulled for this long (90d, 12h, 30m, 45s, or never); the history every active replica has seen is stable.",
                valueName: "period"))
        var retireAfter = "90d"

        @Option(
            help: ArgumentHelp(
                "Compact every corpus this often (1h, 30m, 1d, or never), first one period after the start: history below the horizon that later versions supersede is dropped ('gloss-server compact --help').",
                valueName: "period"))
        var compactEvery = "1h"

        @OptionGroup(title: "Limits") var limits: LimitOptions

        @OptionGroup var storage: StorageOptions

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
            guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
            guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be 0 (never) or more") }
            do {
                _ = try RetentionPeriod.parse(retireAfter)
            } catch {
                throw ValidationError("--retire-after: \(error)")
            }
            do {
                _ = try RetentionPeriod.parse(compactEvery)
            } catch {
                throw ValidationError("--compact-every: \(error)")
            }
        }

        func run() async throws {
            // Referencing CMallocArenas links its load-time constructor (one malloc arena).
            _ = gloss_malloc_arena_limit()
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "gloss-server")
            let store = try await storage.open(notice: { logger.notice("\($0)") })
            let host = self.host
            let scheme = tlsCert == nil ? "http" : "https"
            let tls = tlsCert.flatMap { certificate in tlsKey.map { (certificate: certificate, key: $0) } }
            let app = try GlossApplication.make(
                configuration: ServerConfiguration(
                    host: host, port: port, limits: limits.limits, tls: tls, snapshotEvery: snapshotEvery,
                    retireAfter: try RetentionPeriod.parse(retireAfter), compactEvery: try RetentionPeriod.parse(compactEvery)),
                storage: store, logger: logger,
                onServerRunning: { port in
                    // One line on stdout that scripts and tests wait for.
                    FileHandle.standardOutput.write(Data("gloss-server listening on \(scheme)://\(host):\(port)\n".utf8))
                })
            do {
                try await app.runService()
            } catch {
                await store.shutdown()
                throw error
            }
            logger.info("stopping: the HTTP server has stopped; closing the storage")
            await store.shutdown()
        }
    }
}
