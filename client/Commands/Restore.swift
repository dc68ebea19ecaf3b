import ArgumentParser
import GlossCore
import GlossStore

extension Gloss {
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring back what an article or annotation said in an earlier version.",
            discussion: """
                Makes a new version with that version's content, replacing every version shown \
                now: it undoes an edit or a deletion, and settles an open conflict with that \
                content. Nothing is removed from the log, and the new version syncs like any \
                edit. An annotation whose words were corrected since is placed on the current \
                text again, or shown as an orphan. Restore a deleted article before its \
                annotations. List the versions with 'gloss history ID'.

                Example:
                  gloss restore 4ev9ep --to 7QX2M9K4T1V8B3N6D5F0H2J4KA:3
                """)

        @Argument(help: ArgumentHelp("The article's or annotation's id or unique prefix.", valueName: "id"))
        var id: String

        @Option(help: ArgumentHelp("The version to bring back, as 'gloss history' lists it.", valueName: "replica:seq"))
        var to: String

        @OptionGroup var options: GlobalOptions

        func run() throws {
            guard let version = Dot(to.uppercased()) else { throw CLIError.notAVersion(to, id: id) }
            let outcome = try options.openStore().restore(id, to: version)
            if options.json {
                Terminal.printJSON(outcome.json)
            } else if let entry = outcome.entry {
                print("Restored \(outcome.kind.rawValue) \(outcome.id) to version \(version), as new version \(entry.change.dot)")
            } else {
                print("\(outcome.kind.rawValue) \(outcome.id) already shows version \(version); nothing changed")
            }
        }
    }
}
