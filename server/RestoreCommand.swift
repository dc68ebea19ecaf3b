import ArgumentParser
import Foundation
import GlossServer

extension GlossServerCommand {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the data with a backup, and tell replicas to pull everything again.",
            discussion: """
                Stop the servers on --data first. Every corpus gets a new epoch, so each replica's \
                next sync pulls from the start instead of skipping changes stored after the backup; \
                replicas push again what the backup lacks of theirs. Asks you to type 'restore', \
                or give --yes.

                Example:
                  gloss-server restore --from /backups/gloss-2026-11-26.sqlite --data ./data --yes
                """)

        @Option(help: ArgumentHelp("A backup made by 'gloss-server backup'.", valueName: "file"))
        var from: String

        @Flag(help: "Do not ask for confirmation.")
        var yes = false

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            if !yes {
                try Confirmation.typed(
                    "restore", prompt: "Everything in \(storage.data) will be replaced by \(from). Type 'restore' to go on: ",
                    otherwise: .restoreNeedsConfirmation)
            }
            let corpora = try storage.openSQLite().restore(from: from)
            let total = corpora.reduce(0) { $0 + $1.changes }
            print("Restored \(corpora.count) corpora (\(total) changes) from \(from); replicas pull everything again on their next sync")
        }
    }
}
