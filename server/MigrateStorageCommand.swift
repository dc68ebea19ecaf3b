import ArgumentParser
import GlossServer

extension GlossServerCommand {
    struct MigrateStorage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate-storage",
            abstract: "Copy the embedded SQLite data into an empty PostgreSQL database.",
            discussion: """
                Stop the servers on --data first. Positions, epochs, tokens and replicas are kept, \
                so replicas and their tokens carry on against servers started with --postgres, \
                with nothing to pull again. All or nothing: one PostgreSQL transaction.

                Example:
                  gloss-server migrate-storage --data ./data --postgres postgres://gloss:secret@127.0.0.1/gloss
                """)

        @Option(help: ArgumentHelp("The data folder of the embedded SQLite database to copy.", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp("The empty PostgreSQL database to copy into (default: $GLOSS_POSTGRES_URL).", valueName: "url"))
        var postgres: String?

        func run() async throws {
            let target = StorageOptions(data: data, postgres: postgres)
            guard let url = target.postgresURL else { throw ValidationError("give the PostgreSQL database with --postgres URL") }
            let source = try StorageOptions(data: data, postgres: nil).openSQLiteIgnoringEnvironment()
            let postgresStorage = try await PostgresStorage(url: url)
            do {
                let summary = try await StorageMigration.copy(from: source, to: postgresStorage)
                await postgresStorage.shutdown()
                print(
                    "Copied \(summary.corpora) corpora, \(summary.tokens) tokens, \(summary.replicas) replicas and \(summary.changes) changes "
                        + "into \(PostgresURLText.redacted(url)); start the servers with --postgres")
            } catch {
                await postgresStorage.shutdown()
                throw error
            }
        }
    }
}
