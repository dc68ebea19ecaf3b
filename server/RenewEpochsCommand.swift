import ArgumentParser
import GlossServer

extension GlossServerCommand {
    struct RenewEpochs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "renew-epochs",
            abstract: "Make every replica start its next sync over (after restoring the database by other means).",
            discussion: """
                'gloss-server restore' does this itself. Run it after restoring PostgreSQL from a \
                dump (pg_restore), or after putting back a copy of the SQLite file by hand: \
                positions after the backup will be taken again, and a new epoch tells each \
                replica to push its changes again and pull from the start.

                Example:
                  gloss-server renew-epochs --postgres postgres://gloss:secret@127.0.0.1/gloss
                """)

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let corpora = try await storage.with { try await $0.renewEpochs() }
            let count = corpora.count == 1 ? "1 corpus" : "\(corpora.count) corpora"
            print("Renewed the epoch of \(count); replicas start over on their next sync")
        }
    }
}
