import ArgumentParser
import GlossServer

extension GlossServerCommand {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the data into a backup file while servers keep running.",
            discussion: """
                SQLite's online backup: the copy is one consistent snapshot. Restore it with \
                'gloss-server restore'.

                Example:
                  gloss-server backup --data ./data --to /backups/gloss-2026-11-26.sqlite
                """)

        @Option(help: ArgumentHelp("The backup file to create (must not exist).", valueName: "file"))
        var to: String

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try storage.openSQLite().backup(to: to)
            print("Backed up \(storage.data) to \(to)")
        }
    }
}
